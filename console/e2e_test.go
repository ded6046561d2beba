package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/sqlstore"
)

// TestEndToEnd drives the real scimd server with a headless Chromium the way
// an account admin does: sign in, create an account, generate a token, copy
// it, let an identity provider use it, watch people arrive, regenerate and
// revoke it, sign out. It saves screenshots of the main pages to a temporary
// directory, or to docs/screenshots (the README's pictures) when
// SCIMD_UPDATE_SCREENSHOTS=1. Without Chromium it is skipped, except under
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
	shots := t.TempDir()
	if os.Getenv("SCIMD_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "docs", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, srv.log())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	value := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}

	// Sign in as the operator and create the customer's account.
	do("open the console", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.url+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("signin")
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), "ops@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit].primary")),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	do("create an account", chromedp.SendKeys(chromedp.CSS("#name"), "Acme Storage"),
		chromedp.Click(chromedp.CSS("form[action='/accounts'] button")),
		chromedp.WaitVisible(chromedp.CSS("#base-url")))
	sso, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	base := value("#base-url")
	if !strings.HasSuffix(base, console.ConnectorPath) {
		t.Fatalf("SCIM connector base URL %q", base)
	}
	base = srv.url + console.ConnectorPath // as the identity provider reaches it here

	// Generate a token and take it from the page, as a person copying it.
	do("generate a token", chromedp.SendKeys(chromedp.CSS("#label"), "Okta production"),
		chromedp.Click(chromedp.CSS("form[action$='/tokens'] button")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
		chromedp.Click(chromedp.CSS("button[data-copy='new-token']")))
	first := value("#new-token")
	if !secretRE.MatchString(first) {
		t.Fatalf("the page shows %q as the token", first)
	}
	shot("sso-token")

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
	do("open users", chromedp.Click(chromedp.CSS("nav.account a[href$='/users']")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	if s := text("main"); !strings.Contains(s, "ada@acme.example") {
		t.Fatalf("the Users page lacks the new user:\n%s", s)
	}
	shot("users")
	do("open the user", chromedp.Click(chromedp.CSS("td a[href*='/users/']")),
		chromedp.WaitVisible(chromedp.CSS("dl.attrs")))
	if s := text("main"); !strings.Contains(s, "Lovelace") || !strings.Contains(s, "Engineering") {
		t.Fatalf("the user's page lacks attributes or groups:\n%s", s)
	}
	shot("user")
	do("open groups", chromedp.Click(chromedp.CSS("nav.account a[href$='/groups']")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	if s := text("main"); !strings.Contains(s, "Engineering") {
		t.Fatalf("the Groups page lacks the new group:\n%s", s)
	}
	do("open the group", chromedp.Click(chromedp.CSS("td a[href*='/groups/']")),
		chromedp.WaitVisible(chromedp.CSS("ul.members")))
	if s := text("ul.members"); !strings.Contains(s, "ada@acme.example") {
		t.Fatalf("the group's members lack the user: %q", s)
	}
	shot("group")

	// The requests show as provisioning activity, the conflict marked. The
	// recorder writes in the background, so look a few times.
	for i := 0; ; i++ {
		do("open activity", chromedp.Click(chromedp.CSS("nav.account a[href$='/activity']")),
			chromedp.WaitVisible(chromedp.CSS("h1")))
		s := text("main")
		if strings.Contains(s, "/Users") && strings.Contains(s, "Failed 409") {
			break
		}
		if i == 20 {
			t.Fatalf("the activity page lacks the SCIM requests:\n%s", s)
		}
		time.Sleep(250 * time.Millisecond)
	}
	shot("activity")

	// Regenerate with the default overlap: both tokens work meanwhile.
	do("open SSO", chromedp.Click(chromedp.CSS("nav.account a[href$='/sso']")),
		chromedp.WaitVisible(chromedp.CSS("form[action$='/regenerate'] button")))
	if s := text("main"); strings.Contains(s, first) {
		t.Fatal("the SSO page shows the token again")
	}
	shot("sso")
	do("regenerate", chromedp.Click(chromedp.CSS("form[action$='/regenerate'] button")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	second := value("#new-token")
	if !secretRE.MatchString(second) || second == first {
		t.Fatalf("regenerate showed %q", second)
	}
	idp.call(first, "GET", "/Users", 200, nil, nil)
	idp.call(second, "GET", "/Users", 200, nil, nil)

	// Revoke both: SCIM answers 401 at once.
	for _, secret := range []string{second, first} {
		row := fmt.Sprintf(`//tr[td/code[starts-with(., %q)]]`+
			`//form[contains(@action, "/revoke")]/button`, secret[:12])
		do("revoke", chromedp.Navigate(sso),
			chromedp.WaitVisible(chromedp.CSS("#base-url")),
			chromedp.Click(row),
			chromedp.WaitVisible(chromedp.CSS("p.flash")))
		idp.call(secret, "GET", "/Users", 401, nil, nil)
	}

	// A phone-width view of the settings, then sign out.
	do("narrow", chromedp.EmulateViewport(390, 844), chromedp.Navigate(sso),
		chromedp.WaitVisible(chromedp.CSS("#base-url")))
	shot("sso-phone")
	do("sign out", chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("form[action='/signout'] button")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Navigate(srv.url+"/accounts"),
		chromedp.WaitVisible(chromedp.CSS("#password")))
}

// findChromium returns the browser's path, or skips the test without one;
// under CI=true a missing browser fails it.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed; CI=true requires it (apt-get install chromium)")
	}
	t.Skip("Chromium is not installed")
	return ""
}

func newBrowser(t *testing.T, path string) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })

	// Start the browser on ctx itself: a browser started on a context
	// derived for one step would end with that step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// server is a scimd process serving on a free local port.
type server struct {
	url string
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// startServer builds scimd, creates an operator in a fresh data directory
// and runs `scimd serve` on it until the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	bin := os.Getenv("SCIMD_E2E_BINARY")
	if bin == "" {
		bin = filepath.Join(dir, "scimd")
		build := exec.Command("go", "build", "-o", bin, "./cmd/scimd")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build scimd: %v\n%s", err, out)
		}
	}

	data := filepath.Join(dir, "data")
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: data, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = console.CreateAdmin(ctx, db, "ops@example.com", testPassword, "")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{url: "http://" + addr}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})

	for start := time.Now(); ; {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("scimd did not answer on %s: %v\n%s", addr, err, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	resp, err := http.Get(s.url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /signin answered %d: scimd serve does not mount the console "+
			"(console.New) at /", resp.StatusCode)
	}
	return s
}

// scimClient is an identity provider talking SCIM over plain net/http.
type scimClient struct {
	t    *testing.T
	base string
}

// call sends a SCIM request with token and checks the status; out, when
// not nil, receives the decoded response.
func (c scimClient) call(token, method, path string, status int, in, out any) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
}
