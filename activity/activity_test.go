package activity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/activity"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

func newAccount(t *testing.T, db directory.Store) *directory.Account {
	t.Helper()
	a := &directory.Account{ID: "acct-1", Name: "Acme", CreatedAt: time.Now()}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRecorderWritesInBatches(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	a := newAccount(t, db)
	rec := activity.NewRecorder(db, activity.Config{Batch: 7, FlushEvery: time.Hour})
	for i := range 30 {
		rec.Record(directory.ActivityEntry{AccountID: a.ID, Method: "GET", Status: 200 + i,
			Path: "/Users", Detail: strings.Repeat("é", activity.MaxDetailLen)})
	}
	rec.Record(directory.ActivityEntry{Method: "GET"}) // no account: dropped
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.Record(directory.ActivityEntry{AccountID: a.ID}) // closed: dropped

	got, err := db.Activity(context.Background(), a.ID, directory.ActivityQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 {
		t.Fatalf("%d entries stored, want 30", len(got))
	}
	if got[0].Status != 229 || got[29].Status != 200 {
		t.Errorf("entries out of order: first %d, last %d", got[0].Status, got[29].Status)
	}
	if d := got[0].Detail; len(d) > activity.MaxDetailLen || !strings.HasSuffix(d, "é") {
		t.Errorf("detail of %d bytes not cut at a character boundary within the limit", len(d))
	}
	if recorded, dropped, failed := rec.Stats(); recorded != 30 || dropped != 2 || failed != 0 {
		t.Errorf("Stats = %d, %d, %d; want 30, 2, 0", recorded, dropped, failed)
	}
}

func TestRecorderFlushesOnTime(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	a := newAccount(t, db)
	rec := activity.NewRecorder(db, activity.Config{FlushEvery: 20 * time.Millisecond})
	defer rec.Close(context.Background())
	rec.Record(directory.ActivityEntry{AccountID: a.ID, Method: "GET", Status: 200})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got, err := db.Activity(context.Background(), a.ID, directory.ActivityQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("a lone entry was not written within FlushEvery")
}

// gatedStore holds every insert until its gate opens, standing in for a
// database that has stalled.
type gatedStore struct {
	activity.Store
	gate chan struct{}
}

func (g *gatedStore) InsertActivity(ctx context.Context, e []*directory.ActivityEntry) error {
	<-g.gate
	return g.Store.InsertActivity(ctx, e)
}

func TestRecorderDropsWhenFull(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	a := newAccount(t, db)
	g := &gatedStore{Store: db, gate: make(chan struct{})}
	rec := activity.NewRecorder(g, activity.Config{Buffer: 10, Batch: 1})

	// Record must return at once although the store does not answer: one
	// entry is held by the stalled insert, ten wait in the buffer, and the
	// rest are dropped.
	done := make(chan struct{})
	go func() {
		for range 100 {
			rec.Record(directory.ActivityEntry{AccountID: a.ID, Status: 200})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a stalled store")
	}
	close(g.gate)
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	recorded, dropped, _ := rec.Stats()
	if recorded+dropped != 100 || dropped < 89 {
		t.Errorf("recorded %d, dropped %d; want 100 in all with at least 89 dropped",
			recorded, dropped)
	}
}

func TestCloseHonoursContext(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	a := newAccount(t, db)
	g := &gatedStore{Store: db, gate: make(chan struct{})}
	rec := activity.NewRecorder(g, activity.Config{})
	rec.Record(directory.ActivityEntry{AccountID: a.ID, Status: 200})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := rec.Close(ctx); err != context.DeadlineExceeded {
		t.Errorf("Close on a stalled store = %v, want the context's deadline", err)
	}
	close(g.gate)
	if err := rec.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestPruner(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	a := newAccount(t, db)
	ctx := context.Background()
	now := time.Now().UTC()
	var entries []*directory.ActivityEntry
	for i := range 25 {
		age := time.Duration(i) * 24 * time.Hour // 0 to 24 days old
		entries = append(entries, &directory.ActivityEntry{AccountID: a.ID,
			Time: now.Add(-age), Method: "GET", Status: 200})
	}
	if err := db.InsertActivity(ctx, entries); err != nil {
		t.Fatal(err)
	}

	p := activity.NewPruner(db, activity.PrunerConfig{Batch: 3, Pause: time.Millisecond,
		Now: func() time.Time { return now }})
	n, err := p.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Entries 15 to 24 days old go; 0 to 14 days stay (14 days old is
	// exactly the limit and stays).
	if n != 10 {
		t.Errorf("pruned %d entries, want 10", n)
	}
	left, _ := db.Activity(ctx, a.ID, directory.ActivityQuery{Limit: 100})
	if len(left) != 15 {
		t.Errorf("%d entries left, want 15", len(left))
	}
	if n, err := p.Prune(ctx); n != 0 || err != nil {
		t.Errorf("second Prune = %d, %v; want nothing to do", n, err)
	}
}

func TestPrunerRunStops(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	p := activity.NewPruner(db, activity.PrunerConfig{Every: time.Millisecond})
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}
