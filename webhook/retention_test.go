package webhook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

func TestRetentionPrunesInBatches(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		acc := account(t, db, "acme")
		old := time.Now().Add(-40 * 24 * time.Hour)
		err := db.Write(ctx, acc, func(tx directory.Tx) error {
			for range 7 {
				err := tx.Append(&directory.Event{Type: directory.EventUserCreated, Time: old,
					Client: "Okta", ResourceType: directory.KindUser, ResourceID: "u"})
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
		ep := endpoint(t, db, acc, "https://vendor.example/hook")
		for _, at := range []time.Time{time.Now().Add(-31 * 24 * time.Hour), time.Now()} {
			d := &directory.Delivery{EndpointID: ep.ID, AccountID: acc, EventID: "e",
				Position: 1, Attempt: 1, StatusCode: 200, Time: at}
			if err := db.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}

		// Batches of 3 take three statements for the 7 old events.
		r := &webhook.Retention{Store: db, Batch: 3, Pause: time.Millisecond}
		n, err := r.Prune(ctx)
		if err != nil || n != 8 {
			t.Fatalf("pruned %d rows, %v; want 7 events and 1 delivery", n, err)
		}
		evs, _ := db.Events(ctx, acc, 7, 100)
		if len(evs) != 1 || evs[0].ResourceID != "recent" {
			t.Errorf("kept %d events, want the recent one", len(evs))
		}
		if _, err := db.Events(ctx, acc, 0, 100); !errors.Is(err, directory.ErrCursorExpired) {
			t.Errorf("reading from the start after pruning: %v, want ErrCursorExpired", err)
		}
		if log, _ := db.Deliveries(ctx, ep.ID, 0, 10); len(log) != 1 {
			t.Errorf("kept %d deliveries, want 1", len(log))
		}
		if n, err := r.Prune(ctx); err != nil || n != 0 {
			t.Errorf("second pass pruned %d, %v; want nothing", n, err)
		}
	})
}
