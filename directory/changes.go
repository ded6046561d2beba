package directory

import (
	"context"
	"sync"
)

// Changes wakes the readers of the outbox in this process when an account
// gets new events: the change feed's long polls and the webhook
// dispatcher. It is a hint, not a guarantee: writes made by other replicas
// are not seen, so readers also poll the store. The zero value is ready to
// use; it is safe for concurrent use.
type Changes struct {
	mu      sync.Mutex
	waiting map[string]chan struct{} // by account id; "" is every account
}

// Wait returns a channel that is closed at the next Notify for accountID,
// or at the next Notify of any account when accountID is "".
func (c *Changes) Wait(accountID string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == nil {
		c.waiting = make(map[string]chan struct{})
	}
	ch, ok := c.waiting[accountID]
	if !ok {
		ch = make(chan struct{})
		c.waiting[accountID] = ch
	}
	return ch
}

// Notify wakes every Wait of accountID and of every account.
func (c *Changes) Notify(accountID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range []string{accountID, ""} {
		if ch, ok := c.waiting[id]; ok {
			close(ch)
			delete(c.waiting, id)
		}
	}
}

// NotifyWrites returns store with its Write calling c.Notify after every
// commit, so that readers in this process learn of new events at once.
// Every other method is store's own.
func NotifyWrites(store Store, c *Changes) Store {
	return &notifyingStore{Store: store, changes: c}
}

type notifyingStore struct {
	Store
	changes *Changes
}

func (s *notifyingStore) Write(ctx context.Context, accountID string, fn func(tx Tx) error) error {
	if err := s.Store.Write(ctx, accountID, fn); err != nil {
		return err
	}
	s.changes.Notify(accountID)
	return nil
}
