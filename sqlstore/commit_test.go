package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestCommitOutcome fails the commit path of Write at chosen points and
// checks what Write reports against what the database kept: a COMMIT that
// succeeded but whose acknowledgement was lost returns nil, one that never
// reached the server returns ErrUnavailable, and fn runs once either way.
func TestCommitOutcome(t *testing.T) {
	connErr := fmt.Errorf("injected: %w",
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	forever := -1
	longAgo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		a := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
		if err := db.CreateAccount(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			at       sqlstore.FaultPoint // where COMMIT fails
			err      error               // how; nil for connErr
			down     int                 // status queries that fail with connErr
			limit    time.Duration       // how long the outcome is asked for
			deadline time.Duration       // the caller's; 0 for none
			event    string              // "" none, "now" or "pruned" (see below)
			want     error               // nil for success
			stored   bool
			asked    int // status queries on PostgreSQL; forever for "until the end"
		}{
			{"ack-lost", sqlstore.FaultAfterCommit, nil, 0, time.Second, 0, "now",
				nil, true, 1},
			{"ack-lost-server-back-later", sqlstore.FaultAfterCommit, nil, 3,
				5 * time.Second, 0, "now", nil, true, 4},
			{"commit-never-sent", sqlstore.FaultBeforeCommit, nil, 0, time.Second, 0, "now",
				directory.ErrUnavailable, false, 1},
			{"server-error-is-final", sqlstore.FaultBeforeCommit,
				&pgconn.PgError{Code: "23505", Message: "injected"}, 0, time.Second, 0, "now",
				directory.ErrConflict, false, 0},
			// The remaining ambiguity: the database stays unreachable past
			// the limit, or past the caller's deadline, or the id reads
			// committed without the write's event to prove it the write's.
			// A write that stands then reads as unavailable.
			{"server-gone-past-limit", sqlstore.FaultAfterCommit, nil, forever,
				300 * time.Millisecond, 0, "now", directory.ErrUnavailable, true, forever},
			{"caller-gives-up-first", sqlstore.FaultAfterCommit, nil, forever,
				time.Minute, 300 * time.Millisecond, "now", directory.ErrUnavailable, true,
				forever},
			{"committed-without-event", sqlstore.FaultAfterCommit, nil, 0, time.Second, 0, "",
				directory.ErrUnavailable, true, 1},
			// The event is pruned between COMMIT and the check: a stand-in
			// for an id that a crash let another transaction have, which
			// reads committed though the write's event is not there.
			{"committed-id-event-missing", sqlstore.FaultAfterCommit, nil, 0, time.Second,
				0, "pruned", directory.ErrUnavailable, true, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// SQLite commits in the process: there is no lost
				// acknowledgement to test, nor an outcome to ask for.
				sqlite := db.Dialect() == sqlstore.SQLite
				if sqlite && tc.at == sqlstore.FaultAfterCommit {
					t.Skip("PostgreSQL only")
				}
				if tc.err == nil {
					tc.err = connErr
				}
				asked, pruning := 0, false
				db.FailCommit(t, tc.limit, func(p sqlstore.FaultPoint) error {
					switch {
					case pruning:
						// The pruning's own COMMIT passes here too.
						return nil
					case p == tc.at && tc.event == "pruned":
						pruning = true
						_, err := db.PruneEvents(t.Context(), longAgo.Add(time.Hour), 10)
						pruning = false
						if err != nil {
							t.Errorf("prune the write's event: %v", err)
						}
						return tc.err
					case p == tc.at:
						return tc.err
					case p == sqlstore.FaultStatus:
						asked++
						if tc.down == forever || asked <= tc.down {
							return connErr
						}
					}
					return nil
				})
				ctx, wait := t.Context(), tc.limit
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
					wait = tc.deadline
				}
				u := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
					UserName: tc.name + "@example.com", Active: true,
					Doc: map[string]any{"userName": tc.name + "@example.com"}}
				e := &directory.Event{Type: directory.EventUserCreated,
					ResourceType: directory.KindUser, ResourceID: u.ID, Version: 1}
				if tc.event == "pruned" {
					e.Time = longAgo
				}

				calls := 0
				start := time.Now()
				err := db.Write(ctx, a.ID, func(tx directory.Tx) error {
					calls++
					if err := tx.Insert(u); err != nil || tc.event == "" {
						return err
					}
					return tx.Append(e)
				})
				took := time.Since(start)

				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("Write = %v, want %v", err, tc.want)
				}
				if calls != 1 {
					t.Errorf("fn ran %d times, want once", calls)
				}
				switch {
				case sqlite:
					if asked != 0 {
						t.Errorf("%d status queries on SQLite", asked)
					}
				case tc.asked == forever:
					if asked < 3 || took < wait || took > wait+2*time.Second {
						t.Errorf("%d status queries in %s, want several in about %s",
							asked, took, wait)
					}
				case asked != tc.asked:
					t.Errorf("%d status queries, want %d", asked, tc.asked)
				}

				_, err = db.Resource(t.Context(), a.ID, directory.KindUser, u.ID)
				switch {
				case tc.stored && err != nil:
					t.Errorf("user not stored: %v", err)
				case !tc.stored && !errors.Is(err, directory.ErrNotFound):
					t.Errorf("user stored (read error %v), want nothing stored", err)
				}
			})
		}
	})
}
