package webhook

import (
	"net/http"
	"testing"
	"time"
)

// The vectors were computed outside Go, with Python's hmac module, and
// checked with openssl dgst -mac HMAC; scimdclient's tests verify the same
// ones.
func TestSign(t *testing.T) {
	keyA := make([]byte, 32)
	for i := range keyA {
		keyA[i] = byte(i)
	}
	tests := []struct {
		name string
		key  []byte
		id   string
		ts   int64
		body string
		want string
	}{
		{"bytes-0-to-31", keyA, "msg_2Kx7", 1700000000, `{"type":"user.created","position":7}`,
			"v1,LH1RMgp5bGLPtLRIzyzHP3YEqjmENTN8TJAyi0vWgDc="},
		{"ascii-key-empty-body", []byte("scimd webhook test key, 32 bytes"), "evt_1", 1712345678, "",
			"v1,pvzC/KFpiAcT2amYEyaa/sEKVoUwuBM0/mwOz7CIIiI="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sign(tt.key, tt.id, time.Unix(tt.ts, 0), []byte(tt.body))
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	SetHeaders(h, []byte("k"), "evt_9", time.Unix(1700000123, 999), []byte("{}"))
	if got := h.Get("webhook-id"); got != "evt_9" {
		t.Errorf("webhook-id: got %q", got)
	}
	if got := h.Get("webhook-timestamp"); got != "1700000123" {
		t.Errorf("webhook-timestamp: got %q, want whole unix seconds", got)
	}
	if got, want := h.Get("webhook-signature"), Sign([]byte("k"), "evt_9",
		time.Unix(1700000123, 0), []byte("{}")); got != want {
		t.Errorf("webhook-signature: got %q, want %q", got, want)
	}
}
