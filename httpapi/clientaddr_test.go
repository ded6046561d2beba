package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/clientip"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// entries is an ActivityRecorder that keeps what it is given.
type entries struct {
	mu   sync.Mutex
	list []directory.ActivityEntry
}

func (e *entries) Record(a directory.ActivityEntry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, a)
}

func (e *entries) last() directory.ActivityEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.list[len(e.list)-1]
}

// TestForwardedClient checks that behind a trusted proxy the activity
// record and the token's last use name the client the proxy forwarded,
// and that locations take the proxy's scheme; from an untrusted peer the
// same headers change nothing.
func TestForwardedClient(t *testing.T) {
	tests := []struct {
		name, trusted, wantAddr, wantScheme string
	}{
		{"trusted-proxy", "127.0.0.0/8, ::1", "198.51.100.7", "https"},
		{"untrusted-peer", "10.0.0.0/8", "127.0.0.1", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := sqlstoretest.Open(t, sqlstore.SQLite)
			svc := directory.NewService(db, directory.WithLogger(slog.New(slog.DiscardHandler)))
			proxies, err := clientip.Parse(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			rec := &entries{}
			mux := http.NewServeMux()
			httpapi.New(httpapi.Config{Service: svc, Activity: rec,
				Logger: slog.New(slog.DiscardHandler), ClientAddr: proxies.Addr,
				Scheme: proxies.Scheme}).Register(mux)
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)

			ctx := context.Background()
			a, err := svc.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			secret, tok, err := svc.CreateToken(ctx, a.ID, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, server: srv.URL, base: httpapi.Bases[0], token: secret,
				agent: "Okta SCIM Client 1.0.0"}
			r := c.do("POST", "/Users", newUser("ada@example.com"),
				"X-Forwarded-For", "203.0.113.9, "+tt.wantAddr, "X-Forwarded-Proto", "https")
			r.want(t, http.StatusCreated)

			if loc := r.header.Get("Location"); !strings.HasPrefix(loc, tt.wantScheme+"://") {
				t.Errorf("Location %q, want scheme %s", loc, tt.wantScheme)
			}
			if got := rec.last().Addr; got != tt.wantAddr {
				t.Errorf("activity address %q, want %q", got, tt.wantAddr)
			}
			got, err := svc.TokenByID(ctx, tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastUsedAddr != tt.wantAddr {
				t.Errorf("token last used from %q, want %q", got.LastUsedAddr, tt.wantAddr)
			}
		})
	}
}
