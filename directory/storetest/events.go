package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// event returns an event about r.
func event(r *directory.Resource, typ string) *directory.Event {
	return &directory.Event{
		ID: uuid.NewString(), Type: typ, Time: base, Client: "Okta",
		ResourceType: r.Kind, ResourceID: r.ID, Version: r.Version,
		Data: json.RawMessage(`{"id":"` + r.ID + `"}`),
	}
}

// appendOne appends one event about r in its own write.
func appendOne(t *testing.T, s directory.Store, accountID string, r *directory.Resource) {
	t.Helper()
	err := s.Write(ctx(t), accountID, func(tx directory.Tx) error {
		return tx.Append(event(r, directory.EventUserUpdated))
	})
	wantErr(t, "append event", err, nil)
}

func testEvents(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	b := newAccount(t, s, "b")
	u := user(map[string]any{"userName": "u"}, base)
	insert(t, s, a.ID, u)

	first := event(u, directory.EventUserCreated)
	first.Changed = []string{"userName", "active"}
	first.Time = base.Add(1500 * time.Nanosecond)
	second := event(u, directory.EventUserDeactivated)
	second.Data = nil
	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		return tx.Append(first, second)
	})
	wantErr(t, "append events", err, nil)
	appendOne(t, s, b.ID, u)
	var batch []*directory.Event
	for range 250 {
		batch = append(batch, event(u, directory.EventUserUpdated))
	}
	err = s.Write(ctx(t), a.ID, func(tx directory.Tx) error { return tx.Append(batch...) })
	wantErr(t, "append a batch", err, nil)
	if first.Position <= 0 || second.Position <= first.Position ||
		batch[0].Position <= second.Position || first.AccountID != a.ID {
		t.Errorf("positions: %d, %d, %d in %s; want increasing in %s", first.Position,
			second.Position, batch[0].Position, first.AccountID, a.ID)
	}

	got, err := s.Events(ctx(t), a.ID, 0, 2)
	wantErr(t, "read events", err, nil)
	if len(got) != 2 {
		t.Fatalf("Events: got %d events, want 2", len(got))
	}
	g := got[0]
	switch {
	case g.ID != first.ID, g.Position != first.Position, g.Type != first.Type,
		g.AccountID != a.ID, g.Client != "Okta", g.ResourceType != directory.KindUser,
		g.ResourceID != u.ID, g.Version != 1:
		t.Errorf("event: got %+v, want %+v", g, first)
	case !g.Time.Equal(base.Add(time.Microsecond)):
		t.Errorf("event time: got %v, want %v (microseconds)", g.Time, first.Time)
	case fmt.Sprint(g.Changed) != "[userName active]":
		t.Errorf("event changed: got %v", g.Changed)
	case string(g.Data) != string(first.Data):
		t.Errorf("event data: got %s, want %s", g.Data, first.Data)
	case got[1].ID != second.ID || got[1].Data != nil || got[1].Changed != nil:
		t.Errorf("second event: got %+v", got[1])
	}

	// Paging by position sees every event once.
	var all []*directory.Event
	after := int64(0)
	for {
		page, err := s.Events(ctx(t), a.ID, after, 40)
		wantErr(t, "read events page", err, nil)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Position <= after {
				t.Fatalf("position %d after cursor %d", e.Position, after)
			}
			after = e.Position
		}
		all = append(all, page...)
	}
	if len(all) != 252 {
		t.Errorf("paged events: got %d, want 252", len(all))
	}
	others, err := s.Events(ctx(t), b.ID, 0, 100)
	wantErr(t, "read b's events", err, nil)
	if len(others) != 1 {
		t.Errorf("b has %d events, want its 1", len(others))
	}
}

// testConcurrentWriters runs writers and a reader at once in one account:
// the reader, following its cursor, must see every committed event exactly
// once and in position order.
func testConcurrentWriters(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	const writers, writes = 4, 15
	u := user(map[string]any{"userName": "u"}, base)
	insert(t, s, a.ID, u)

	var mu sync.Mutex
	committed := map[string]bool{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				evs := []*directory.Event{event(u, directory.EventUserUpdated)}
				if i%3 == 0 {
					evs = append(evs, event(u, directory.EventUserUpdated))
				}
				err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
					// Read, then write: the pattern of every service write.
					if _, err := tx.Resource(directory.KindUser, u.ID); err != nil {
						return err
					}
					return tx.Append(evs...)
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				for _, e := range evs {
					committed[e.ID] = true
				}
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[string]bool{}
	after := int64(0)
	finished := false
	deadline := time.After(2 * time.Minute)
	for {
		page, err := s.Events(ctx(t), a.ID, after, 7)
		wantErr(t, "read events", err, nil)
		for _, e := range page {
			if e.Position <= after || seen[e.ID] {
				t.Fatalf("event %s at %d seen twice or out of order (cursor %d)",
					e.ID, e.Position, after)
			}
			seen[e.ID] = true
			after = e.Position
		}
		if len(page) > 0 {
			continue
		}
		if finished {
			break
		}
		select {
		case <-done:
			finished = true // one more pass reads what the last writes left
		case <-deadline:
			t.Fatal("writers did not finish")
		case <-time.After(time.Millisecond):
		}
	}

	mu.Lock()
	defer mu.Unlock()
	for id := range committed {
		if !seen[id] {
			t.Errorf("the reader skipped committed event %s", id)
		}
	}
	if len(seen) != len(committed) {
		t.Errorf("the reader saw %d events, %d were committed", len(seen), len(committed))
	}
}
