package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRetention is how long events and delivery attempts are kept.
const DefaultRetention = 30 * 24 * time.Hour

// Pruner is what a Retention deletes from.
type Pruner interface {
	PruneEvents(ctx context.Context, olderThan time.Time, batch int) (int, error)
	PruneDeliveries(ctx context.Context, olderThan time.Time, batch int) (int, error)
}

// Retention deletes old events and delivery attempts in the background, in
// small batches with a pause between them, so that no deletion holds the
// outbox long enough to slow a SCIM write. An event older than the
// retention is gone for the change feed and for an endpoint that has been
// failing or disabled that long, but not silently: the store records how
// far it pruned, the feed answers a cursor below that with an error (see
// directory.CursorExpiredError) and a stream moves past the gap and says
// so in the delivery log (see Dispatcher).
type Retention struct {
	Store  Pruner        // required
	Age    time.Duration // default DefaultRetention
	Every  time.Duration // how often a pass runs; default 1h
	Batch  int           // rows per statement; default 500
	Pause  time.Duration // between batches; default 50ms
	Logger *slog.Logger
	Now    func() time.Time // default time.Now

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs a pass at once and then every r.Every, until Stop.
func (r *Retention) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.loop(ctx, r.done)
}

// Stop ends the loop and waits for a pass in progress to notice.
func (r *Retention) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (r *Retention) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	log := r.logger()
	for {
		if n, err := r.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune events", "error", err)
		} else if n > 0 {
			log.Info("pruned old events and deliveries", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(orDefault(r.Every, time.Hour)):
		}
	}
}

// Prune runs one pass: it deletes every event and delivery attempt older
// than the retention and returns how many rows went. It stops at the first
// error, or when ctx ends, with what it deleted so far.
func (r *Retention) Prune(ctx context.Context) (int, error) {
	if r.Store == nil {
		return 0, errors.New("prune: no store")
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	cut := now().Add(-orDefault(r.Age, DefaultRetention))
	batch := orDefault(r.Batch, 500)

	total := 0
	for _, step := range []struct {
		name  string
		prune func(context.Context, time.Time, int) (int, error)
	}{{"events", r.Store.PruneEvents}, {"deliveries", r.Store.PruneDeliveries}} {
		for {
			n, err := step.prune(ctx, cut, batch)
			total += n
			if err != nil {
				return total, fmt.Errorf("prune %s: %w", step.name, err)
			}
			if n < batch {
				break
			}
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(orDefault(r.Pause, 50*time.Millisecond)):
			}
		}
	}
	return total, nil
}

func (r *Retention) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default().With("component", "retention")
	}
	return r.Logger.With("component", "retention")
}
