package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
)

func TestSignInOut(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	b := e.browser()

	// A visitor without a session is sent to sign in, keeping the page.
	resp, _ := b.get("/accounts")
	if got := resp.Header.Get("Location"); got != "/signin?next=%2Faccounts" {
		t.Fatalf("redirect to %q, want the sign-in page with next", got)
	}
	resp, body := b.get("/signin?next=%2Faccounts")
	want(t, resp, body, http.StatusOK, "<h1>Sign in to the console</h1>", `value="/accounts"`)

	resp, body = b.post("/signin", url.Values{"email": {"ops@example.com"},
		"password": {"wrong password!"}, "next": {"/accounts"}})
	want(t, resp, body, http.StatusUnauthorized, "Wrong email address or password.")
	resp, body = b.post("/signin", url.Values{"email": {"nobody@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusUnauthorized, "Wrong email address or password.")

	// The right password, in any case of the email, signs in and returns to
	// the page asked for.
	resp, body = b.post("/signin", url.Values{"email": {" Ops@Example.com "},
		"password": {testPassword}, "next": {"/accounts"}})
	want(t, resp, body, http.StatusSeeOther)
	if got := resp.Header.Get("Location"); got != "/accounts" {
		t.Errorf("after sign-in redirect to %q, want /accounts", got)
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"scimd_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	resp, body = b.get("/accounts")
	want(t, resp, body, http.StatusOK, "<h1>Accounts</h1>", "ops@example.com")
	session := resp.Request.Header.Get("Cookie")

	// Signing out ends the session on the server, not only in the browser.
	resp, _ = b.post("/signout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
		t.Fatalf("sign out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.get("/accounts")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out /accounts answered %d, want 303", resp.StatusCode)
	}
	resp, _ = e.browser().do(http.MethodGet, "/accounts", nil, http.Header{"Cookie": {session}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the signed-out session cookie still works: %d", resp.StatusCode)
	}
}

// TestSignInStaysOnSite checks that the page to return to after signing in
// cannot lead off the site, however a browser would read the Location.
func TestSignInStaysOnSite(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	for _, next := range []string{"//evil.example/", "/\t/evil.example", "/\\evil.example",
		"/\n/evil.example", "https://evil.example/"} {
		b := e.browser()
		resp, body := b.post("/signin", url.Values{"email": {"ops@example.com"},
			"password": {testPassword}, "next": {next}})
		want(t, resp, body, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("sign in with next %q: redirect to %q, want /", next, got)
		}

		// Signed in, the sign-in page redirects at once: the same check.
		resp, _ = b.get("/signin?next=" + url.QueryEscape(next))
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("signed in, /signin?next=%q: redirect to %q, want /", next, got)
		}
	}
}

func TestSecureCookie(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	h, err := console.New(console.Config{Service: e.svc, Store: e.db, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"email": {"ops@example.com"}, "password": {testPassword}}
	req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cookie := rec.Header().Get("Set-Cookie")
	for _, attr := range []string{"__Host-scimd_session=", "Secure", "HttpOnly", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("secure session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Domain=") {
		t.Errorf("secure session cookie %q names a domain", cookie)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	tests := []struct {
		name  string
		steps []time.Duration // clock advances, each followed by a request
		ok    bool
	}{
		{"active", []time.Duration{10 * time.Minute, 20 * time.Minute, 25 * time.Minute}, true},
		{"idle", []time.Duration{31 * time.Minute}, false},
		// 29 requests 25 minutes apart keep the session active for 12 h 5 min.
		{"absolute", repeat(25*time.Minute, 29), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			b.signIn("ops@example.com")
			status := 0
			for _, d := range tt.steps {
				e.clock.Advance(d)
				resp, _ := b.get("/accounts")
				status = resp.StatusCode
				if status != http.StatusOK {
					break
				}
			}
			if (status == http.StatusOK) != tt.ok {
				t.Errorf("last status %d, want session alive = %v", status, tt.ok)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	b := e.browser()
	bad := url.Values{"email": {"ops@example.com"}, "password": {"wrong password!"}}
	for range 5 {
		resp, body := b.post("/signin", bad)
		want(t, resp, body, http.StatusUnauthorized)
	}

	// Locked: even the right password is refused, with a clear message.
	resp, body := b.post("/signin", url.Values{"email": {"ops@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusTooManyRequests,
		"Too many failed sign-ins for this email address. Try again in a minute.")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("a throttled answer has no Retry-After")
	}

	// After the lock, the next failure locks for twice as long.
	e.clock.Advance(61 * time.Second)
	resp, body = b.post("/signin", bad)
	want(t, resp, body, http.StatusUnauthorized)
	e.clock.Advance(61 * time.Second)
	resp, body = b.post("/signin", bad)
	want(t, resp, body, http.StatusTooManyRequests, "Try again in a minute.")
	e.clock.Advance(61 * time.Second)
	b.signIn("ops@example.com")

	// A success clears the email's count.
	resp, body = e.browser().post("/signin", bad)
	want(t, resp, body, http.StatusUnauthorized)
}

func TestThrottleByAddress(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	b := e.browser()

	// Guessing at many addresses from one client locks that client out,
	// whatever email it tries next.
	for i := range 20 {
		resp, body := b.post("/signin", url.Values{"email": {guessEmail(i)},
			"password": {"wrong password!"}})
		want(t, resp, body, http.StatusUnauthorized)
	}
	resp, body := b.post("/signin", url.Values{"email": {"ops@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusTooManyRequests,
		"Too many failed sign-ins for your network address.")
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func guessEmail(i int) string { return "guess" + string(rune('a'+i)) + "@example.com" }

func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	a := e.account("Acme")
	b := e.browser()
	b.signIn("ops@example.com")
	form := url.Values{"label": {"evil"}}
	tests := []struct {
		name   string
		hdr    http.Header
		status int
	}{
		{"sec-fetch-site-cross", http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403},
		{"sec-fetch-site-same-site", http.Header{"Sec-Fetch-Site": {"same-site"}}, 403},
		{"origin-other-host", http.Header{"Origin": {"https://evil.example"}}, 403},
		{"sec-fetch-site-same-origin", http.Header{"Sec-Fetch-Site": {"same-origin"}}, 200},
		{"no-browser-headers", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.do(http.MethodPost, "/accounts/"+a.ID+"/tokens", form, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 403 && !strings.Contains(body, "sent from another site") {
				t.Errorf("refusal does not say why:\n%s", body)
			}
		})
	}

	// Only the two same-origin posts made tokens.
	tokens, _ := e.svc.Tokens(context.Background(), a.ID)
	if len(tokens) != 2 {
		t.Errorf("%d tokens exist, want 2", len(tokens))
	}

	// A cross-site sign-out is refused too.
	resp, _ := b.do(http.MethodPost, "/signout", url.Values{},
		http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-out answered %d, want 403", resp.StatusCode)
	}
}

func TestSetupLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	path, err := console.SetupLink(ctx, e.db)
	if err != nil || !strings.HasPrefix(path, "/setup/") {
		t.Fatalf("SetupLink = %q, %v", path, err)
	}
	b := e.browser()
	resp, body := b.get(path)
	want(t, resp, body, http.StatusOK, "Create the first operator")

	form := url.Values{"email": {"first@example.com"}, "password": {testPassword},
		"confirm": {"something else!"}}
	resp, body = b.post(path, form)
	want(t, resp, body, http.StatusBadRequest, "The two passwords differ.")
	form.Set("confirm", testPassword)
	form.Set("password", "short")
	form.Set("confirm", "short")
	resp, body = b.post(path, form)
	want(t, resp, body, http.StatusBadRequest, "at least 12 characters")

	form.Set("password", testPassword)
	form.Set("confirm", testPassword)
	resp, body = b.post(path, form)
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get("/accounts")
	want(t, resp, body, http.StatusOK, "first@example.com")

	// The link works once, and none is handed out any more.
	form.Set("email", "second@example.com")
	resp, body = e.browser().post(path, form)
	want(t, resp, body, http.StatusNotFound, "used already or has expired")
	resp, body = e.browser().get(path)
	want(t, resp, body, http.StatusNotFound)
	if path, err := console.SetupLink(ctx, e.db); path != "" || err != nil {
		t.Errorf("SetupLink with an operator = %q, %v; want none", path, err)
	}
	if _, err := e.db.ConsoleUserByEmail(ctx, "second@example.com"); err == nil {
		t.Error("a used setup link created a second operator")
	}
}

// TestSetupLinkAfterFirstUser checks that a setup link left unused, in a
// log say, stops working once a console user was made some other way.
func TestSetupLinkAfterFirstUser(t *testing.T) {
	e := newEnv(t)
	path, err := console.SetupLink(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	e.admin("ops@example.com", "") // scimd admin create, meanwhile

	resp, body := e.browser().get(path)
	want(t, resp, body, http.StatusNotFound, "used already or has expired")
	resp, body = e.browser().post(path, url.Values{"email": {"intruder@example.com"},
		"password": {testPassword}, "confirm": {testPassword}})
	want(t, resp, body, http.StatusNotFound, "used already or has expired")
	if _, err := e.db.ConsoleUserByEmail(context.Background(), "intruder@example.com"); err == nil {
		t.Error("a setup link made an operator after the first console user existed")
	}
}

func TestSetupLinkExpires(t *testing.T) {
	e := newEnv(t)
	path, err := console.SetupLink(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(console.SetupLinkTTL + time.Second)
	resp, body := e.browser().get(path)
	want(t, resp, body, http.StatusNotFound, "used already or has expired")
}

func TestCreateAdmin(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	ctx := context.Background()
	tests := []struct {
		name, email, password, account string
		err                            error
	}{
		{"operator", "ops@example.com", testPassword, "", nil},
		{"account-admin", "admin@acme.example", testPassword, a.ID, nil},
		{"taken-any-case", "OPS@example.com", testPassword, "", directory.ErrConflict},
		{"bad-email", "not an email", testPassword, "", directory.ErrInvalid},
		{"named-email", "Ops <x@example.com>", testPassword, "", directory.ErrInvalid},
		{"short-password", "x@example.com", "short", "", directory.ErrInvalid},
		{"no-such-account", "y@example.com", testPassword, "nope", directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := console.CreateAdmin(ctx, e.db, tt.email, tt.password, tt.account)
			if tt.err == nil && err != nil {
				t.Fatalf("CreateAdmin: %v", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("CreateAdmin error %v, want %v", err, tt.err)
			}
			if err == nil && strings.Contains(u.PasswordHash, tt.password) {
				t.Error("the password is stored in clear")
			}
		})
	}
}
