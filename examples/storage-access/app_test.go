package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

const secret = "whsec_c2NpbWQgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="

// startScimd runs scimd's parts as `scimd serve` joins them: the SCIM API,
// the management API and the webhook dispatcher over one store, behind one
// real HTTP server. It returns the server's URL and an operator API key.
func startScimd(t *testing.T) (string, string) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	changes := &directory.Changes{}
	svc := directory.NewService(directory.NotifyWrites(db, changes), directory.WithLogger(quiet))
	// The app listens on 127.0.0.1, which webhooks reach only when allowed,
	// as with scimd serve --webhook-allow-private.
	d, err := webhook.New(webhook.Config{Store: db, Changes: changes, Logger: quiet,
		Poll: 50 * time.Millisecond, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(func() { _ = d.Stop(context.Background()) })

	mux := http.NewServeMux()
	httpapi.New(httpapi.Config{Service: svc, Logger: quiet}).Register(mux)
	api, err := mgmtapi.New(mgmtapi.Config{Service: svc, Store: db, Changes: changes,
		Webhooks: d, AllowPrivateWebhooks: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(mgmtapi.Prefix+"/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	key, _, err := mgmtapi.CreateAPIKey(context.Background(), db, "storage-access", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, key
}

// okta sends SCIM requests as Okta's provisioning client does.
type okta struct {
	t     *testing.T
	base  string
	token string
}

func (o *okta) do(method, path string, body any) map[string]any {
	o.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, o.base+"/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+o.token)
	req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		o.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

func (o *okta) createUser(email string) string {
	doc := o.do("POST", "/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": email, "active": true, "externalId": "00u" + email[:3],
		"name":   map[string]any{"givenName": email[:3], "familyName": "Tester"},
		"emails": []any{map[string]any{"primary": true, "value": email, "type": "work"}},
	})
	return doc["id"].(string)
}

// pushGroup creates a group without members and then adds them with a
// PATCH, which is how Okta's Push Groups works.
func (o *okta) pushGroup(name string, members ...string) string {
	doc := o.do("POST", "/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": name, "members": []any{},
	})
	id := doc["id"].(string)
	o.members(id, "add", members...)
	return id
}

func (o *okta) members(group, op string, users ...string) {
	var ops []any
	for _, u := range users {
		if op == "add" {
			ops = append(ops, map[string]any{"op": "add", "path": "members",
				"value": []any{map[string]any{"value": u}}})
		} else {
			ops = append(ops, map[string]any{"op": "remove",
				"path": fmt.Sprintf("members[value eq %q]", u)})
		}
	}
	o.do("PATCH", "/Groups/"+group, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": ops,
	})
}

func (o *okta) setActive(user string, active bool) {
	o.do("PATCH", "/Users/"+user, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": active}}},
	})
}

func TestStorageAccessEndToEnd(t *testing.T) {
	ctx := context.Background()
	scimdURL, key := startScimd(t)
	client := scimdclient.New(scimdURL, key)

	// The vendor's app, with its own SQLite database.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "access.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	app, err := NewApp(db, secret, "storage", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	appSrv := httptest.NewServer(app)
	t.Cleanup(appSrv.Close)

	// The operator's setup: an account, a SCIM token for Okta, and the
	// app's webhook endpoint with the app's secret.
	acc, err := client.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.CreateToken(ctx, acc.ID, "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	url, own := appSrv.URL, secret
	hook, err := client.CreateWebhook(ctx, scimdclient.WebhookInput{AccountID: acc.ID, URL: &url,
		Secret: &own})
	if err != nil {
		t.Fatal(err)
	}

	allowed := func(want ...string) {
		t.Helper()
		var got []string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if got, err = app.Allowed(ctx, acc.ID); err != nil {
				t.Fatal(err)
			}
			if slices.Equal(got, want) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("storage access: got %v, want %v", got, want)
	}

	o := &okta{t: t, base: scimdURL, token: tok.Secret}
	ann, bob, cat := o.createUser("ann@acme.test"), o.createUser("bob@acme.test"),
		o.createUser("cat@acme.test")
	storage := o.pushGroup("storage", ann, bob)
	archive := o.pushGroup("archive", cat)
	allowed("ann@acme.test", "bob@acme.test")

	o.setActive(bob, false) // deactivation cuts access
	allowed("ann@acme.test")

	o.members(storage, "remove", ann) // moving ann to archive cuts hers
	o.members(archive, "add", ann)
	allowed()

	o.members(storage, "add", cat) // cat joins storage
	o.setActive(bob, true)         // bob comes back, still a member
	allowed("bob@acme.test", "cat@acme.test")

	// A replay of everything changes nothing: applied events are skipped.
	if err := client.ReplayWebhook(ctx, hook.ID, acc.ID, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	allowed("bob@acme.test", "cat@acme.test")

	o.do("DELETE", "/Groups/"+storage, nil) // the group goes: so does access
	allowed()
}

func TestRefusesWhatIsNotSigned(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "access.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := NewApp(db, secret, "storage", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"e1","type":"user.created","account_id":"a","position":1,` +
		`"resource_id":"u1","data":{"userName":"eve@x.test","active":true}}`)
	signed := func(key string) http.Header {
		h := http.Header{}
		k, _ := directory.WebhookSecretKey(key)
		webhook.SetHeaders(h, k, "e1", time.Now(), body)
		return h
	}
	other, _ := directory.NewWebhookSecret()
	for _, tt := range []struct {
		name   string
		method string
		header http.Header
		want   int
	}{
		{"unsigned", "POST", http.Header{}, 401},
		{"other-secret", "POST", signed(other), 401},
		{"get", "GET", signed(secret), 405},
		{"signed", "POST", signed(secret), 204},
		{"signed-again", "POST", signed(secret), 204},
	} {
		req := httptest.NewRequest(tt.method, "/", bytes.NewReader(body))
		req.Header = tt.header
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM users`).Scan(&n)
	if n != 1 {
		t.Errorf("users after one signed event sent twice: %d, want 1", n)
	}
}
