package console_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimd/scimd/console"
)

// TestEndToEnd drives the real scimd server with a headless Chromium the way
// an account admin does: sign in, create an account, generate a token, copy
// it, let an identity provider use it, watch people arrive, add webhook
// endpoints and watch the changes reach them, regenerate and revoke the
// token, sign out. Then it checks that no token or signing secret of the
// run is in the server's log or the activity entries. It saves screenshots
// of the main pages to a temporary directory, or to docs/screenshots (the
// README's pictures) when SCIMD_UPDATE_SCREENSHOTS=1. Without Chromium it is skipped, except under
// CI=true.
//
// The server is built from ./cmd/scimd, or taken from SCIMD_E2E_BINARY when
// that names a prebuilt binary.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end test starts a browser; skipped with -short")
	}
	chromium := findChromium(t)
	srv := startServer(t)
	ctx := newBrowser(t, chromium)
	x := &run{t: t, srv: srv, ctx: ctx, shots: screenshotDir(t)}

	// Sign in as the operator and create the customer's account.
	x.do("open the console", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.url+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	x.shot("signin")
	x.do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), "ops@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit].primary")),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	x.do("create an account", chromedp.SendKeys(chromedp.CSS("#name"), "Acme Storage"),
		chromedp.Click(chromedp.CSS("form[action='/accounts'] button")),
		chromedp.WaitVisible(chromedp.CSS("#base-url")))
	sso, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	base := x.value("#base-url")
	if !strings.HasSuffix(base, console.ConnectorPath) {
		t.Fatalf("SCIM connector base URL %q", base)
	}
	base = srv.url + console.ConnectorPath // as the identity provider reaches it here

	// Generate a token and take it from the page, as a person copying it.
	x.do("generate a token", chromedp.SendKeys(chromedp.CSS("#label"), "Okta production"),
		chromedp.Click(chromedp.CSS("form[action$='/tokens'] button")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
		chromedp.Click(chromedp.CSS("button[data-copy='new-token']")))
	first := x.value("#new-token")
	if !secretRE.MatchString(first) {
		t.Fatalf("the page shows %q as the token", first)
	}
	x.shot("sso-token")

	// The identity provider creates a user and a group with it.
	idp := scimClient{t: t, base: base}
	var user struct{ ID string }
	idp.call(first, "POST", "/Users", 201, map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "ada@acme.example", "displayName": "Ada Lovelace", "active": true,
		"name":   map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails": []any{map[string]any{"value": "ada@acme.example", "primary": true}},
	}, &user)
	idp.call(first, "POST", "/Groups", 201, map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering",
		"members":     []any{map[string]any{"value": user.ID}},
	}, nil)
	idp.call(first, "GET", "/Users?filter="+url.QueryEscape(`userName eq "nobody"`), 200, nil, nil)
	idp.call(first, "POST", "/Users", 409, map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "ada@acme.example",
	}, nil)

	// Both arrive in the console.
	x.do("open users", chromedp.Click(chromedp.CSS("nav.account a[href$='/users']")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	if s := x.text("main"); !strings.Contains(s, "ada@acme.example") {
		t.Fatalf("the Users page lacks the new user:\n%s", s)
	}
	x.shot("users")
	x.do("open the user", chromedp.Click(chromedp.CSS("td a[href*='/users/']")),
		chromedp.WaitVisible(chromedp.CSS("dl.attrs")))
	if s := x.text("main"); !strings.Contains(s, "Lovelace") || !strings.Contains(s, "Engineering") {
		t.Fatalf("the user's page lacks attributes or groups:\n%s", s)
	}
	x.shot("user")
	x.do("open groups", chromedp.Click(chromedp.CSS("nav.account a[href$='/groups']")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	if s := x.text("main"); !strings.Contains(s, "Engineering") {
		t.Fatalf("the Groups page lacks the new group:\n%s", s)
	}
	x.do("open the group", chromedp.Click(chromedp.CSS("td a[href*='/groups/']")),
		chromedp.WaitVisible(chromedp.CSS("ul.members")))
	if s := x.text("ul.members"); !strings.Contains(s, "ada@acme.example") {
		t.Fatalf("the group's members lack the user: %q", s)
	}
	x.shot("group")

	// The requests show as provisioning activity, the conflict marked. The
	// recorder writes in the background, so look a few times.
	for i := 0; ; i++ {
		x.do("open activity", chromedp.Click(chromedp.CSS("nav.account a[href$='/activity']")),
			chromedp.WaitVisible(chromedp.CSS("h1")))
		s := x.text("main")
		if strings.Contains(s, "/Users") && strings.Contains(s, "Failed 409") {
			break
		}
		if i == 20 {
			t.Fatalf("the activity page lacks the SCIM requests:\n%s", s)
		}
		time.Sleep(250 * time.Millisecond)
	}
	x.shot("activity")
	hooks := x.webhooks(strings.TrimSuffix(sso, "/sso")+"/webhooks", func() {
		var grace struct{ ID string }
		idp.call(first, "POST", "/Users", 201, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "grace@acme.example", "active": true,
		}, &grace)
		idp.call(first, "POST", "/Groups", 201, map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Storage",
			"members":     []any{map[string]any{"value": grace.ID}},
		}, nil)
	})

	// Regenerate with the default overlap: both tokens work meanwhile.
	x.do("open SSO", chromedp.Click(chromedp.CSS("nav.account a[href$='/sso']")),
		chromedp.WaitVisible(chromedp.CSS("form[action$='/regenerate'] button")))
	if s := x.text("main"); strings.Contains(s, first) {
		t.Fatal("the SSO page shows the token again")
	}
	x.shot("sso")
	x.do("regenerate", chromedp.Click(chromedp.CSS("form[action$='/regenerate'] button")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	second := x.value("#new-token")
	if !secretRE.MatchString(second) || second == first {
		t.Fatalf("regenerate showed %q", second)
	}
	idp.call(first, "GET", "/Users", 200, nil, nil)
	idp.call(second, "GET", "/Users", 200, nil, nil)

	// Revoke both: SCIM answers 401 at once.
	for _, secret := range []string{second, first} {
		row := fmt.Sprintf(`//tr[td/code[starts-with(., %q)]]`+
			`//form[contains(@action, "/revoke")]/button`, secret[:12])
		x.do("revoke", chromedp.Navigate(sso),
			chromedp.WaitVisible(chromedp.CSS("#base-url")),
			chromedp.Click(row),
			chromedp.WaitVisible(chromedp.CSS("p.flash")))
		idp.call(secret, "GET", "/Users", 401, nil, nil)
	}

	// A phone-width view of the settings, then sign out.
	x.do("narrow", chromedp.EmulateViewport(390, 844), chromedp.Navigate(sso),
		chromedp.WaitVisible(chromedp.CSS("#base-url")))
	x.shot("sso-phone")
	x.do("sign out", chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("form[action='/signout'] button")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Navigate(srv.url+"/accounts"),
		chromedp.WaitVisible(chromedp.CSS("#password")))

	// No token or signing secret of this run reached the log or the
	// activity entries.
	account := strings.TrimSuffix(strings.TrimPrefix(sso, srv.url+"/accounts/"), "/sso")
	checkNoSecrets(t, srv, account, append([]string{first, second}, hooks...)...)
}
