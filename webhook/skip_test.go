package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

// TestSkipsPrunedEvents fails an endpoint until the retention deletes the
// events it was retrying: when it comes back, the stream moves past them,
// says so in the delivery log and on the stream, and delivers what is
// still kept.
func TestSkipsPrunedEvents(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		acc := account(t, db, "acme")
		now := time.Now()
		rcv := newReceiver(t)
		var down atomic.Bool
		down.Store(true)
		rcv.status = func(int, scimdclient.Event) int {
			if down.Load() {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		}
		ep := &directory.Endpoint{ID: uuid.NewString(), AccountID: acc, URL: rcv.srv.URL,
			Secret: secret, Enabled: true, AllowPrivate: true,
			CreatedAt: now.Add(-50 * 24 * time.Hour)}
		if err := db.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		err := db.Write(ctx, acc, func(tx directory.Tx) error {
			for _, id := range []string{"old1", "old2"} {
				err := tx.Append(&directory.Event{Type: directory.EventUserCreated,
					Time: now.Add(-40 * 24 * time.Hour), Client: "Okta",
					ResourceType: directory.KindUser, ResourceID: id})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		write(t, db, nil, acc, directory.EventUserCreated, "recent")
		start(t, db, nil, nil)
		waitFor(t, "a failed attempt at the first event", 10*time.Second, func() bool {
			log, _ := db.Deliveries(ctx, ep.ID, 0, 10)
			return len(log) > 0
		})

		r := &webhook.Retention{Store: db, Pause: time.Millisecond}
		if n, err := r.Prune(ctx); err != nil || n < 2 {
			t.Fatalf("prune: %d rows, %v; want the 2 old events at least", n, err)
		}
		down.Store(false)
		// The receiver sees the event before the dispatcher records the
		// delivery and moves the stream on: wait for both.
		waitFor(t, "the recent event, recorded", 10*time.Second, func() bool {
			streams, _ := db.Streams(ctx, ep.ID)
			return len(rcv.events()) > 0 && len(streams) == 1 && streams[0].Position == 3
		})

		if got := rcv.events(); len(got) != 1 || got[0].ResourceID != "recent" {
			t.Fatalf("received %+v, want the recent event alone", got)
		}
		log, err := db.Deliveries(ctx, ep.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var skips []*directory.Delivery
		for _, d := range log {
			if d.Skipped() {
				skips = append(skips, d)
			}
		}
		if len(skips) != 1 || skips[0].Position != 2 || skips[0].OK() ||
			!strings.Contains(skips[0].Error, "positions 1 to 2") ||
			!strings.Contains(skips[0].Error, "resynchronise") {
			t.Errorf("skip records: %+v, want one for positions 1 to 2", skips)
		}
		if log[0].Position != 3 || !log[0].OK() {
			t.Errorf("newest entry: %+v, want the delivery of position 3", log[0])
		}
		streams, _ := db.Streams(ctx, ep.ID)
		if len(streams) != 1 || streams[0].SkippedThrough != 2 ||
			streams[0].SkippedAt == nil || streams[0].Position != 3 {
			t.Errorf("stream: %+v, want it at 3 with the skip through 2 recorded", streams)
		}
	})
}
