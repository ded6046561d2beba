package console_test

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/webhook"
)

// webhookSecretRE finds a signing secret in a page, once its HTML escapes
// are undone.
var webhookSecretRE = regexp.MustCompile(directory.WebhookSecretPrefix + `[A-Za-z0-9+/]{43}=`)

// endpoint creates an endpoint in the store, as the management API does;
// accountID "" makes a global one.
func (e *env) endpoint(accountID, rawURL string) *directory.Endpoint {
	e.t.Helper()
	secret, err := directory.NewWebhookSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	ep := &directory.Endpoint{ID: uuid.NewString(), AccountID: accountID, URL: rawURL,
		Secret: secret, Enabled: true, CreatedAt: e.clock.Now()}
	if err := e.db.CreateEndpoint(context.Background(), ep); err != nil {
		e.t.Fatal(err)
	}
	return ep
}

// endpointOf returns the only endpoint of an account.
func (e *env) endpointOf(accountID string) *directory.Endpoint {
	e.t.Helper()
	list, err := e.db.Endpoints(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var found []*directory.Endpoint
	for _, ep := range list {
		if ep.AccountID == accountID {
			found = append(found, ep)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("account %q has %d endpoints, want 1", accountID, len(found))
	}
	return found[0]
}

// delivered logs a successful attempt at an account's event.
func (e *env) delivered(ep *directory.Endpoint, account string, position int64) {
	e.t.Helper()
	d := &directory.Delivery{EndpointID: ep.ID, AccountID: account, EventID: "ev-ok",
		Position: position, Attempt: 1, StatusCode: 204, Latency: 42 * time.Millisecond,
		Time: e.clock.Now()}
	if err := e.db.RecordDelivery(context.Background(), d); err != nil {
		e.t.Fatal(err)
	}
}

// fail leaves account's stream of ep as the dispatcher does after three
// failed attempts at the event at position: the attempt logged with status
// (0: no response) and msg, a retry due in ten minutes and, when marked,
// the endpoint marked failing.
func (e *env) fail(ep *directory.Endpoint, account string, position int64, status int,
	msg string, marked bool) {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	first, next := now.Add(-25*time.Hour), now.Add(10*time.Minute)
	if err := e.db.EnsureStreams(ctx); err != nil {
		e.t.Fatal(err)
	}
	s, err := e.db.LeaseStream(ctx, ep.ID, account, "test", now, now.Add(time.Minute))
	if err != nil {
		e.t.Fatal(err)
	}
	d := &directory.Delivery{EndpointID: ep.ID, AccountID: account, EventID: "ev-fail",
		Position: position, Attempt: 3, StatusCode: status, Error: msg,
		Latency: 120 * time.Millisecond, Time: now, NextAttempt: &next}
	if err := e.db.RecordDelivery(ctx, d); err != nil {
		e.t.Fatal(err)
	}
	s.Attempts, s.FirstFailure, s.RetryAt = 3, &first, &next
	if err := e.db.RetryStream(ctx, s); err != nil {
		e.t.Fatal(err)
	}
	if marked {
		since := first.Add(24 * time.Hour)
		if err := e.db.SetEndpointFailing(ctx, ep.ID, &since); err != nil {
			e.t.Fatal(err)
		}
	}
}

// position returns the position of an account's last event.
func (e *env) position(account string) int64 {
	e.t.Helper()
	events, err := e.db.Events(context.Background(), account, 0, 1000)
	if err != nil || len(events) == 0 {
		e.t.Fatalf("account %q has no events: %v", account, err)
	}
	return events[len(events)-1].Position
}

func TestWebhookSecretShownOnce(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	b := e.browser()
	b.signIn("admin@acme.example")
	page := "/accounts/" + a.ID + "/webhooks"

	resp, body := b.get(page)
	want(t, resp, body, http.StatusOK, "Settings › Webhooks", "No endpoints yet",
		`aria-current="page">Webhooks</a>`, "Add endpoint", "user.created")

	resp, body = b.post(page, url.Values{"url": {"https://8.8.8.8/hooks/scim"},
		"types": {"user.created", "group.created"}})
	want(t, resp, body, http.StatusOK, "Copy Secret", "it will not be shown again",
		"https://8.8.8.8/hooks/scim", "<code>group.created</code>, <code>user.created</code>",
		"No deliveries yet")
	secret := webhookSecretRE.FindString(html.UnescapeString(body))
	if secret == "" {
		t.Fatalf("no signing secret in the response:\n%s", body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on the page with the secret, want no-store", cc)
	}
	ep := e.endpointOf(a.ID)
	if ep.Secret != secret || !ep.Enabled || len(ep.EventTypes) != 2 {
		t.Errorf("stored endpoint %+v does not match the form", ep)
	}

	// No later page holds it.
	for _, p := range []string{page, page + "?failures=1", "/accounts/" + a.ID + "/sso"} {
		resp, body = b.get(p)
		want(t, resp, body, http.StatusOK)
		if webhookSecretRE.MatchString(html.UnescapeString(body)) {
			t.Errorf("%s shows a signing secret", p)
		}
	}
}

func TestWebhooksPageShowsFailures(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	e.admin("ops@example.com", "")
	e.user(a.ID, "ada@acme.example", "Ada", true)
	pos := e.position(a.ID)
	failing := e.endpoint(a.ID, "https://8.8.8.8/down")
	healthy := e.endpoint(a.ID, "https://8.8.4.4/up")
	global := e.endpoint("", "https://hooks.vendor.example/in/scim?code=vendor-key")
	e.delivered(failing, a.ID, pos)
	e.fail(failing, a.ID, pos, 503,
		"endpoint answered 503 Service Unavailable: down for maintenance", true)
	e.delivered(healthy, a.ID, pos)
	e.delivered(global, a.ID, pos)
	e.fail(global, a.ID, pos, 0, `Post "https://hooks.vendor.example/in/scim?code=vendor-key": `+
		"dial tcp 10.9.8.7:443: connect: connection refused", false)
	e.clock.Advance(time.Second) // the session starts after the seeding

	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body := b.get("/accounts/" + a.ID + "/webhooks")
	want(t, resp, body, http.StatusOK,
		`<section class="endpoint failing"`, "✗ Failing since",
		"Last error: endpoint answered 503 Service Unavailable: down for maintenance",
		"Next attempt:", `<tr class="failed">`, "1 failed", "<code>user.created</code>",
		"✓ Healthy", "✓ 204", "42 ms",
		"Endpoints of the service", "https://hooks.vendor.example/…",
		"no response; the service&#39;s operators see why")
	if strings.Contains(body, "vendor-key") || strings.Contains(body, "/in/scim") ||
		strings.Contains(body, "10.9.8.7") {
		t.Error("an account admin sees the path, query or errors of a global endpoint")
	}
	if strings.Contains(body, "/webhooks/"+global.ID+"/") {
		t.Error("an account admin is offered actions on a global endpoint")
	}
	if strings.Contains(body, "Send test event") {
		t.Error("the test button shows although the console has no dispatcher")
	}

	// Failures only: the failed attempt stays, the successes go.
	resp, body = b.get("/accounts/" + a.ID + "/webhooks?failures=1")
	want(t, resp, body, http.StatusOK, "down for maintenance", "No deliveries to show")
	if strings.Contains(body, "✓ 204") {
		t.Error("the failures-only view lists a successful attempt")
	}

	// A stream that failed for less than a day is retrying, not failing.
	if err := e.db.SetEndpointFailing(context.Background(), failing.ID, nil); err != nil {
		t.Fatal(err)
	}
	resp, body = b.get("/accounts/" + a.ID + "/webhooks")
	want(t, resp, body, http.StatusOK, `<section class="endpoint retrying"`,
		"Retrying: 3 failed attempts since")

	// An operator sees the global endpoint's whole URL.
	ops := e.browser()
	ops.signIn("ops@example.com")
	resp, body = ops.get("/accounts/" + a.ID + "/webhooks")
	want(t, resp, body, http.StatusOK,
		"https://hooks.vendor.example/in/scim?code=vendor-key",
		"no response: Post &#34;https://hooks.vendor.example/in/scim?code=vendor-key&#34;")
}

func TestWebhookActions(t *testing.T) {
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Header.Get("webhook-signature") != "" {
			got.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	e := newEnvWith(t, func(db *sqlstore.DB, cfg *console.Config) {
		d, err := webhook.New(webhook.Config{Store: db, AllowPrivate: true,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Webhooks, cfg.AllowPrivateWebhooks = d, true
	})
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	e.admin("ops@example.com", "")
	page := "/accounts/" + a.ID + "/webhooks"

	// An operator may aim an account's endpoint at a private address.
	ops := e.browser()
	ops.signIn("ops@example.com")
	resp, body := ops.post(page, url.Values{"url": {recv.URL + "/hook"}})
	want(t, resp, body, http.StatusOK, "Copy Secret", "<dd>All</dd>")
	ep := e.endpointOf(a.ID)
	base := page + "/" + ep.ID

	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body = b.post(base+"/test", nil)
	want(t, resp, body, http.StatusOK, "Test event delivered", "answered 204",
		"<code>webhook.test</code>", "<td>test</td>")
	if got.Load() != 1 {
		t.Errorf("the receiver got %d signed posts, want 1", got.Load())
	}

	for _, tt := range []struct {
		action, flash string
		enabled       bool
	}{
		{"disable", "Endpoint disabled.", false},
		{"enable", "Endpoint enabled.", true},
	} {
		resp, body = b.post(base+"/"+tt.action, nil)
		want(t, resp, body, http.StatusSeeOther)
		resp, body = b.get(resp.Header.Get("Location"))
		want(t, resp, body, http.StatusOK, tt.flash)
		if got, _ := e.db.Endpoint(context.Background(), ep.ID); got.Enabled != tt.enabled {
			t.Errorf("after %s the endpoint is enabled=%v", tt.action, got.Enabled)
		}
	}
	resp, body = b.get(page)
	want(t, resp, body, http.StatusOK)
	if webhookSecretRE.MatchString(html.UnescapeString(body)) {
		t.Error("the page shows the signing secret after actions")
	}

	resp, _ = b.post(base+"/rename", nil)
	want(t, resp, "", http.StatusNotFound)
	resp, body = b.post(base+"/delete", nil)
	want(t, resp, body, http.StatusSeeOther)
	resp, body = b.get(resp.Header.Get("Location"))
	want(t, resp, body, http.StatusOK, "Endpoint deleted", "No endpoints yet")
	resp, body = b.post(base+"/test", nil)
	want(t, resp, body, http.StatusNotFound, "no such webhook endpoint")
}

func TestWebhookTestNeedsDispatcher(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	ep := e.endpoint(a.ID, "https://8.8.8.8/hook")
	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body := b.post("/accounts/"+a.ID+"/webhooks/"+ep.ID+"/test", nil)
	want(t, resp, body, http.StatusServiceUnavailable, "Webhook delivery is not running")
}
