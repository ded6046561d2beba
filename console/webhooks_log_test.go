package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
)

// TestWebhookLogOfBusyGlobalEndpoint shows an account its entries of a
// global endpoint's log however many entries of other accounts came after
// them.
func TestWebhookLogOfBusyGlobalEndpoint(t *testing.T) {
	e := newEnv(t)
	a, busy := e.account("Acme"), e.account("Busy")
	e.admin("admin@acme.example", a.ID)
	global := e.endpoint("", "https://hooks.vendor.example/in")
	e.fail(global, a.ID, 7, 502, "endpoint answered 502 Bad Gateway", false)
	e.delivered(global, a.ID, 8)
	ctx := context.Background()
	for i := range 600 {
		d := &directory.Delivery{EndpointID: global.ID, AccountID: busy.ID,
			EventID: fmt.Sprint("busy", i), Position: int64(i + 1), Attempt: 1,
			StatusCode: 204, Time: e.clock.Now()}
		if err := e.db.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(time.Second)

	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body := b.get("/accounts/" + a.ID + "/webhooks")
	want(t, resp, body, http.StatusOK, "<td>8</td>", "<td>7</td>", "✓ 204",
		"endpoint answered 502 Bad Gateway")
	if n := strings.Count(body, "<tr"); n != 3 { // the header and a's two entries
		t.Errorf("the log shows %d rows, want a's 2 under the header", n-1)
	}
	resp, body = b.get("/accounts/" + a.ID + "/webhooks?failures=1")
	want(t, resp, body, http.StatusOK, "<td>7</td>", "endpoint answered 502 Bad Gateway")
	if strings.Contains(body, "<td>8</td>") {
		t.Error("the failures-only view lists a success")
	}
}

// TestWebhookSkippedEvents shows a stream that moved past events the
// retention deleted: a notice on the endpoint, the log entry that records
// it, and entries of pruned events as no longer kept.
func TestWebhookSkippedEvents(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	ep := e.endpoint(a.ID, "https://8.8.8.8/hook")
	e.user(a.ID, "ada@acme.example", "Ada", true)
	e.user(a.ID, "bob@acme.example", "Bob", true)
	pos := e.position(a.ID)
	e.delivered(ep, a.ID, 1)

	ctx := context.Background()
	later := e.clock.Now().Add(time.Hour) // the events were written on this clock
	if n, err := e.db.PruneEvents(ctx, later, 100); err != nil || n != int(pos) {
		t.Fatalf("prune: %d, %v; want %d events", n, err, pos)
	}
	// What the dispatcher does when it finds the stream behind the mark.
	now := e.clock.Now()
	if err := e.db.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := e.db.LeaseStream(ctx, ep.ID, a.ID, "test", now, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SkipStream(ctx, s, pos, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	skip := &directory.Delivery{EndpointID: ep.ID, AccountID: a.ID, Position: pos, Time: now,
		Error: fmt.Sprintf("events at positions 2 to %d were deleted by the retention", pos)}
	if err := e.db.RecordDelivery(ctx, skip); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)

	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body := b.get("/accounts/" + a.ID + "/webhooks")
	want(t, resp, body, http.StatusOK, `<p class="skipped-banner" role="alert">`,
		"⚠ Events skipped", fmt.Sprintf("Events up to position %d were deleted", pos),
		"users and groups again", `<tr class="skipped">`, "⚠ Skipped",
		fmt.Sprintf("up to %d", pos), "events at positions 2 to", "no longer kept")
	if strings.Contains(body, " failed</span>") {
		t.Error("the skip record counts as a failed attempt")
	}
}
