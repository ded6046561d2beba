package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const newPassword = "a much better passphrase"

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	acme := e.account("Acme")
	e.admin("me@acme.example", acme.ID)
	b := e.browser()
	b.signIn("me@acme.example")
	elsewhere := e.browser()
	elsewhere.signIn("me@acme.example")

	resp, body := b.get("/accounts/" + acme.ID + "/sso")
	want(t, resp, body, http.StatusOK, `href="/password"`)
	resp, body = b.get("/password")
	want(t, resp, body, http.StatusOK, "<h1>Change password</h1>", `name="current"`)
	before := resp.Request.Header.Get("Cookie")

	tests := []struct {
		name, current, password, confirm string
		status                           int
		msg                              string
	}{
		{"no-current", "", newPassword, newPassword, 400, "Enter your current password."},
		{"confirm-differs", testPassword, newPassword, "something else", 400,
			"The two new passwords differ."},
		{"short", testPassword, "short", "short", 400, "at least 12 characters"},
		{"long", testPassword, strings.Repeat("p", 257), strings.Repeat("p", 257), 400,
			"at most 256 bytes"},
		{"unchanged", testPassword, testPassword, testPassword, 400, "not your current one"},
		{"wrong-current", "wrong password!", newPassword, newPassword, 403,
			"Your current password is wrong."},
		{"huge-current", strings.Repeat("c", 300), newPassword, newPassword, 403,
			"Your current password is wrong."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post("/password", url.Values{"current": {tt.current},
				"password": {tt.password}, "confirm": {tt.confirm}})
			want(t, resp, body, tt.status, tt.msg)
		})
	}

	// A cross-origin change is refused.
	form := url.Values{"current": {testPassword}, "password": {newPassword},
		"confirm": {newPassword}}
	resp, body = b.do(http.MethodPost, "/password", form,
		http.Header{"Origin": {"https://evil.example"}})
	want(t, resp, body, http.StatusForbidden)

	// The change keeps this browser signed in, with a new session, and ends
	// every other session, the old cookie of this browser's included.
	resp, body = b.post("/password", form)
	want(t, resp, body, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/password?changed=1" {
		t.Fatalf("after the change redirect to %q", loc)
	}
	resp, body = b.get("/password?changed=1")
	want(t, resp, body, http.StatusOK, "Password changed.")
	elsewhere.signedOut()
	resp, _ = e.browser().do(http.MethodGet, "/password", nil, http.Header{"Cookie": {before}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session from before the change still works: %d", resp.StatusCode)
	}

	// Only the new password signs in.
	resp, body = e.browser().post("/signin", url.Values{"email": {"me@acme.example"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusUnauthorized)
	resp, body = e.browser().post("/signin", url.Values{"email": {"me@acme.example"},
		"password": {newPassword}})
	want(t, resp, body, http.StatusSeeOther)
}

// TestChangePasswordThrottled checks that guesses at the current password,
// from a session left open say, share the sign-in limit of the user's email.
func TestChangePasswordThrottled(t *testing.T) {
	e := newEnv(t)
	e.admin("ops@example.com", "")
	b := e.browser()
	b.signIn("ops@example.com")
	guess := url.Values{"current": {"wrong password!"}, "password": {newPassword},
		"confirm": {newPassword}}
	for range 5 {
		resp, body := b.post("/password", guess)
		want(t, resp, body, http.StatusForbidden)
	}
	resp, body := b.post("/password", url.Values{"current": {testPassword},
		"password": {newPassword}, "confirm": {newPassword}})
	want(t, resp, body, http.StatusTooManyRequests, "Too many wrong passwords")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("a throttled answer has no Retry-After")
	}
	resp, body = e.browser().post("/signin", url.Values{"email": {"ops@example.com"},
		"password": {testPassword}})
	want(t, resp, body, http.StatusTooManyRequests)
}
