package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/sqlstore"
)

// scimd runs one command line against dataDir and returns its stdout.
func scimd(t *testing.T, dataDir string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args, "--data", dataDir)
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func startMain(t *testing.T, dataDir string) *Main {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = dataDir
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCommandLineWhileServing drives the documented first steps: the server
// runs, an operator creates an account and a token from the command line,
// and an identity provider uses the token at once; revoking it stops it.
func TestCommandLineWhileServing(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)

	id, stderr, code := scimd(t, dir, "account", "create", "acme")
	if code != 0 {
		t.Fatalf("account create: exit %d: %s", code, stderr)
	}
	if id = strings.TrimSpace(id); len(id) != 36 {
		t.Fatalf("account create printed %q, want an id", id)
	}
	if _, _, code := scimd(t, dir, "account", "create", "acme"); code == 0 {
		t.Fatal("second account create with the same name succeeded")
	}

	out, stderr, code := scimd(t, dir, "token", "create", "--account", "acme", "--label", "okta")
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, stderr)
	}
	token := strings.TrimSpace(out)
	if !strings.HasPrefix(token, "scimd_") || strings.Contains(token, "\n") || len(token) < 40 {
		t.Fatalf("token create printed %q, want the token alone", out)
	}

	base := m.URL() + "/api/sso/user_provisioning"
	status, user := do(t, "POST", base+"/Users", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /Users = %d %v", status, user)
	}

	list, _, code := scimd(t, dir, "token", "list", "--account", "acme")
	if code != 0 || !strings.Contains(list, "okta") || !strings.Contains(list, token[:12]) {
		t.Fatalf("token list = %q", list)
	}
	if strings.Contains(list, token) {
		t.Fatal("token list shows the whole secret")
	}
	tokenID := strings.Fields(strings.Split(list, "\n")[1])[0]

	if _, stderr, code := scimd(t, dir, "token", "revoke", tokenID); code != 0 {
		t.Fatalf("token revoke: exit %d: %s", code, stderr)
	}
	status, body := do(t, "GET", base+"/Users", token, "")
	if status != http.StatusUnauthorized || body["status"] != "401" {
		t.Fatalf("GET after revoke = %d %v, want 401 with a SCIM body", status, body)
	}
}

func TestTokenCreateUnknownAccount(t *testing.T) {
	_, stderr, code := scimd(t, t.TempDir(), "token", "create", "--account", "nobody")
	if code == 0 || !strings.Contains(stderr, "scimd account create nobody") {
		t.Fatalf("exit %d, stderr %q: want a failure that says how to create the account", code, stderr)
	}
}

func TestConfigPrecedence(t *testing.T) {
	cfg := DefaultConfig()
	fs, env := flag.NewFlagSet("test", flag.ContinueOnError), map[string]string{"SCIMD_ADDR": "0.0.0.0:9000", "SCIMD_MAX_PAGE_SIZE": "50"}
	if err := cfg.bind(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--max-page-size", "70"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9000" || cfg.Limits.MaxPageSize != 70 || cfg.DataDir != "./scimd-data" {
		t.Fatalf("config = %+v", cfg)
	}
	if got := sqlstore.RedactURL("postgres://u:secret@db/x"); strings.Contains(got, "secret") {
		t.Fatalf("RedactURL left the password: %s", got)
	}
}

func TestRedactURL(t *testing.T) {
	for _, in := range []string{
		"postgres://u:secret@db/x",
		"postgres://db/x?sslmode=disable&password=secret",
		"host=db user=u password=secret",
	} {
		if got := sqlstore.RedactURL(in); strings.Contains(got, "secret") || got == "" {
			t.Errorf("RedactURL(%q) = %q", in, got)
		}
	}
	const plain = "postgres://u@db/x?sslmode=disable"
	if got := sqlstore.RedactURL(plain); got != plain {
		t.Errorf("redactURL changed a URL without a password: %q", got)
	}
}

func TestWebhookAllowPrivateSetting(t *testing.T) {
	for _, tt := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, false},
		{"true", nil, true},
		{"1", []string{"--webhook-allow-private=false"}, false},
		{"", []string{"--webhook-allow-private"}, true},
	} {
		cfg := DefaultConfig()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		env := map[string]string{"SCIMD_WEBHOOK_ALLOW_PRIVATE": tt.env}
		if err := cfg.bind(fs, func(k string) string { return env[k] }); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if cfg.WebhookAllowPrivate != tt.want {
			t.Errorf("env %q, args %v: allow private = %v, want %v", tt.env, tt.args,
				cfg.WebhookAllowPrivate, tt.want)
		}
	}
	cfg := DefaultConfig()
	env := map[string]string{"SCIMD_WEBHOOK_ALLOW_PRIVATE": "maybe"}
	err := cfg.bind(flag.NewFlagSet("test", flag.ContinueOnError),
		func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SCIMD_WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("a bad boolean: %v, want an error naming the variable", err)
	}
}

// TestServerLimits checks the limits of the HTTP server itself: headers
// larger than any client needs are refused before a handler runs.
func TestServerLimits(t *testing.T) {
	m := startMain(t, t.TempDir())
	req, err := http.NewRequest("GET", m.URL()+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: %d, want 431", resp.StatusCode)
	}

	req.Header.Set("X-Padding", strings.Repeat("a", 8<<10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("8 KiB of headers: %d, want 200", resp.StatusCode)
	}
}

func TestAdminCreate(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := scimd(t, dir, "account", "create", "acme"); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("SCIMD_ADMIN_PASSWORD", "correct horse battery staple")
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"admin", "create", "--email", "ops@example.com"}, 0, "operator over all accounts"},
		{[]string{"admin", "create", "--email", "it@acme.example", "--account", "acme"}, 0, "admin of account acme"},
		{[]string{"admin", "create", "--email", "OPS@example.com"}, 1, ""},
		{[]string{"admin", "create", "--email", "x@example.com", "--account", "nobody"}, 1, ""},
		{[]string{"admin", "create"}, 1, ""},
	} {
		out, stderr, code := scimd(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("%v: exit %d, out %q, stderr %q; want exit %d and %q", tc.args, code, out, stderr, tc.code, tc.out)
		}
	}
}

// TestServeTLS starts scimd with a certificate and checks that it answers
// over HTTPS, and that half a TLS configuration is refused.
func TestServeTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, cert, "CERTIFICATE", srv.TLS.Certificates[0].Certificate[0])
	der, err := x509.MarshalPKCS8PrivateKey(srv.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, key, "PRIVATE KEY", der)

	cfg := DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.TLSCert, cfg.TLSKey = "127.0.0.1:0", filepath.Join(dir, "data"), cert, key
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.HasPrefix(m.URL(), "https://") {
		t.Fatalf("URL = %s, want https", m.URL())
	}
	resp, err := srv.Client().Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}

	cfg.TLSKey = ""
	if err := (&Main{Config: cfg}).Open(context.Background()); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
