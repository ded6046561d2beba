package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWebhookFormLimits(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	e.admin("ops@example.com", "")
	b := e.browser()
	b.signIn("admin@acme.example")
	page := "/accounts/" + a.ID + "/webhooks"
	local := "is a local or private address"
	tests := []struct {
		name, url string
		types     []string
		status    int
		msg       string
	}{
		{"empty", "", nil, 400, "Enter the URL that receives the events."},
		{"ftp", "ftp://8.8.8.8/in", nil, 400, "starts with https://"},
		{"relative", "/hooks", nil, 400, "starts with https://"},
		{"opaque", "https:8.8.8.8", nil, 400, "starts with https://"},
		{"too-long", "https://8.8.8.8/" + strings.Repeat("x", 2040), nil, 400,
			"at most 2048 characters"},
		{"credentials", "https://user:pw@8.8.8.8/in", nil, 400, "Leave the user name"},
		{"fragment", "https://8.8.8.8/in#part", nil, 400, "the part after #"},
		{"loopback", "http://127.0.0.1:8080/in", nil, 400, local},
		{"private", "https://10.1.2.3/in", nil, 400, local},
		{"metadata", "http://169.254.169.254/latest/meta-data/", nil, 400, local},
		{"ipv6-loopback", "http://[::1]:8080/in", nil, 400, local},
		{"carrier-nat", "https://100.64.0.1/in", nil, 400, local},
		{"localhost", "http://localhost:9000/in", nil, 400, local},
		{"unknown-host", "https://no-such-host.invalid/in", nil, 400,
			"cannot find the host no-such-host.invalid"},
		{"unknown-type", "https://8.8.8.8/in", []string{"user.exploded"}, 400,
			"Choose the event types from the list."},
		{"form-too-large", "https://8.8.8.8/" + strings.Repeat("x", 20<<10), nil, 413,
			"larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post(page, url.Values{"url": {tt.url}, "types": tt.types})
			want(t, resp, body, tt.status, tt.msg)
		})
	}
	if list, _ := e.db.Endpoints(context.Background()); len(list) != 0 {
		t.Fatalf("refused forms created %d endpoints", len(list))
	}

	// A refused form comes back as it was sent.
	resp, body := b.post(page, url.Values{"url": {"https://10.1.2.3/in"},
		"types": {"group.created"}})
	want(t, resp, body, http.StatusBadRequest, `value="https://10.1.2.3/in"`,
		`value="group.created" checked`)

	// Operators get the same refusal unless the server allows private
	// addresses, and are told how.
	ops := e.browser()
	ops.signIn("ops@example.com")
	resp, body = ops.post(page, url.Values{"url": {"http://127.0.0.1:8080/in"}})
	want(t, resp, body, http.StatusBadRequest, "--webhook-allow-private")

	// An account has at most ten endpoints of its own; the global ones and
	// another account's do not count.
	e.endpoint("", "https://8.8.8.8/global")
	other := e.account("Other")
	for range 10 {
		e.endpoint(other.ID, "https://8.8.8.8/other")
	}
	for range 9 {
		e.endpoint(a.ID, "https://8.8.8.8/in")
	}
	resp, body = b.post(page, url.Values{"url": {"https://8.8.8.8/tenth"}})
	want(t, resp, body, http.StatusOK, "https://8.8.8.8/tenth")
	resp, body = b.post(page, url.Values{"url": {"https://8.8.8.8/eleventh"}})
	want(t, resp, body, http.StatusConflict, "This account has 10 endpoints")
}

// TestWebhookIsolation checks that an account admin sees nothing of
// another account's endpoints and deliveries, even on a global endpoint
// that serves both, and changes none of them.
func TestWebhookIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mine, theirs := e.account("Mine"), e.account("Theirs")
	e.admin("admin@mine.example", mine.ID)
	e.user(mine.ID, "me@mine.example", "Me", true)
	e.user(theirs.ID, "them@theirs.example", "Them", true)
	theirEP := e.endpoint(theirs.ID, "https://theirs-receiver.example/THEIRS-URL")
	global := e.endpoint("", "https://hooks.vendor.example/in")
	e.fail(theirEP, theirs.ID, e.position(theirs.ID), 500, "THEIRS-ERROR on their endpoint", false)
	e.fail(global, theirs.ID, e.position(theirs.ID), 500, "THEIRS-ERROR on the global one", false)
	e.delivered(global, mine.ID, e.position(mine.ID))
	b := e.browser()
	b.signIn("admin@mine.example")

	resp, body := b.get("/accounts/" + mine.ID + "/webhooks")
	want(t, resp, body, http.StatusOK, "https://hooks.vendor.example/", "✓ Healthy", "✓ 204")
	for _, s := range []string{"THEIRS", theirEP.ID, "Retrying", "failed"} {
		if strings.Contains(body, s) {
			t.Errorf("the page shows %q of the other account", s)
		}
	}

	mineBase, theirBase := "/accounts/"+mine.ID+"/webhooks/", "/accounts/"+theirs.ID+"/webhooks/"
	tests := []struct{ method, path string }{
		{"GET", "/accounts/" + theirs.ID + "/webhooks"},
		{"POST", "/accounts/" + theirs.ID + "/webhooks"},
		{"POST", theirBase + theirEP.ID + "/disable"},
		{"POST", theirBase + theirEP.ID + "/delete"},
		{"POST", mineBase + theirEP.ID + "/disable"},
		{"POST", mineBase + theirEP.ID + "/delete"},
		{"POST", mineBase + theirEP.ID + "/test"},
		{"POST", mineBase + global.ID + "/disable"},
		{"POST", mineBase + global.ID + "/delete"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			var form url.Values
			if tt.method == "POST" {
				form = url.Values{"url": {"https://8.8.8.8/in"}}
			}
			resp, body := b.do(tt.method, tt.path, form, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status %d, want 404", resp.StatusCode)
			}
			if strings.Contains(body, "THEIRS") || strings.Contains(body, "Theirs") {
				t.Errorf("the answer shows the other account:\n%s", body)
			}
		})
	}

	list, err := e.db.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("%d endpoints after the attempts, want 2", len(list))
	}
	for _, ep := range list {
		if !ep.Enabled {
			t.Errorf("endpoint %s was disabled", ep.URL)
		}
	}
}

func TestWebhookFormsCrossOrigin(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	ep := e.endpoint(a.ID, "https://8.8.8.8/in")
	b := e.browser()
	b.signIn("admin@acme.example")
	page := "/accounts/" + a.ID + "/webhooks"
	cross := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	for _, path := range []string{page, page + "/" + ep.ID + "/delete",
		page + "/" + ep.ID + "/disable", page + "/" + ep.ID + "/test"} {
		resp, body := b.do(http.MethodPost, path, url.Values{"url": {"https://8.8.4.4/x"}},
			cross)
		want(t, resp, body, http.StatusForbidden, "sent from another site")
	}
	list, _ := e.db.Endpoints(context.Background())
	if len(list) != 1 || !list[0].Enabled {
		t.Errorf("cross-origin forms changed the endpoints: %d left", len(list))
	}
}
