package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// pruneAll prunes every event older than cut, in batches of batch, and
// returns how many went.
func pruneAll(t *testing.T, db *sqlstore.DB, cut time.Time, batch int) int {
	t.Helper()
	total := 0
	for {
		n, err := db.PruneEvents(context.Background(), cut, batch)
		if err != nil {
			t.Fatalf("prune events: %v", err)
		}
		total += n
		if n < batch {
			return total
		}
	}
}

// TestPrunedCursors checks that a cursor below an event the retention
// deleted gets CursorExpiredError rather than a page that silently lacks
// it, and that cursors at or past the mark read on.
func TestPrunedCursors(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		old, cut := now.Add(-40*24*time.Hour), now.Add(-30*24*time.Hour)
		a, b, c := mustAccount(t, db, "a"), mustAccount(t, db, "b"), mustAccount(t, db, "c")
		untouched := mustAccount(t, db, "untouched")
		appendEvents(t, db, a.ID, 5, old) // 1-5 go
		appendEvents(t, db, a.ID, 2, now) // 6-7 stay
		appendEvents(t, db, b.ID, 3, old) // all go
		// Times need not follow positions (clocks of replicas differ):
		// c's first event stays while its second goes.
		appendEvents(t, db, c.ID, 1, now)
		appendEvents(t, db, c.ID, 1, old)
		appendEvents(t, db, untouched.ID, 2, now)

		if n := pruneAll(t, db, cut, 3); n != 9 {
			t.Fatalf("pruned %d events, want 9", n)
		}
		tests := []struct {
			name    string
			account string
			after   int64
			through int64 // the mark of the expected error; 0 for none
			want    int   // events returned
		}{
			{"a-from-start", a.ID, 0, 5, 0},
			{"a-inside-gap", a.ID, 4, 5, 0},
			{"a-at-mark", a.ID, 5, 0, 2},
			{"a-past-mark", a.ID, 6, 0, 1},
			{"b-all-gone", b.ID, 0, 3, 0},
			{"b-at-mark", b.ID, 3, 0, 0},
			{"c-kept-below-gap", c.ID, 0, 2, 0},
			{"c-at-mark", c.ID, 2, 0, 0},
			{"untouched", untouched.ID, 0, 0, 2},
			{"unknown-account", "no-such-account", 0, 0, 0},
		}
		for _, tt := range tests {
			evs, err := db.Events(ctx, tt.account, tt.after, 100)
			if tt.through == 0 {
				if err != nil || len(evs) != tt.want {
					t.Errorf("%s: got %d events, %v; want %d", tt.name, len(evs), err, tt.want)
				}
				continue
			}
			var ce *directory.CursorExpiredError
			if !errors.As(err, &ce) || !errors.Is(err, directory.ErrCursorExpired) ||
				ce.PrunedThrough != tt.through || ce.After != tt.after || len(evs) != 0 {
				t.Errorf("%s: got %d events, %v; want CursorExpiredError through %d",
					tt.name, len(evs), err, tt.through)
			}
		}

		// The mark only rises: pruning newer events raises it, and a batch
		// that deletes nothing of an account leaves it.
		appendEvents(t, db, b.ID, 2, now.Add(-time.Hour)) // 4-5
		if n := pruneAll(t, db, now.Add(-time.Minute), 10); n != 2 {
			t.Fatalf("second pass pruned %d events, want b's 2", n)
		}
		if _, err := db.Events(ctx, b.ID, 3, 10); !errors.Is(err, directory.ErrCursorExpired) {
			t.Errorf("b after the second pass: %v, want the mark raised to 5", err)
		}
		if evs, err := db.Events(ctx, b.ID, 5, 10); err != nil || len(evs) != 0 {
			t.Errorf("b at its new mark: %d events, %v", len(evs), err)
		}
	})
}

// TestStreamsBehindPruning checks the webhook side: a stream the retention
// has passed is due, moves past the gap with a mark, and a reset cannot
// put it back below; a new endpoint does not count pruned events older
// than itself as missed.
func TestStreamsBehindPruning(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a, b := mustAccount(t, db, "a"), mustAccount(t, db, "b")
		appendEvents(t, db, a.ID, 4, now.Add(-40*24*time.Hour))
		appendEvents(t, db, b.ID, 2, now.Add(-40*24*time.Hour))
		older := mustEndpoint(t, db, a.ID, now.Add(-50*24*time.Hour))
		pruneAll(t, db, now.Add(-30*24*time.Hour), 100)
		newer := mustEndpoint(t, db, "", now)
		if err := db.EnsureStreams(ctx); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			name     string
			endpoint string
			account  string
			start    int64
		}{
			{"older-endpoint-missed-them", older.ID, a.ID, 0},
			{"newer-endpoint-skips-them", newer.ID, a.ID, 4},
			{"newer-endpoint-other-account", newer.ID, b.ID, 2},
		} {
			if s := streamOf(t, db, tt.endpoint, tt.account); s == nil ||
				s.Position != tt.start || s.SkippedThrough != 0 {
				t.Errorf("%s: stream %+v, want it to start at %d", tt.name, s, tt.start)
			}
		}

		// Only the stream behind the mark is due, though no event waits.
		due, err := db.DueStreams(ctx, now, 10)
		if err != nil || len(due) != 1 || due[0].EndpointID != older.ID {
			t.Fatalf("due: %+v, %v; want the older endpoint's stream", due, err)
		}
		s, err := db.LeaseStream(ctx, older.ID, a.ID, "r1", now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		thief := *s
		thief.LeaseOwner = "r2"
		if err := db.SkipStream(ctx, &thief, 4, now, now); !errors.Is(err,
			directory.ErrLeaseLost) {
			t.Errorf("skip without the lease: %v, want ErrLeaseLost", err)
		}
		if err := db.SkipStream(ctx, s, 4, now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got := streamOf(t, db, older.ID, a.ID)
		if got.Position != 4 || got.SkippedThrough != 4 || got.SkippedAt == nil ||
			!got.SkippedAt.Equal(*s.SkippedAt) || s.Position != 4 {
			t.Errorf("after the skip: stored %+v, caller's %+v", got, s)
		}
		if due, _ := db.DueStreams(ctx, now.Add(time.Hour), 10); len(due) != 0 {
			t.Errorf("due after the skip: %+v, want none", due)
		}

		// A replay from 0 starts at the mark and clears the skip record.
		if err := db.ResetStream(ctx, older.ID, a.ID, 0); err != nil {
			t.Fatal(err)
		}
		got = streamOf(t, db, older.ID, a.ID)
		if got.Position != 4 || got.SkippedThrough != 0 || got.SkippedAt != nil {
			t.Errorf("after a reset to 0: %+v, want position 4 and no skip", got)
		}
		if err := db.ResetStream(ctx, newer.ID, "no-such-account", 0); !errors.Is(err,
			directory.ErrNotFound) {
			t.Errorf("reset for an unknown account: %v, want ErrNotFound", err)
		}
	})
}
