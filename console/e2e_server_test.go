package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/sqlstore"
)

// run is one browser session against the server, with the steps tests
// take in it.
type run struct {
	t     *testing.T
	srv   *server
	ctx   context.Context
	shots string
}

// screenshotDir returns where screenshots go: docs/screenshots, the
// README's pictures, when SCIMD_UPDATE_SCREENSHOTS=1, else a temporary
// directory.
func screenshotDir(t *testing.T) string {
	dir := t.TempDir()
	if os.Getenv("SCIMD_UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a screenshot of the whole page as name.png.
func (x *run) shot(name string) {
	x.t.Helper()
	png, err := chromedp.Run(x.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		x.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(x.shots, name+".png"), png, 0o644); err != nil {
		x.t.Fatal(err)
	}
}

// do runs steps, failing the test with the server's log when one fails.
func (x *run) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(x.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		x.t.Fatalf("%s: %v\nserver log:\n%s", what, err, x.srv.log())
	}
}

// text returns the text of the first element sel matches.
func (x *run) text(sel string) string {
	x.t.Helper()
	s, err := chromedp.Run(x.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		x.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// value returns the value of the first input sel matches.
func (x *run) value(sel string) string {
	x.t.Helper()
	s, err := chromedp.Run(x.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		x.t.Fatalf("read %s: %v", sel, err)
	}
	return s
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
	url  string
	data string // the SQLite data directory
	stop func() // ends the process and waits for it; safe to call again
	mu   sync.Mutex
	out  bytes.Buffer
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
	s := &server{url: "http://" + addr, data: data}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data,
		"--webhook-allow-private") // the test's webhook receivers listen on 127.0.0.1
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.stop = sync.OnceFunc(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	t.Cleanup(s.stop)

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
