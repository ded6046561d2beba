package mgmtapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/scimdclient"
)

// hookReceiver verifies and records deliveries.
type hookReceiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []string // event types
	bad    int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := scimdclient.VerifyWebhook(h.secret, r.Header, body, 0); err != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev scimdclient.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			h.bad++
		}
		h.got = append(h.got, ev.Type)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestWebhookRoutes(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	acc, other := e.account("acme"), e.account("other")
	rcv := newHookReceiver(t)
	url := rcv.srv.URL

	w, err := e.client.CreateWebhook(ctx, scimdclient.WebhookInput{AccountID: acc, URL: &url})
	if err != nil || !strings.HasPrefix(w.Secret, "whsec_") || !w.Enabled || w.AccountID != acc {
		t.Fatalf("create: %+v, %v", w, err)
	}
	rcv.mu.Lock()
	rcv.secret = w.Secret
	rcv.mu.Unlock()

	// A test event arrives signed, and the attempt is logged.
	d, err := e.client.TestWebhook(ctx, w.ID)
	if err != nil || d.StatusCode != 200 || d.Attempt != 1 {
		t.Fatalf("test: %+v, %v", d, err)
	}
	if got := rcv.types(); len(got) != 1 || got[0] != directory.EventWebhookTest {
		t.Fatalf("received %v", got)
	}

	// Changes in the account arrive; the other account's do not.
	e.create(other, directory.KindUser, user("x@other.test", true))
	e.create(acc, directory.KindUser, user("ann@acme.test", true))
	waitUntil(t, "the user.created delivery", func() bool { return len(rcv.types()) == 2 })
	// The cursor moves once the receiver's answer is in, a moment after
	// the receiver has the event.
	var got *scimdclient.Webhook
	waitUntil(t, "the cursor after the delivery", func() bool {
		got, err = e.client.Webhook(ctx, w.ID)
		return err == nil && len(got.Streams) == 1 && got.Streams[0].Position == 1
	})
	if got.Streams[0].AccountID != acc || got.Secret != "" {
		t.Fatalf("get: %+v", got)
	}

	// Replay: the event is delivered again.
	if err := e.client.ReplayWebhook(ctx, w.ID, acc, 0); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the replay", func() bool { return len(rcv.types()) == 3 })
	if got := rcv.types(); got[2] != directory.EventUserCreated {
		t.Errorf("replayed %v", got)
	}
	// The attempt is logged a moment after the receiver has the event.
	var log []scimdclient.Delivery
	waitUntil(t, "the replay logged", func() bool {
		log, err = e.client.Deliveries(ctx, w.ID, 0, 10)
		return err == nil && len(log) == 3
	})
	if log[0].Position != 1 || log[2].EventID == "" {
		t.Fatalf("deliveries: %+v, %v", log, err)
	}
	if older, _ := e.client.Deliveries(ctx, w.ID, log[0].ID, 10); len(older) != 2 {
		t.Errorf("deliveries before %d: %d, want 2", log[0].ID, len(older))
	}

	// Only deletions from now on, then disabled.
	types := []string{directory.EventUserDeleted}
	off := false
	up, err := e.client.UpdateWebhook(ctx, w.ID, scimdclient.WebhookInput{EventTypes: &types})
	if err != nil || len(up.EventTypes) != 1 || !up.Enabled {
		t.Fatalf("update: %+v, %v", up, err)
	}
	up, err = e.client.UpdateWebhook(ctx, w.ID, scimdclient.WebhookInput{Enabled: &off})
	if err != nil || up.Enabled || len(up.EventTypes) != 1 {
		t.Fatalf("disable: %+v, %v", up, err)
	}
	all, err := e.client.Webhooks(ctx, acc)
	if err != nil || len(all) != 1 {
		t.Fatalf("list: %+v, %v", all, err)
	}
	if none, _ := e.client.Webhooks(ctx, other); len(none) != 0 {
		t.Errorf("list of the other account: %+v", none)
	}

	if err := e.client.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Webhook(ctx, w.ID); !scimdclient.IsNotFound(err) {
		t.Errorf("deleted webhook: %v", err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.bad != 0 {
		t.Errorf("%d deliveries failed verification", rcv.bad)
	}
}

// TestWebhookListFilter checks that account_id keeps the list to that
// account's own endpoints: neither the global ones nor another account's.
func TestWebhookListFilter(t *testing.T) {
	e := sqliteEnv(t)
	acc, other := e.account("acme"), e.account("other")
	made := map[string]string{} // endpoint id by name
	for _, tc := range []struct{ name, account string }{
		{"global", ""}, {"acme1", acc}, {"other", other}, {"acme2", acc},
	} {
		status, body := e.call("POST", "/webhooks", `{"url":"https://vendor.example/`+
			tc.name+`","account_id":"`+tc.account+`"}`)
		if status != 201 {
			t.Fatalf("create %s: %d %v", tc.name, status, body)
		}
		made[tc.name], _ = body["id"].(string)
	}

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"all", "", []string{"global", "acme1", "other", "acme2"}},
		{"acme", "?account_id=" + acc, []string{"acme1", "acme2"}},
		{"other", "?account_id=" + other, []string{"other"}},
		{"unknown-account", "?account_id=nope", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.call("GET", "/webhooks"+tc.query, "")
			items, ok := body["items"].([]any)
			if status != 200 || !ok {
				t.Fatalf("got %d %v, want 200 with items", status, body)
			}
			got := make([]string, 0, len(items))
			for _, it := range items {
				id, _ := it.(map[string]any)["id"].(string)
				got = append(got, id)
			}
			want := make([]string, 0, len(tc.want))
			for _, name := range tc.want {
				want = append(want, made[name])
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v (%v)", got, want, tc.want)
			}
		})
	}
}

