package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

func streamOf(t *testing.T, db *sqlstore.DB, endpointID, accountID string) *directory.Stream {
	t.Helper()
	list, err := db.Streams(context.Background(), endpointID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.AccountID == accountID {
			return s
		}
	}
	return nil
}

func TestEnsureStreams(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a, b := mustAccount(t, db, "a"), mustAccount(t, db, "b")
		before := appendEvents(t, db, a.ID, 3, now.Add(-time.Hour))
		appendEvents(t, db, a.ID, 2, now.Add(time.Hour))

		global := mustEndpoint(t, db, "", now)
		own := mustEndpoint(t, db, b.ID, now)
		off := mustEndpoint(t, db, a.ID, now)
		off.Enabled = false
		if err := db.UpdateEndpoint(ctx, off); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second run finds nothing to do
			if err := db.EnsureStreams(ctx); err != nil {
				t.Fatal(err)
			}
		}

		tests := []struct {
			name        string
			endpoint    string
			account     string
			exists      bool
			wantStartAt int64
		}{
			{"global-starts-after-older-events", global.ID, a.ID, true, before},
			{"global-new-account-from-start", global.ID, b.ID, true, 0},
			{"own-account", own.ID, b.ID, true, 0},
			{"own-not-other-account", own.ID, a.ID, false, 0},
			{"disabled-has-none", off.ID, a.ID, false, 0},
		}
		for _, tt := range tests {
			s := streamOf(t, db, tt.endpoint, tt.account)
			if (s != nil) != tt.exists {
				t.Errorf("%s: stream exists %v, want %v", tt.name, s != nil, tt.exists)
				continue
			}
			if s != nil && s.Position != tt.wantStartAt {
				t.Errorf("%s: starts at %d, want %d", tt.name, s.Position, tt.wantStartAt)
			}
		}

		// Only streams with events after their position are due.
		due, err := db.DueStreams(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].EndpointID != global.ID || due[0].AccountID != a.ID {
			t.Fatalf("due: got %+v, want the global endpoint's stream of account a", due)
		}
	})
}

func TestStreamLease(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a := mustAccount(t, db, "a")
		e := mustEndpoint(t, db, a.ID, now.Add(-time.Hour))
		appendEvents(t, db, a.ID, 5, now)
		if err := db.EnsureStreams(ctx); err != nil {
			t.Fatal(err)
		}

		// Of many owners racing for the stream, exactly one gets it.
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			owners []string
		)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := string(rune('A' + i))
				_, err := db.LeaseStream(ctx, e.ID, a.ID, owner, now, now.Add(time.Minute))
				if err == nil {
					mu.Lock()
					owners = append(owners, owner)
					mu.Unlock()
				} else if !errors.Is(err, directory.ErrLeaseLost) {
					t.Errorf("lease: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(owners) != 1 {
			t.Fatalf("owners after the race: %v, want exactly one", owners)
		}
		if due, _ := db.DueStreams(ctx, now, 10); len(due) != 0 {
			t.Errorf("a leased stream is due: %+v", due)
		}

		// The holder advances; someone else cannot.
		held := &directory.Stream{EndpointID: e.ID, AccountID: a.ID, LeaseOwner: owners[0]}
		if err := db.AdvanceStream(ctx, held, 2, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		thief := &directory.Stream{EndpointID: e.ID, AccountID: a.ID, LeaseOwner: "thief"}
		err := db.AdvanceStream(ctx, thief, 5, now.Add(time.Minute))
		if !errors.Is(err, directory.ErrLeaseLost) {
			t.Errorf("advance without the lease: got %v, want ErrLeaseLost", err)
		}

		// An expired lease can be taken over, and the old holder then loses.
		s, err := db.LeaseStream(ctx, e.ID, a.ID, "next", now.Add(2*time.Minute),
			now.Add(3*time.Minute))
		if err != nil || s.Position != 2 || s.LeaseOwner != "next" {
			t.Fatalf("take over an expired lease: got %+v, %v", s, err)
		}
		err = db.AdvanceStream(ctx, held, 3, now.Add(time.Hour))
		if !errors.Is(err, directory.ErrLeaseLost) {
			t.Errorf("advance after losing the lease: got %v, want ErrLeaseLost", err)
		}

		// A failed attempt schedules a retry and frees the lease; the
		// stream is due again only when the retry is.
		first := now.UTC().Truncate(time.Microsecond)
		retry := first.Add(10 * time.Minute)
		s.Attempts, s.FirstFailure, s.RetryAt = 1, &first, &retry
		if err := db.RetryStream(ctx, s); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.DueStreams(ctx, now.Add(5*time.Minute), 10); len(due) != 0 {
			t.Errorf("due before its retry: %+v", due)
		}
		due, err := db.DueStreams(ctx, retry, 10)
		if err != nil || len(due) != 1 || due[0].Attempts != 1 || !due[0].FirstFailure.Equal(first) {
			t.Fatalf("due at its retry: got %+v, %v", due, err)
		}
		_, err = db.LeaseStream(ctx, e.ID, "other", "x", now, now)
		if !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("lease a missing stream: got %v, want ErrNotFound", err)
		}
	})
}

