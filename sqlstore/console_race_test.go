package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// together runs fn(0) ... fn(n-1) in goroutines released at the same moment
// and returns their errors by index.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// TestSetupRedeemRace redeems several setup links at once, as after a
// restart within the links' lifetime: exactly one makes an operator.
func TestSetupRedeemRace(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		const links = 8
		for round := range 3 {
			db := open(t)
			ctx := context.Background()
			now := time.Now()
			for i := range links {
				tok := &directory.SetupToken{ID: fmt.Sprint("tok", i), CreatedAt: now,
					ExpiresAt: now.Add(time.Hour)}
				if err := db.CreateSetupToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			errs := together(links, func(i int) error {
				u := consoleUser(fmt.Sprintf("op%d@example.com", i), "")
				return db.RedeemSetupToken(ctx, fmt.Sprint("tok", i), now, u)
			})

			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, directory.ErrNotFound):
					t.Errorf("round %d: redeem %d = %v, want nil or not found", round, i, err)
				}
			}
			ops, err := db.ConsoleUsers(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if won != 1 || len(ops) != 1 {
				t.Fatalf("round %d: %d redemptions succeeded and %d operators exist, "+
					"want 1 and 1", round, won, len(ops))
			}
		}
	})
}

// TestLastOperatorRace has two operators remove each other at once: one
// removal succeeds, the other is refused, and one operator is left.
func TestLastOperatorRace(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		for round := range 5 {
			a := consoleUser(fmt.Sprintf("a%d@example.com", round), "")
			b := consoleUser(fmt.Sprintf("b%d@example.com", round), "")
			for _, u := range []*directory.ConsoleUser{a, b} {
				if err := db.CreateConsoleUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			if round > 0 {
				// Leave only the two of this round.
				left, _ := db.ConsoleUsers(ctx, "")
				for _, u := range left {
					if u.ID != a.ID && u.ID != b.ID {
						if err := db.DeleteConsoleUser(ctx, u.ID); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			pair := []string{a.ID, b.ID}
			errs := together(2, func(i int) error { return db.DeleteConsoleUser(ctx, pair[i]) })

			ok, refused := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, directory.ErrConflict):
					refused++
				default:
					t.Errorf("round %d: delete = %v", round, err)
				}
			}
			ops, _ := db.ConsoleUsers(ctx, "")
			if ok != 1 || refused != 1 || len(ops) != 1 {
				t.Fatalf("round %d: %d deleted, %d refused, %d operators left; want 1, 1, 1",
					round, ok, refused, len(ops))
			}
		}
	})
}
