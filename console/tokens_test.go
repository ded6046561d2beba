package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
)

// secretRE finds a token secret in a page.
var secretRE = regexp.MustCompile(directory.TokenPrefix + `[A-Za-z0-9_-]{43}`)

func TestTokenShownOnce(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	b := e.browser()
	b.signIn("admin@acme.example")
	ctx := context.Background()

	resp, body := b.get("/accounts/" + a.ID + "/sso")
	want(t, resp, body, http.StatusOK, "Settings › Single Sign-On (SSO)",
		"Sync users from your identity provider", "Generate Token",
		`value="https://scim.example.com/api/sso/user_provisioning"`,
		"Unique identifier field for users", "<code>email</code>",
		"Push New Users, Push Profile Updates, Push Groups", "HTTP Header",
		"Tenant URL", "Secret Token", "No tokens yet")

	// The POST that generates a token shows it once, with the warning.
	resp, body = b.post("/accounts/"+a.ID+"/tokens", url.Values{"label": {"Okta prod"}})
	want(t, resp, body, http.StatusOK, "Copy Token", "it will not be shown again",
		"Okta prod")
	secret := secretRE.FindString(body)
	if secret == "" {
		t.Fatalf("no token in the response:\n%s", body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on the page with the token, want no-store", cc)
	}
	if tok, err := e.svc.Authenticate(ctx, secret, "192.0.2.7"); err != nil ||
		tok.AccountID != a.ID {
		t.Fatalf("the shown token does not authenticate for the account: %v", err)
	}

	// No later page holds it; the list shows its prefix and last use.
	for _, page := range []string{"sso", "users", "groups", "activity", "admins"} {
		resp, body = b.get("/accounts/" + a.ID + "/" + page)
		want(t, resp, body, http.StatusOK)
		if strings.Contains(body, secret) || secretRE.MatchString(body) {
			t.Errorf("page %s shows a token secret", page)
		}
	}
	resp, body = b.get("/accounts/" + a.ID + "/sso")
	want(t, resp, body, http.StatusOK, secret[:12]+"…", "from 192.0.2.7", "Okta prod")

	// Regenerating shows the new token once; the old one works through the
	// overlap and stops after it.
	tokens, _ := e.svc.Tokens(ctx, a.ID)
	resp, body = b.post("/accounts/"+a.ID+"/tokens/"+tokens[0].ID+"/regenerate",
		url.Values{"overlap": {"1h"}})
	want(t, resp, body, http.StatusOK, "Copy Token")
	second := secretRE.FindString(body)
	if second == "" || second == secret {
		t.Fatalf("regenerate showed %q", second)
	}
	for _, s := range []string{secret, second} {
		if _, err := e.svc.Authenticate(ctx, s, "192.0.2.7"); err != nil {
			t.Errorf("during the overlap a token fails: %v", err)
		}
	}
	e.clock.Advance(time.Hour + time.Second)
	if _, err := e.svc.Authenticate(ctx, secret, "192.0.2.7"); !errors.Is(err,
		directory.ErrUnauthorized) {
		t.Errorf("the old token works after the overlap: %v", err)
	}
	b.signIn("admin@acme.example") // the session went idle meanwhile
	resp, body = b.get("/accounts/" + a.ID + "/sso")
	want(t, resp, body, http.StatusOK, "Expired")
	if secretRE.MatchString(body) {
		t.Error("the SSO page shows a secret after regenerating")
	}

	// Revoking stops the new token at once.
	var current string
	tokens, _ = e.svc.Tokens(ctx, a.ID)
	for _, tok := range tokens {
		if strings.HasPrefix(second, tok.Prefix) {
			current = tok.ID
		}
	}
	resp, _ = b.post("/accounts/"+a.ID+"/tokens/"+current+"/revoke", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke answered %d", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, directory.TokenPrefix) {
		t.Errorf("redirect %q carries a secret", loc)
	}
	if _, err := e.svc.Authenticate(ctx, second, "192.0.2.7"); !errors.Is(err,
		directory.ErrUnauthorized) {
		t.Errorf("a revoked token works: %v", err)
	}
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Token revoked.", "Revoked")
}

func TestTokenFormLimits(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	b := e.browser()
	b.signIn("admin@acme.example")
	if _, _, err := e.svc.CreateToken(context.Background(), a.ID, "x", 0); err != nil {
		t.Fatal(err)
	}
	tokens, _ := e.svc.Tokens(context.Background(), a.ID)
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		msg        string
	}{
		{"label-too-long", "/tokens", url.Values{"label": {strings.Repeat("x", 101)}},
			http.StatusBadRequest, "at most 100 characters"},
		{"overlap-not-offered", "/tokens/" + tokens[0].ID + "/regenerate",
			url.Values{"overlap": {"8760h"}}, http.StatusBadRequest, "from the list"},
		{"unknown-token", "/tokens/nope/revoke", nil, http.StatusNotFound, "no such token"},
		{"form-too-large", "/tokens", url.Values{"label": {strings.Repeat("x", 20<<10)}},
			http.StatusRequestEntityTooLarge, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post("/accounts/"+a.ID+tt.path, tt.form)
			want(t, resp, body, tt.status, tt.msg)
		})
	}
}

