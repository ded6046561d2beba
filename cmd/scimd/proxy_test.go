package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// signIn posts a failing console sign-in for email as a proxy would
// forward it from the client at xff, and returns the status.
func signIn(t *testing.T, base, email, xff string) int {
	t.Helper()
	form := url.Values{"email": {email}, "password": {"not the password"}}
	req, err := http.NewRequest(http.MethodPost, base+"/signin",
		strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestTrustedProxyThrottling runs scimd as if behind a reverse proxy on
// 127.0.0.1: with the proxy trusted, sign-in throttling counts each
// forwarded client on its own, so one guessing client locks only itself
// out; without, every client is the proxy and all are locked out together.
// The SCIM side records the same address as a token's last use.
func TestTrustedProxyThrottling(t *testing.T) {
	const guesser, other = "203.0.113.1", "203.0.113.2"
	tests := []struct {
		name, trusted, wantAddr string
		otherStatus             int
	}{
		{"trusted", "127.0.0.1/32, ::1", guesser, http.StatusUnauthorized},
		{"not-trusted", "", "127.0.0.1", http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Addr, cfg.DataDir = "127.0.0.1:0", filepath.Join(t.TempDir(), "data")
			cfg.TrustedProxies = tt.trusted
			m := &Main{Config: cfg, Logger: slog.New(slog.DiscardHandler)}
			if err := m.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })

			// The per-address limit is 20 failures, each for another email
			// so that the per-email limit stays out of the way.
			for i := range 20 {
				email := fmt.Sprintf("guess%d@example.com", i)
				if got := signIn(t, m.URL(), email, guesser); got != http.StatusUnauthorized {
					t.Fatalf("failure %d: status %d, want 401", i+1, got)
				}
			}
			if got := signIn(t, m.URL(), "next@example.com", guesser); got != 429 {
				t.Errorf("the guessing client: status %d, want 429", got)
			}
			if got := signIn(t, m.URL(), "else@example.com", other); got != tt.otherStatus {
				t.Errorf("another client: status %d, want %d", got, tt.otherStatus)
			}
			// Naming another client leftmost does not escape the count.
			spoof := other + ", " + guesser
			if got := signIn(t, m.URL(), "spoof@example.com", spoof); got != 429 {
				t.Errorf("a spoofed header: status %d, want 429", got)
			}

			ctx := context.Background()
			a, err := m.Service().CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			secret, tok, err := m.Service().CreateToken(ctx, a.ID, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, m.URL()+"/scim/v2/Users", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("X-Forwarded-For", guesser)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got, err := m.Service().TokenByID(ctx, tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastUsedAddr != tt.wantAddr {
				t.Errorf("token last used from %q, want %q", got.LastUsedAddr, tt.wantAddr)
			}
		})
	}
}

func TestTrustedProxiesSetting(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	env := map[string]string{"SCIMD_TRUSTED_PROXIES": "10.0.0.0/8"}
	if err := cfg.bind(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--trusted-proxies", "192.168.0.0/16,10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if cfg.TrustedProxies != "192.168.0.0/16,10.1.2.3" {
		t.Errorf("trusted proxies %q, want the flag's", cfg.TrustedProxies)
	}

	// A bad range stops the server before it opens anything, naming it.
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.TrustedProxies = "10.0.0.0/8, proxy.internal"
	err := (&Main{Config: cfg, Logger: slog.New(slog.DiscardHandler)}).Open(
		context.Background())
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") ||
		!strings.Contains(err.Error(), `"proxy.internal"`) {
		t.Errorf("Open with a bad range: %v, want an error naming the setting and entry", err)
	}
}
