// Package activity records the SCIM requests of every account for the
// console's provisioning activity page, off the request path, and prunes old
// records.
package activity

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/directory"
)

// Store is the part of directory.ConsoleStore that the recorder and the
// pruner use.
type Store interface {
	InsertActivity(ctx context.Context, entries []*directory.ActivityEntry) error
	PruneActivity(ctx context.Context, before time.Time, limit int) (int, error)
	PruneConsole(ctx context.Context, now, failuresBefore time.Time) error
}

// Limits on what one entry keeps; longer values are cut at a character
// boundary. An error detail or a path with a long filter is still
// recognisable from its first kilobyte.
const (
	MaxPathLen   = 1024
	MaxDetailLen = 1024
	maxShortLen  = 64 // method, client, scimType, request id, address
)

// Config tunes a Recorder. Zero fields take the defaults.
type Config struct {
	// Buffer is how many entries may wait for the database; further
	// entries are dropped and counted. Default 4096.
	Buffer int
	// Batch is the most entries inserted in one statement. Default 200.
	Batch int
	// FlushEvery bounds how long an entry waits before it is written.
	// Default 1s.
	FlushEvery time.Duration
	// Timeout bounds one batch insert. Default 10s.
	Timeout time.Duration
	Logger  *slog.Logger
}

func (c *Config) defaults() {
	if c.Buffer <= 0 {
		c.Buffer = 4096
	}
	if c.Batch <= 0 {
		c.Batch = 200
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Recorder takes activity entries from the HTTP layer without blocking and
// writes them to the store in batches in the background. It is safe for
// concurrent use. When the buffer is full, entries are dropped and counted
// rather than slowing down SCIM requests: the activity page is a diagnostic
// aid, not an audit log (the event outbox is that).
type Recorder struct {
	store Store
	cfg   Config
	log   *slog.Logger

	mu     sync.RWMutex // guards closed against Record sending on a closed ch
	closed bool
	ch     chan *directory.ActivityEntry
	done   chan struct{}

	recorded atomic.Uint64
	dropped  atomic.Uint64
	failed   atomic.Uint64
}

// NewRecorder starts a Recorder writing to store. Call Close to flush and
// stop it.
func NewRecorder(store Store, cfg Config) *Recorder {
	cfg.defaults()
	r := &Recorder{
		store: store,
		cfg:   cfg,
		log:   cfg.Logger.With("component", "activity"),
		ch:    make(chan *directory.ActivityEntry, cfg.Buffer),
		done:  make(chan struct{}),
	}
	go r.run()
	return r
}

// Record queues e for writing and returns at once. An entry that finds the
// buffer full, or the recorder closed, is dropped and counted. e must name
// its account; entries without one are dropped too.
func (r *Recorder) Record(e directory.ActivityEntry) {
	if e.AccountID == "" {
		r.dropped.Add(1)
		return
	}
	clip(&e)

	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return
	}
	select {
	case r.ch <- &e:
	default:
		r.dropped.Add(1)
	}
}

// Stats reports how many entries were written, dropped because the buffer
// was full (or the recorder closed), and lost because the store failed.
func (r *Recorder) Stats() (recorded, dropped, failed uint64) {
	return r.recorded.Load(), r.dropped.Load(), r.failed.Load()
}

// Close stops accepting entries and writes those still buffered. It returns
// ctx's error when ctx ends first; the remaining entries are then still
// written in the background until the store's timeout. Close may be called
// more than once.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.ch)
	}
	r.mu.Unlock()

	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run collects entries into batches and writes a batch when it is full or
// at the next tick, every FlushEvery, so no entry waits longer than that.
func (r *Recorder) run() {
	defer close(r.done)
	tick := time.NewTicker(r.cfg.FlushEvery)
	defer tick.Stop()

	batch := make([]*directory.ActivityEntry, 0, r.cfg.Batch)
	for {
		select {
		case e, ok := <-r.ch:
			if !ok {
				r.flush(batch)
				return
			}
			batch = append(batch, e)
			if len(batch) >= r.cfg.Batch {
				r.flush(batch)
				batch = batch[:0]
			}
		case <-tick.C:
			if len(batch) > 0 {
				r.flush(batch)
				batch = batch[:0]
			}
		}
	}
}

func (r *Recorder) flush(batch []*directory.ActivityEntry) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
	defer cancel()
	if err := r.store.InsertActivity(ctx, batch); err != nil {
		r.failed.Add(uint64(len(batch)))
		r.log.Warn("write activity", "entries", len(batch), "error", err)
		return
	}
	r.recorded.Add(uint64(len(batch)))
}

// clip cuts e's free-text fields to the limits.
func clip(e *directory.ActivityEntry) {
	e.Path = cut(e.Path, MaxPathLen)
	e.Detail = cut(e.Detail, MaxDetailLen)
	e.Method = cut(e.Method, maxShortLen)
	e.Client = cut(e.Client, maxShortLen)
	e.ScimType = cut(e.ScimType, maxShortLen)
	e.RequestID = cut(e.RequestID, maxShortLen)
	e.TokenID = cut(e.TokenID, maxShortLen)
	e.Addr = cut(e.Addr, maxShortLen)
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
}

// cut returns s cut to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