// TestAccountIsolation checks that an account admin reaches nothing of
// another account, by page, by form or by token id.
func TestAccountIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mine, theirs := e.account("Mine"), e.account("Theirs")
	e.admin("admin@mine.example", mine.ID)
	theirSecret, theirToken, err := e.svc.CreateToken(ctx, theirs.ID, "theirs", 0)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("admin@mine.example")

	resp, _ := b.get("/")
	if loc := resp.Header.Get("Location"); loc != "/accounts/"+mine.ID+"/sso" {
		t.Errorf("home sends an account admin to %q", loc)
	}
	resp, body := b.get("/accounts/" + mine.ID + "/sso")
	want(t, resp, body, http.StatusOK, "Mine")

	other := "/accounts/" + theirs.ID
	tests := []struct{ method, path string }{
		{"GET", "/accounts"},
		{"POST", "/accounts"},
		{"GET", other},
		{"GET", other + "/sso"},
		{"GET", other + "/users"},
		{"GET", other + "/groups"},
		{"GET", other + "/activity"},
		{"GET", other + "/admins"},
		{"POST", other + "/admins"},
		{"POST", other + "/tokens"},
		{"POST", other + "/tokens/" + theirToken.ID + "/regenerate"},
		{"POST", other + "/tokens/" + theirToken.ID + "/revoke"},
		// Their token through my account's address.
		{"POST", "/accounts/" + mine.ID + "/tokens/" + theirToken.ID + "/regenerate"},
		{"POST", "/accounts/" + mine.ID + "/tokens/" + theirToken.ID + "/revoke"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			var form url.Values
			if tt.method == "POST" {
				form = url.Values{"name": {"x"}, "email": {"x@example.com"},
					"password": {testPassword}}
			}
			resp, body := b.do(tt.method, tt.path, form, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status %d, want 404", resp.StatusCode)
			}
			if strings.Contains(body, "Theirs") || strings.Contains(body, theirToken.Prefix) {
				t.Errorf("the answer shows the other account:\n%s", body)
			}
		})
	}

	if _, err := e.svc.Authenticate(ctx, theirSecret, "192.0.2.1"); err != nil {
		t.Errorf("the other account's token was changed: %v", err)
	}
	if list, _ := e.svc.Tokens(ctx, theirs.ID); len(list) != 1 {
		t.Errorf("the other account has %d tokens, want 1", len(list))
	}
	if users, _ := e.db.ConsoleUsers(ctx, theirs.ID); len(users) != 0 {
		t.Errorf("an admin was added to the other account")
	}
}

func TestOperatorAccounts(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	b := e.browser()
	b.signIn("ops@example.com")

	resp, body := b.get("/accounts")
	want(t, resp, body, http.StatusOK, "No accounts yet")
	resp, body = b.post("/accounts", url.Values{"name": {"Acme"}})
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Acme", "Generate Token")

	for _, tt := range []struct {
		name   string
		status int
		msg    string
	}{
		{"Acme", http.StatusConflict, "An account with this name exists."},
		{"  ", http.StatusBadRequest, "Enter a name for the account."},
		{strings.Repeat("n", 101), http.StatusBadRequest, "at most 100 characters"},
	} {
		resp, body = b.post("/accounts", url.Values{"name": {tt.name}})
		want(t, resp, body, tt.status, tt.msg)
	}

	// An operator adds an admin of the account, who then signs in to it.
	acme, _ := e.svc.AccountByName(context.Background(), "Acme")
	resp, body = b.post("/accounts/"+acme.ID+"/admins", url.Values{
		"email": {"admin@acme.example"}, "password": {testPassword}})
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Admin added.", "admin@acme.example")
	resp, body = b.post("/accounts/"+acme.ID+"/admins", url.Values{
		"email": {"admin@acme.example"}, "password": {testPassword}})
	want(t, resp, body, http.StatusConflict, "exists")
	a2 := e.browser()
	a2.signIn("admin@acme.example")
	resp, body = a2.get("/accounts/" + acme.ID + "/sso")
	want(t, resp, body, http.StatusOK, "Acme")
}

func TestAssetsAndHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, tt := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/assets/console.css", 200, "text/css; charset=utf-8"},
		{"/assets/console.js", 200, "text/javascript; charset=utf-8"},
		{"/assets/", 404, ""},
		{"/assets/nope.css", 404, ""},
		{"/no/such/page", 404, "text/html; charset=utf-8"},
		{"/signin", 200, "text/html; charset=utf-8"},
	} {
		resp, _ := b.get(tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		if ct := resp.Header.Get("Content-Type"); tt.ctype != "" && ct != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, ct, tt.ctype)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q, want DENY", tt.path, xfo)
		}
	}
}
