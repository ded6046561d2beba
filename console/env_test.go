package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

const testPassword = "correct horse battery"

// clock is a settable clock shared by the console and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a console served over real HTTP on a fresh SQLite database.
type env struct {
	t     testing.TB
	db    *sqlstore.DB
	svc   *directory.Service
	clock *clock
	srv   *httptest.Server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with configure, when not nil, changing the
// console's configuration, such as to give it a webhook dispatcher on the
// test's database.
func newEnvWith(t testing.TB, configure func(*sqlstore.DB, *console.Config)) *env {
	t.Helper()
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	quiet := slog.New(slog.DiscardHandler)
	svc := directory.NewService(db, directory.WithClock(c.Now), directory.WithLogger(quiet))
	cfg := console.Config{Service: svc, Store: db, Now: c.Now,
		PublicURL: "https://scim.example.com", Logger: quiet}
	if configure != nil {
		configure(db, &cfg)
	}
	h, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, svc: svc, clock: c, srv: srv}
}

func (e *env) account(name string) *directory.Account {
	e.t.Helper()
	a, err := e.svc.CreateAccount(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// admin creates a console user; accountID "" makes an operator.
func (e *env) admin(email, accountID string) *directory.ConsoleUser {
	e.t.Helper()
	u, err := console.CreateAdmin(context.Background(), e.db, email, testPassword, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is one visitor with its own cookies. It does not follow
// redirects, so tests see them.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// do sends a request and returns the response with its body read.
func (b *browser) do(method, path string, form url.Values, hdr http.Header) (*http.Response,
	string) {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp, string(data)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.e.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, path, form, nil)
}

func (b *browser) signIn(email string) {
	b.e.t.Helper()
	resp, body := b.post("/signin", url.Values{"email": {email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		b.e.t.Fatalf("sign in as %s: status %d, want 303\n%s", email, resp.StatusCode, body)
	}
}

// want fails the test unless resp has status and body contains every one of
// subs.
func want(t *testing.T, resp *http.Response, body string, status int, subs ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path,
			resp.StatusCode, status, body)
	}
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s %s: body lacks %q\n%s", resp.Request.Method, resp.Request.URL.Path,
				s, body)
		}
	}
}
