package mgmtapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

// env is a management API on a real database behind a real HTTP server,
// with the webhook dispatcher running as scimd serve runs it.
type env struct {
	t       *testing.T
	db      *sqlstore.DB
	svc     *directory.Service
	changes *directory.Changes
	srv     *httptest.Server
	key     string
	client  *scimdclient.Client
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	changes := &directory.Changes{}
	svc := directory.NewService(directory.NotifyWrites(db, changes), directory.WithLogger(quiet()))
	// The receivers of these tests listen on 127.0.0.1, which only an
	// explicit setting lets webhooks reach.
	d, err := webhook.New(webhook.Config{Store: db, Changes: changes, Logger: quiet(),
		Poll: 20 * time.Millisecond, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(func() { _ = d.Stop(context.Background()) })

	api, err := mgmtapi.New(mgmtapi.Config{Service: svc, Store: db, Changes: changes,
		Webhooks: d, AllowPrivateWebhooks: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(mgmtapi.Prefix+"/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	key, _, err := mgmtapi.CreateAPIKey(context.Background(), db, "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, svc: svc, changes: changes, srv: srv, key: key,
		client: scimdclient.New(srv.URL, key)}
}

// sqliteEnv is an env on SQLite, for tests whose point is not the engine.
func sqliteEnv(t *testing.T) *env {
	return newEnv(t, sqlstoretest.Open(t, sqlstore.SQLite))
}

// call sends a request with the env's key and returns the status and the
// decoded JSON body (nil when empty).
func (e *env) call(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	return e.callAs(e.key, method, path, body)
}

func (e *env) callAs(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+mgmtapi.Prefix+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, data)
		}
	}
	return resp.StatusCode, out
}

// errCode returns the code of an error body.
func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (e *env) account(name string) string {
	e.t.Helper()
	a, err := e.svc.CreateAccount(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

// create stores a resource through the directory service, as a SCIM
// request from Okta would.
func (e *env) create(account string, kind directory.Kind, doc map[string]any) string {
	e.t.Helper()
	schema := "urn:ietf:params:scim:schemas:core:2.0:User"
	if kind == directory.KindGroup {
		schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	}
	doc["schemas"] = []any{schema}
	v, err := e.svc.Create(context.Background(),
		directory.Actor{AccountID: account, Client: "Okta"}, kind, doc)
	if err != nil {
		e.t.Fatalf("create %s: %v", kind, err)
	}
	return v.ID
}

func user(name string, active bool) map[string]any {
	return map[string]any{"userName": name, "active": active,
		"emails": []any{map[string]any{"value": name, "primary": true}}}
}
