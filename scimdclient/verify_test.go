package scimdclient

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// The vectors were computed outside Go, with Python's hmac module and
// checked with openssl dgst -mac HMAC, from the key bytes 0x00..0x1f and
// the ASCII key "scimd webhook test key, 32 bytes".
const (
	secretA = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	idA     = "msg_2Kx7"
	tsA     = "1700000000"
	bodyA   = `{"type":"user.created","position":7}`
	sigA    = "v1,LH1RMgp5bGLPtLRIzyzHP3YEqjmENTN8TJAyi0vWgDc="

	secretB = "whsec_c2NpbWQgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	sigB    = "v1,pvzC/KFpiAcT2amYEyaa/sEKVoUwuBM0/mwOz7CIIiI=" // id evt_1, ts 1712345678, empty body
)

func header(id, ts, sig string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{
		"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func TestVerifyWebhook(t *testing.T) {
	atA := time.Unix(1700000000, 0)
	tests := []struct {
		name    string
		secret  string
		h       http.Header
		body    string
		now     time.Time
		tol     time.Duration
		wantErr error
	}{
		{"vector-a", secretA, header(idA, tsA, sigA), bodyA, atA, 0, nil},
		{"vector-b-empty-body", secretB, header("evt_1", "1712345678", sigB), "",
			time.Unix(1712345678, 0), 0, nil},
		{"secret-without-prefix", secretA[len("whsec_"):], header(idA, tsA, sigA), bodyA, atA, 0, nil},
		{"second-of-several-signatures", secretA,
			header(idA, tsA, "v1,AAAA v1a,ZZZZ "+sigA), bodyA, atA, 0, nil},
		{"within-tolerance-late", secretA, header(idA, tsA, sigA), bodyA,
			atA.Add(4*time.Minute + 59*time.Second), 0, nil},
		{"within-tolerance-early", secretA, header(idA, tsA, sigA), bodyA,
			atA.Add(-5 * time.Minute), 0, nil},
		{"too-old", secretA, header(idA, tsA, sigA), bodyA, atA.Add(5*time.Minute + time.Second),
			0, ErrTimestamp},
		{"too-new", secretA, header(idA, tsA, sigA), bodyA, atA.Add(-time.Hour), 0, ErrTimestamp},
		{"custom-tolerance", secretA, header(idA, tsA, sigA), bodyA, atA.Add(time.Hour),
			2 * time.Hour, nil},
		{"timestamp-not-a-number", secretA, header(idA, "soon", sigA), bodyA, atA, 0, ErrTimestamp},
		{"body-changed", secretA, header(idA, tsA, sigA), bodyA + " ", atA, 0, ErrSignature},
		{"id-changed", secretA, header("msg_2Kx8", tsA, sigA), bodyA, atA, 0, ErrSignature},
		{"wrong-secret", secretB, header(idA, tsA, sigA), bodyA, atA, 0, ErrSignature},
		{"other-scheme-only", secretA, header(idA, tsA, "v1a,"+sigA[3:]), bodyA, atA, 0,
			ErrSignature},
		{"signature-not-base64", secretA, header(idA, tsA, "v1,%%%"), bodyA, atA, 0, ErrSignature},
		{"no-id", secretA, header("", tsA, sigA), bodyA, atA, 0, ErrMissingHeaders},
		{"no-timestamp", secretA, header(idA, "", sigA), bodyA, atA, 0, ErrMissingHeaders},
		{"no-signature", secretA, header(idA, tsA, ""), bodyA, atA, 0, ErrMissingHeaders},
		{"bad-secret", "whsec_not base64!", header(idA, tsA, sigA), bodyA, atA, 0, ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyAt(tt.now, tt.secret, tt.h, []byte(tt.body), tt.tol)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyWebhookUsesTheClock(t *testing.T) {
	// The vector's timestamp is long past, so the real clock refuses it.
	err := VerifyWebhook(secretA, header(idA, tsA, sigA), []byte(bodyA), time.Minute)
	if !errors.Is(err, ErrTimestamp) {
		t.Fatalf("got %v, want ErrTimestamp", err)
	}
}
