package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// The tests of this package run the real SCIM stack: httpapi over
// directory.Service over a migrated sqlstore database, served by
// httptest.NewServer and reached over HTTP with a bearer token. Every test
// runs on SQLite and, where it is reachable, on PostgreSQL; sqlstoretest
// decides whether a missing PostgreSQL skips (local runs) or fails (CI=true).

// stack is one running SCIM server with one account and its token.
type stack struct {
	t       *testing.T
	svc     *directory.Service
	srv     *httptest.Server
	clock   *clock
	account *directory.Account
	*client // the account's client, on the first base path
}

// eachStore runs fn once per database engine, each time on a server with
// the default limits.
func eachStore(t *testing.T, fn func(t *testing.T, s *stack)) {
	t.Helper()
	eachStoreWith(t, httpapi.Limits{}, fn)
}

// eachStoreWith is eachStore with the given limits; zero fields take the
// defaults, as in httpapi.Config.
func eachStoreWith(t *testing.T, lim httpapi.Limits, fn func(t *testing.T, s *stack)) {
	t.Helper()
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		fn(t, startStack(t, open(t), lim))
	})
}

// startStack serves the SCIM API over store and creates the first account
// and its token. Everything is closed when the test ends.
func startStack(t *testing.T, store directory.Store, lim httpapi.Limits) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clk := &clock{}
	svc := directory.NewService(store, directory.WithClock(clk.now), directory.WithLogger(log))

	mux := http.NewServeMux()
	httpapi.New(httpapi.Config{Service: svc, Limits: lim, Logger: log}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	s := &stack{t: t, svc: svc, srv: srv, clock: clk}
	s.account, s.client = s.newAccount("acme")
	return s
}

// newAccount creates an account with one token and returns a client that
// acts for it on the first base path.
func (s *stack) newAccount(name string) (*directory.Account, *client) {
	s.t.Helper()
	ctx := context.Background()
	a, err := s.svc.CreateAccount(ctx, name)
	if err != nil {
		s.t.Fatalf("create account %q: %v", name, err)
	}
	secret, _, err := s.svc.CreateToken(ctx, a.ID, "tests", 0)
	if err != nil {
		s.t.Fatalf("create token for %q: %v", name, err)
	}
	return a, s.clientFor(secret)
}

// clientFor returns a client that sends token on the first base path.
func (s *stack) clientFor(token string) *client {
	return &client{t: s.t, server: s.srv.URL, base: httpapi.Bases[0], token: token,
		agent: "scimd-tests"}
}

// clock is the service's clock: the real time moved forward by a skew that
// a test can grow, so that tokens can expire without sleeping.
type clock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.skew)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// testWriter sends the server's warnings and errors to the test log, where a
// failing test shows the cause of a 500.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
