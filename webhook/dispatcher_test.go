package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

func ids(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

// checkOrder fails unless evs are exactly the resources want, once each,
// in order, with strictly growing positions.
func checkOrder(t *testing.T, evs []scimdclient.Event, want []string) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if ev.ResourceID != want[i] {
			t.Fatalf("event %d is about %q, want %q", i, ev.ResourceID, want[i])
		}
		if i > 0 && ev.Position <= evs[i-1].Position {
			t.Fatalf("position %d after %d", ev.Position, evs[i-1].Position)
		}
	}
}

func TestDeliversInOrder(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		acc := account(t, db, "acme")
		rcv := newReceiver(t)
		endpoint(t, db, acc, rcv.srv.URL)
		start(t, db, changes, nil)

		want := ids(30, "u")
		write(t, db, changes, acc, directory.EventUserCreated, want...)
		waitFor(t, "30 deliveries", 10*time.Second, func() bool { return len(rcv.events()) >= 30 })
		evs := rcv.events()
		checkOrder(t, evs, want)

		// The payload carries every field the wire promises.
		var raw map[string]any
		b, _ := json.Marshal(evs[0])
		_ = json.Unmarshal(b, &raw)
		for _, k := range []string{"id", "type", "account_id", "position", "time", "client",
			"resource_type", "resource_id", "version", "changed", "data"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("payload lacks %q", k)
			}
		}
		if e := evs[0]; e.AccountID != acc || e.Type != directory.EventUserCreated ||
			e.Client != "Okta" || e.ResourceType != "User" || e.Changed == nil {
			t.Errorf("payload: got %+v", e)
		}
	})
}

func TestRetriesThenMarksFailingThenRecovers(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		acc := account(t, db, "acme")
		rcv := newReceiver(t)
		var down atomic.Bool
		down.Store(true)
		rcv.status = func(n int, ev scimdclient.Event) int {
			if down.Load() {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		ep := endpoint(t, db, acc, rcv.srv.URL)
		start(t, db, changes, func(c *webhook.Config) {
			ms := time.Millisecond
			c.Schedule = []time.Duration{5 * ms, 10 * ms, 20 * ms}
			c.FailingAfter = 150 * time.Millisecond
		})
		write(t, db, changes, acc, directory.EventUserCreated, "first", "second")

		ctx := context.Background()
		waitFor(t, "the endpoint marked failing after 3 attempts", 10*time.Second, func() bool {
			e, err := db.Endpoint(ctx, ep.ID)
			log, _ := db.Deliveries(ctx, ep.ID, 0, 100)
			return err == nil && e.FailingSince != nil && len(log) >= 3
		})
		if got := rcv.events(); len(got) != 0 {
			t.Fatalf("accepted %d events while down", len(got))
		}

		// Every attempt was at the first event, numbered, with a retry
		// time, and the waits grew along the schedule.
		log, err := db.Deliveries(ctx, ep.ID, 0, 100)
		if err != nil || len(log) < 3 {
			t.Fatalf("attempts log: %d entries, %v", len(log), err)
		}
		for i, d := range log {
			want := len(log) - i
			if d.Attempt != want || d.Position != 1 || d.StatusCode != 503 ||
				d.NextAttempt == nil || d.Error == "" {
				t.Fatalf("attempt %d: got %+v", want, d)
			}
		}
		oldest := log[len(log)-1]
		if wait := oldest.NextAttempt.Sub(oldest.Time); wait != 5*time.Millisecond {
			t.Errorf("first wait: %s, want the schedule's 5ms", wait)
		}
		if wait := log[0].NextAttempt.Sub(log[0].Time); wait != 20*time.Millisecond {
			t.Errorf("wait after the schedule's end: %s, want its last 20ms", wait)
		}

		// The endpoint comes back: both events arrive in order, and the
		// mark is cleared.
		down.Store(false)
		waitFor(t, "recovery", 10*time.Second, func() bool { return len(rcv.events()) == 2 })
		checkOrder(t, rcv.events(), []string{"first", "second"})
		waitFor(t, "the failing mark cleared", 5*time.Second, func() bool {
			e, err := db.Endpoint(ctx, ep.ID)
			return err == nil && e.FailingSince == nil
		})
	})
}

func TestIsolatesAccounts(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		a, b := account(t, db, "a"), account(t, db, "b")
		onlyA, all := newReceiver(t), newReceiver(t)
		endpoint(t, db, a, onlyA.srv.URL)
		endpoint(t, db, "", all.srv.URL)
		start(t, db, changes, nil)

		write(t, db, changes, b, directory.EventUserCreated, "b1", "b2")
		write(t, db, changes, a, directory.EventUserCreated, "a1")
		write(t, db, changes, b, directory.EventUserCreated, "b3")
		waitFor(t, "4 deliveries to the global endpoint", 10*time.Second,
			func() bool { return len(all.events()) == 4 })
		waitFor(t, "a's delivery", 10*time.Second, func() bool { return len(onlyA.events()) == 1 })

		time.Sleep(100 * time.Millisecond) // room for a wrong delivery to show
		for _, ev := range onlyA.events() {
			if ev.AccountID != a || ev.ResourceID != "a1" {
				t.Errorf("account a's endpoint got %s of account %s", ev.ResourceID, ev.AccountID)
			}
		}
		var fromB []string
		for _, ev := range all.events() {
			if ev.AccountID == b {
				fromB = append(fromB, ev.ResourceID)
			}
		}
		if fmt.Sprint(fromB) != "[b1 b2 b3]" {
			t.Errorf("global endpoint got b's events %v, want [b1 b2 b3] in order", fromB)
		}
	})
}

