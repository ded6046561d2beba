package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestResetDuringDelivery checks that a worker whose lease a replay broke
// stops at its next step, even when the same dispatcher has leased the
// stream again meanwhile: the new worker alone delivers, in order.
func TestResetDuringDelivery(t *testing.T) {
	db, changes := sqlstoretest.Open(t, sqlstore.SQLite), &directory.Changes{}
	acc := account(t, db, "acme")
	rcv := newReceiver(t)
	rcv.delay = 300 * time.Millisecond
	ep := endpoint(t, db, acc, rcv.srv.URL)
	d := start(t, db, changes, nil)
	write(t, db, changes, acc, directory.EventUserCreated, "e1", "e2", "e3")

	// The first attempt is under way: reset the cursor behind it.
	waitFor(t, "the first attempt", 5*time.Second, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return rcv.attempts > 0
	})
	if err := db.ResetStream(context.Background(), ep.ID, acc, 0); err != nil {
		t.Fatal(err)
	}
	d.Kick()

	waitFor(t, "the replay", 10*time.Second, func() bool { return len(rcv.events()) >= 4 })
	time.Sleep(time.Second) // what a second worker would still send
	checkOrder(t, rcv.events()[1:], []string{"e1", "e2", "e3"})
}