func TestResetStream(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a, b := mustAccount(t, db, "a"), mustAccount(t, db, "b")
		e := mustEndpoint(t, db, a.ID, now.Add(-time.Hour))
		appendEvents(t, db, a.ID, 4, now)
		if err := db.EnsureStreams(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := db.LeaseStream(ctx, e.ID, a.ID, "w", now, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AdvanceStream(ctx, s, 4, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		// A reset replays from the position and breaks the lease.
		if err := db.ResetStream(ctx, e.ID, a.ID, 1); err != nil {
			t.Fatal(err)
		}
		got := streamOf(t, db, e.ID, a.ID)
		if got.Position != 1 || got.LeaseOwner != "" || got.Attempts != 0 {
			t.Fatalf("after reset: got %+v", got)
		}
		err = db.AdvanceStream(ctx, s, 4, now.Add(time.Hour))
		if !errors.Is(err, directory.ErrLeaseLost) {
			t.Errorf("advance after a reset: got %v, want ErrLeaseLost", err)
		}

		// An account endpoint does not take another account; an unknown
		// endpoint or account is not found.
		for name, err := range map[string]error{
			"other-account":    db.ResetStream(ctx, e.ID, b.ID, 0),
			"unknown-endpoint": db.ResetStream(ctx, "nope", a.ID, 0),
		} {
			if !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("%s: got %v, want ErrNotFound", name, err)
			}
		}
		global := mustEndpoint(t, db, "", now)
		err = db.ResetStream(ctx, global.ID, "no-such-account", 0)
		if !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("unknown account: got %v, want ErrNotFound", err)
		}
		// A reset creates a stream that does not exist yet.
		if err := db.ResetStream(ctx, global.ID, b.ID, 0); err != nil {
			t.Fatal(err)
		}
		if streamOf(t, db, global.ID, b.ID) == nil {
			t.Error("reset did not create the stream")
		}
	})
}

func TestDeliveriesAndPruning(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a := mustAccount(t, db, "a")
		e := mustEndpoint(t, db, a.ID, now)
		for i := range 5 {
			next := now.Add(time.Minute)
			d := &directory.Delivery{EndpointID: e.ID, AccountID: a.ID, EventID: "ev",
				Position: int64(i + 1), Attempt: 1, StatusCode: 500, Error: "boom",
				Latency: 1500 * time.Microsecond, Time: now.Add(-time.Duration(5-i) * 24 * time.Hour),
				NextAttempt: &next}
			if err := db.RecordDelivery(ctx, d); err != nil || d.ID == 0 {
				t.Fatalf("record: id %d, %v", d.ID, err)
			}
		}
		test := &directory.Delivery{EndpointID: e.ID, EventID: "test", Attempt: 1,
			StatusCode: 204, Time: now}
		if err := db.RecordDelivery(ctx, test); err != nil {
			t.Fatal(err)
		}

		page1, err := db.Deliveries(ctx, e.ID, 0, 4)
		if err != nil || len(page1) != 4 || page1[0].ID != test.ID || page1[0].AccountID != "" {
			t.Fatalf("first page: got %d, %v", len(page1), err)
		}
		if d := page1[1]; d.Latency != 1500*time.Microsecond || d.Error != "boom" ||
			d.NextAttempt == nil || d.Position != 5 {
			t.Errorf("read back: got %+v", d)
		}
		page2, err := db.Deliveries(ctx, e.ID, page1[3].ID, 4)
		if err != nil || len(page2) != 2 || page2[1].Position != 1 {
			t.Fatalf("second page: got %+v, %v", page2, err)
		}

		// Pruning goes in batches and stops at the cut.
		cut := now.Add(-36 * time.Hour)
		total := 0
		for {
			n, err := db.PruneDeliveries(ctx, cut, 2)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if n < 2 {
				break
			}
		}
		if total != 4 {
			t.Errorf("pruned %d deliveries, want the 4 older than 36h", total)
		}

		appendEvents(t, db, a.ID, 5, now.Add(-40*24*time.Hour))
		last := appendEvents(t, db, a.ID, 2, now)
		n, err := db.PruneEvents(ctx, now.Add(-30*24*time.Hour), 3)
		if err != nil || n != 3 {
			t.Fatalf("first batch: %d, %v", n, err)
		}
		n, _ = db.PruneEvents(ctx, now.Add(-30*24*time.Hour), 3)
		if n != 2 {
			t.Errorf("second batch: %d, want 2", n)
		}
		evs, err := db.Events(ctx, a.ID, last-2, 100)
		if err != nil || len(evs) != 2 || evs[1].Position != last {
			t.Errorf("kept events: got %d, %v; want the 2 recent ones", len(evs), err)
		}
		if _, err := db.PruneEvents(ctx, now, 0); err == nil {
			t.Error("a zero batch was accepted")
		}
	})
}