func TestWebhookValidation(t *testing.T) {
	e := sqliteEnv(t)
	acc, other := e.account("acme"), e.account("other")
	_, body := e.call("POST", "/webhooks",
		`{"url":"https://vendor.example/hook","account_id":"`+acc+`"}`)
	id, _ := body["id"].(string)

	tests := []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"no-url", "POST", "/webhooks", `{}`, 400, "url is required"},
		{"relative-url", "POST", "/webhooks", `{"url":"/hook"}`, 400, "absolute"},
		{"ftp-url", "POST", "/webhooks", `{"url":"ftp://x/y"}`, 400, "http or https"},
		{"credentials", "POST", "/webhooks", `{"url":"https://u:p@x/y"}`, 400, "credentials"},
		{"long-url", "POST", "/webhooks", `{"url":"https://x/` + strings.Repeat("a", 2100) + `"}`,
			400, "longer"},
		{"unknown-type", "POST", "/webhooks", `{"url":"https://x","event_types":["user.made"]}`,
			400, "user.made"},
		{"bad-secret", "POST", "/webhooks", `{"url":"https://x","secret":"hunter2"}`, 400, "whsec_"},
		{"short-secret", "POST", "/webhooks", `{"url":"https://x","secret":"whsec_AAAA"}`, 400,
			"bytes"},
		{"unknown-account", "POST", "/webhooks", `{"url":"https://x","account_id":"nope"}`, 404,
			"nope"},
		{"move-account", "PATCH", "/webhooks/" + id, `{"account_id":"` + other + `"}`, 400,
			"cannot change"},
		{"patch-unknown", "PATCH", "/webhooks/nope", `{}`, 404, ""},
		{"test-unknown", "POST", "/webhooks/nope/test", ``, 404, ""},
		{"replay-no-position", "PUT", "/webhooks/" + id + "/streams/" + acc, `{}`, 400, "position"},
		{"replay-other-account", "PUT", "/webhooks/" + id + "/streams/" + other,
			`{"position":0}`, 404, "does not take"},
		{"replay-unknown-account", "PUT", "/webhooks/" + id + "/streams/nope",
			`{"position":0}`, 404, ""},
		{"deliveries-bad-before", "GET", "/webhooks/" + id + "/deliveries?before=x", ``, 400,
			"before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.call(tt.method, tt.path, tt.body)
			msg, _ := body["error"].(map[string]any)["message"].(string)
			if status != tt.status || !strings.Contains(msg, tt.detail) {
				t.Errorf("got %d %v, want %d mentioning %q", status, body, tt.status, tt.detail)
			}
		})
	}

	// A secret of one's own is kept.
	const own = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	status, body := e.call("POST", "/webhooks", `{"url":"http://x.test","secret":"`+own+`"}`)
	if status != 201 || body["secret"] != own || body["account_id"] != nil {
		t.Errorf("own secret on a global endpoint: %d %v", status, body)
	}
}

// TestWebhookPrivateAddresses checks that, unless the operator allows it, an
// endpoint URL cannot name this host or a private or link-local address
// (the dispatcher also checks the address each name resolves to).
func TestWebhookPrivateAddresses(t *testing.T) {
	e := sqliteEnv(t)
	strict, err := mgmtapi.New(mgmtapi.Config{Service: e.svc, Store: e.db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, mgmtapi.Prefix+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		rec := httptest.NewRecorder()
		strict.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	status, body := call("POST", "/webhooks", `{"url":"https://vendor.example/hook"}`)
	if status != http.StatusCreated {
		t.Fatalf("public URL: %d %s", status, body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, method, path, url string }{
		{"loopback", "POST", "/webhooks", "http://127.0.0.1:8080/hook"},
		{"loopback-v6", "POST", "/webhooks", "http://[::1]/hook"},
		{"metadata", "POST", "/webhooks", "http://169.254.169.254/latest/meta-data/"},
		{"private", "POST", "/webhooks", "https://10.0.0.5/hook"},
		{"localhost", "POST", "/webhooks", "http://localhost:9000/hook"},
		{"patch-to-private", "PATCH", "/webhooks/" + created.ID, "http://192.168.1.10/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(tt.method, tt.path, `{"url":"`+tt.url+`"}`)
			if status != http.StatusBadRequest || !strings.Contains(body, "public") ||
				!strings.Contains(body, "--webhook-allow-private") {
				t.Errorf("got %d %s, want 400 naming the setting", status, body)
			}
		})
	}

	// The env's API runs as with --webhook-allow-private, and what it makes
	// is an operator's endpoint, which the dispatcher lets reach the
	// address.
	status, made := e.call("POST", "/webhooks", `{"url":"http://127.0.0.1:9/"}`)
	if status != 201 {
		t.Fatalf("allowed private URL: %d %v", status, made)
	}
	id, _ := made["id"].(string)
	if ep, err := e.db.Endpoint(context.Background(), id); err != nil || !ep.AllowPrivate {
		t.Errorf("endpoint made through the API: %+v, %v; want AllowPrivate", ep, err)
	}
}
