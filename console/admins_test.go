package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/directory"
)

// gone fails the test unless the console user with email no longer exists.
func (e *env) gone(email string) {
	e.t.Helper()
	_, err := e.db.ConsoleUserByEmail(context.Background(), email)
	if !errors.Is(err, directory.ErrNotFound) {
		e.t.Errorf("console user %s: %v, want removed", email, err)
	}
}

// signedOut fails the test unless b's session has ended.
func (b *browser) signedOut() {
	b.e.t.Helper()
	resp, _ := b.get("/password")
	if resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		b.e.t.Errorf("session still works: %d to %q", resp.StatusCode,
			resp.Header.Get("Location"))
	}
}

func TestRemoveAccountAdmin(t *testing.T) {
	e := newEnv(t)
	ops := e.admin("ops@example.com", "")
	acme, other := e.account("Acme"), e.account("Other")
	me := e.admin("me@acme.example", acme.ID)
	colleague := e.admin("colleague@acme.example", acme.ID)
	stranger := e.admin("admin@other.example", other.ID)
	b := e.browser()
	b.signIn("me@acme.example")
	cb := e.browser()
	cb.signIn("colleague@acme.example")

	// Each admin but oneself has a remove button.
	base := "/accounts/" + acme.ID + "/admins"
	resp, body := b.get(base)
	want(t, resp, body, http.StatusOK, base+"/"+colleague.ID+"/remove", "you")
	if strings.Contains(body, me.ID+"/remove") {
		t.Error("the page offers to remove the signed-in admin")
	}

	tests := []struct {
		name, path string
		status     int
		msg        string
	}{
		{"oneself", base + "/" + me.ID + "/remove", 400, "You cannot remove yourself."},
		{"other-accounts-admin", base + "/" + stranger.ID + "/remove", 404, "no such admin"},
		{"via-other-account", "/accounts/" + other.ID + "/admins/" + stranger.ID + "/remove",
			404, "no such account"},
		{"operator-via-account", base + "/" + ops.ID + "/remove", 404, "no such admin"},
		{"operator-page", "/operators/" + ops.ID + "/remove", 404, "no page"},
		{"unknown", base + "/nope/remove", 404, "no such admin"},
		{"long-id", base + "/" + strings.Repeat("x", 65) + "/remove", 404, "no such admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post(tt.path, nil)
			want(t, resp, body, tt.status, tt.msg)
		})
	}
	for _, u := range []*directory.ConsoleUser{ops, me, stranger} {
		if _, err := e.db.ConsoleUser(context.Background(), u.ID); err != nil {
			t.Errorf("%s was removed: %v", u.Email, err)
		}
	}

	// A cross-origin removal is refused.
	resp, body = b.do(http.MethodPost, base+"/"+colleague.ID+"/remove", url.Values{},
		http.Header{"Sec-Fetch-Site": {"cross-site"}})
	want(t, resp, body, http.StatusForbidden, "sent from another site")

	// Removing a colleague ends their sessions at once.
	resp, body = b.post(base+"/"+colleague.ID+"/remove", nil)
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Admin removed.")
	e.gone("colleague@acme.example")
	cb.signedOut()
	resp, body = e.browser().post("/signin", url.Values{"email": {"colleague@acme.example"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusUnauthorized)

	// An operator removes any account's admin.
	ob := e.browser()
	ob.signIn("ops@example.com")
	resp, body = ob.post("/accounts/"+other.ID+"/admins/"+stranger.ID+"/remove", nil)
	want(t, resp, body, http.StatusSeeOther)
	e.gone("admin@other.example")
}

func TestAddAccountAdminLimits(t *testing.T) {
	e := newEnv(t)
	acme := e.account("Acme")
	e.admin("me@acme.example", acme.ID)
	b := e.browser()
	b.signIn("me@acme.example")
	base := "/accounts/" + acme.ID + "/admins"
	tests := []struct {
		name, email, password string
		status                int
		msg                   string
	}{
		{"bad-email", "not an email", testPassword, 400, "Enter an email address"},
		{"long-email", strings.Repeat("a", 250) + "@x.example", testPassword, 400,
			"Enter an email address"},
		{"short-password", "new@acme.example", "short", 400, "at least 12 characters"},
		{"long-password", "new@acme.example", strings.Repeat("p", 257), 400, "at most 256"},
		{"taken", "ME@acme.example", testPassword, 409, "exists"},
		{"huge-form", "new@acme.example", strings.Repeat("p", 20<<10), 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post(base, url.Values{"email": {tt.email},
				"password": {tt.password}})
			want(t, resp, body, tt.status, tt.msg)
		})
	}

	// An account admin adds a colleague, who sees this account only.
	resp, body := b.post(base, url.Values{"email": {"new@acme.example"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusSeeOther)
	nb := e.browser()
	nb.signIn("new@acme.example")
	resp, body = nb.get("/accounts")
	want(t, resp, body, http.StatusNotFound)
	if list, _ := e.db.ConsoleUsers(context.Background(), acme.ID); len(list) != 2 {
		t.Errorf("the account has %d admins, want 2", len(list))
	}
}

func TestOperators(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	acme := e.account("Acme")
	e.admin("admin@acme.example", acme.ID)

	// Account admins have no operators page, nor its forms.
	ab := e.browser()
	ab.signIn("admin@acme.example")
	resp, body := ab.get("/operators")
	want(t, resp, body, http.StatusNotFound)
	resp, body = ab.post("/operators", url.Values{"email": {"evil@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusNotFound)
	e.gone("evil@example.com")
	if strings.Contains(body, `href="/operators"`) {
		t.Error("an account admin's page links to the operators")
	}

	b := e.browser()
	b.signIn("ops@example.com")
	resp, body = b.get("/operators")
	want(t, resp, body, http.StatusOK, "<h1>Operators</h1>", "ops@example.com", "you")
	resp, body = b.post("/operators", url.Values{"email": {"ops2@example.com"},
		"password": {"short"}})
	want(t, resp, body, http.StatusBadRequest, "at least 12 characters")
	resp, body = b.post("/operators", url.Values{"email": {"ops2@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Operator added.", "ops2@example.com")

	// The new operator sees every account; they are an operator, not an
	// admin of an account.
	ob := e.browser()
	ob.signIn("ops2@example.com")
	resp, body = ob.get("/accounts")
	want(t, resp, body, http.StatusOK, "Acme")
	ops2, _ := e.db.ConsoleUserByEmail(context.Background(), "ops2@example.com")
	if !ops2.Operator() {
		t.Errorf("the added operator has account %q", ops2.AccountID)
	}

	// An operator is not removed through an account's page, nor oneself.
	resp, body = b.post("/accounts/"+acme.ID+"/admins/"+ops2.ID+"/remove", nil)
	want(t, resp, body, http.StatusNotFound)
	ops, _ := e.db.ConsoleUserByEmail(context.Background(), "ops@example.com")
	resp, body = b.post("/operators/"+ops.ID+"/remove", nil)
	want(t, resp, body, http.StatusBadRequest, "You cannot remove yourself.")

	// Two operators removing each other at once leave one: the other
	// request is refused, or finds its session ended first.
	var wg sync.WaitGroup
	resps := make([]*http.Response, 2)
	for i, x := range []struct {
		b      *browser
		target string
	}{{b, ops2.ID}, {ob, ops.ID}} {
		wg.Go(func() { resps[i], _ = x.b.post("/operators/"+x.target+"/remove", nil) })
	}
	wg.Wait()
	removed := 0
	for _, resp := range resps {
		loc := resp.Header.Get("Location")
		switch {
		case resp.StatusCode == http.StatusSeeOther && loc == "/operators?removed=1":
			removed++
		case resp.StatusCode == http.StatusConflict,
			resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/signin"):
		default:
			t.Errorf("removal answered %d to %q", resp.StatusCode, loc)
		}
	}
	if left, _ := e.db.ConsoleUsers(context.Background(), ""); removed != 1 || len(left) != 1 {
		t.Errorf("%d removals succeeded and %d operators are left, want 1 and 1",
			removed, len(left))
	}
}