func TestReplayAndTypeFilter(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		acc := account(t, db, "acme")
		rcv := newReceiver(t)
		ep := endpoint(t, db, acc, rcv.srv.URL, directory.EventUserDeleted)
		d := start(t, db, changes, nil)

		write(t, db, changes, acc, directory.EventUserCreated, "c1", "c2")
		write(t, db, changes, acc, directory.EventUserDeleted, "d1")
		write(t, db, changes, acc, directory.EventUserCreated, "c3")
		write(t, db, changes, acc, directory.EventUserDeleted, "d2")
		waitFor(t, "the two deletions", 10*time.Second, func() bool { return len(rcv.events()) == 2 })
		checkOrder(t, rcv.events(), []string{"d1", "d2"})

		// The cursor moved past the skipped types too.
		ctx := context.Background()
		waitFor(t, "the cursor at the end", 5*time.Second, func() bool {
			ss, _ := db.Streams(ctx, ep.ID)
			return len(ss) == 1 && ss[0].Position == 5
		})

		// Replay from position 2: d1 and d2 again, in order.
		if err := db.ResetStream(ctx, ep.ID, acc, 2); err != nil {
			t.Fatal(err)
		}
		d.Kick()
		waitFor(t, "the replay", 10*time.Second, func() bool { return len(rcv.events()) == 4 })
		checkOrder(t, rcv.events()[2:], []string{"d1", "d2"})
	})
}

// A dead endpoint holds its own streams only: a healthy endpoint keeps
// receiving while the dead one's attempts time out.
func TestSlowEndpointDoesNotBlockOthers(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		acc := account(t, db, "acme")
		slow, fast := newReceiver(t), newReceiver(t)
		slow.delay = time.Hour
		slowEP := endpoint(t, db, acc, slow.srv.URL)
		endpoint(t, db, acc, fast.srv.URL)
		start(t, db, changes, func(c *webhook.Config) {
			c.Timeout = 200 * time.Millisecond
			c.Schedule = []time.Duration{time.Hour}
		})

		began := time.Now()
		write(t, db, changes, acc, directory.EventUserCreated, ids(5, "u")...)
		waitFor(t, "the fast endpoint", 5*time.Second, func() bool { return len(fast.events()) == 5 })
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("the fast endpoint waited %s", took)
		}

		ctx := context.Background()
		waitFor(t, "the slow endpoint's timeout", 5*time.Second, func() bool {
			log, _ := db.Deliveries(ctx, slowEP.ID, 0, 10)
			return len(log) == 1
		})
		log, _ := db.Deliveries(ctx, slowEP.ID, 0, 10)
		if log[0].StatusCode != 0 || log[0].Error == "" || log[0].Latency < 150*time.Millisecond {
			t.Errorf("timed-out attempt: got %+v", log[0])
		}
	})
}

func TestReplicasShareStreams(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, changes := open(t), &directory.Changes{}
		accs := []string{account(t, db, "a"), account(t, db, "b"), account(t, db, "c")}
		rcv := newReceiver(t)
		endpoint(t, db, "", rcv.srv.URL)
		// Two dispatchers on one database, as two replicas would run.
		for _, owner := range []string{"replica-1", "replica-2"} {
			start(t, db, changes, func(c *webhook.Config) { c.Owner = owner })
		}

		want := map[string][]string{}
		for i := range 10 {
			for _, acc := range accs {
				id := fmt.Sprintf("%s-%d", acc[:4], i)
				want[acc] = append(want[acc], id)
				write(t, db, changes, acc, directory.EventUserCreated, id)
			}
		}
		waitFor(t, "30 deliveries", 10*time.Second, func() bool { return len(rcv.events()) >= 30 })
		time.Sleep(100 * time.Millisecond)
		got := map[string][]scimdclient.Event{}
		for _, ev := range rcv.events() {
			got[ev.AccountID] = append(got[ev.AccountID], ev)
		}
		for _, acc := range accs {
			checkOrder(t, got[acc], want[acc])
		}
	})
}

func TestSendTest(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		rcv := newReceiver(t)
		ep := endpoint(t, db, "", rcv.srv.URL)
		d, err := webhook.New(webhook.Config{Store: db, AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		del, err := d.SendTest(context.Background(), ep)
		if err != nil || !del.OK() || del.ID == 0 || del.Attempt != 1 {
			t.Fatalf("test delivery: got %+v, %v", del, err)
		}
		evs := rcv.events()
		if len(evs) != 1 || evs[0].Type != directory.EventWebhookTest || evs[0].Position != 0 {
			t.Fatalf("received: %+v", evs)
		}

		ep.URL = rcv.srv.URL + "/gone"
		rcv.status = func(int, scimdclient.Event) int { return http.StatusGone }
		del, err = d.SendTest(context.Background(), ep)
		if err != nil || del.OK() || del.StatusCode != http.StatusGone {
			t.Fatalf("failed test delivery: got %+v, %v; want a 410 reported, no error", del, err)
		}
	})
}
