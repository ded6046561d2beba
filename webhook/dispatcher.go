package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/scimd/scimd/directory"
)

// Store is what the dispatcher reads and writes.
type Store interface {
	directory.EventStore
	directory.EndpointStore
	directory.DeliveryStore
}

// Config configures a Dispatcher. Zero fields take the defaults named on
// them.
type Config struct {
	Store Store // required
	// Changes wakes the dispatcher when this process writes events; without
	// it, and for other replicas' writes, it polls every Poll.
	Changes *directory.Changes
	Logger  *slog.Logger
	// Client sends the deliveries. Default: an http.Client that follows no
	// redirects (a 3xx is a failed attempt), uses no proxy, connects only to
	// public addresses (see directory.PublicAddr) unless AllowPrivate lets
	// it, and gives up after Timeout. A Client given here sends every
	// delivery instead, and the address check is its own business.
	Client *http.Client
	// AllowPrivate lets deliveries to endpoints that allow it
	// (directory.Endpoint.AllowPrivate: those operators make) reach
	// loopback, private, link-local and other non-public addresses: for
	// the vendor's receivers on the same host or network, and for tests.
	// Otherwise such a delivery fails at connect time, whatever name led to
	// the address.
	AllowPrivate bool
	// Owner names this replica in leases. Default: the host name and a
	// random suffix.
	Owner       string
	Workers     int           // streams worked on at once; default 8
	PerEndpoint int           // of those, at most this many per endpoint; default 2
	Timeout     time.Duration // one attempt, response included; default 10s
	// Lease is how long a stream stays with this replica without a
	// renewal; every delivered event renews it. Default 4 × Timeout, and
	// never less than 2 × Timeout.
	Lease        time.Duration
	Poll         time.Duration   // default 2s
	Batch        int             // events read at once per stream; default 100
	Schedule     []time.Duration // default DefaultSchedule
	FailingAfter time.Duration   // default DefaultFailingAfter
	// Jitter turns a schedule bound into a wait. Default FullJitter.
	Jitter func(bound time.Duration) time.Duration
	Now    func() time.Time // default time.Now
}

// Dispatcher delivers the outbox's events to webhook endpoints in the
// background. Any number of dispatchers, in one process or in several
// replicas, may share a database: a stream is delivered by whoever holds
// its lease.
type Dispatcher struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}
	slot chan struct{} // one token per free worker

	// public delivers to endpoints held to public addresses; private to
	// those that may reach more, when the configuration allows it.
	public, private *http.Client

	mu     sync.Mutex
	busy   map[string]int // streams in progress per endpoint id
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup
}

// New returns a Dispatcher with cfg's defaults filled in. It returns an
// error when cfg has no store or a negative limit.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("new webhook dispatcher: no store")
	}
	if cfg.Workers < 0 || cfg.PerEndpoint < 0 || cfg.Timeout < 0 || cfg.Batch < 0 {
		return nil, errors.New("new webhook dispatcher: negative limit")
	}
	cfg.Workers = orDefault(cfg.Workers, 8)
	cfg.PerEndpoint = orDefault(cfg.PerEndpoint, 2)
	cfg.Timeout = orDefault(cfg.Timeout, 10*time.Second)
	cfg.Lease = max(orDefault(cfg.Lease, 4*cfg.Timeout), 2*cfg.Timeout)
	cfg.Poll = orDefault(cfg.Poll, 2*time.Second)
	cfg.Batch = orDefault(cfg.Batch, 100)
	cfg.FailingAfter = orDefault(cfg.FailingAfter, DefaultFailingAfter)
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Jitter == nil {
		cfg.Jitter = FullJitter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	public, private := cfg.Client, cfg.Client
	if cfg.Client == nil {
		public = newClient(cfg.Timeout, false)
		private = public
		if cfg.AllowPrivate {
			private = newClient(cfg.Timeout, true)
		}
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	d := &Dispatcher{
		cfg:     cfg,
		public:  public,
		private: private,
		log:     cfg.Logger.With("component", "webhook"),
		kick:    make(chan struct{}, 1),
		slot:    make(chan struct{}, cfg.Workers),
		busy:    make(map[string]int),
	}
	for range cfg.Workers {
		d.slot <- struct{}{}
	}
	return d, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// leaseOwner names one lease: the replica and a random suffix. A name of
// its own per lease matters when a stream's lease is broken (a replay)
// and this dispatcher leases the stream again while the first worker is
// still at an attempt: under the replica's name alone, the first worker's
// next step would pass for the second's, and both would deliver.
func (d *Dispatcher) leaseOwner() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return d.cfg.Owner + "/" + hex.EncodeToString(b)
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b) // a failure leaves zeros; the host name still tells replicas apart
	return host + "-" + hex.EncodeToString(b)
}

// Start runs the dispatcher in the background until Stop. Calling it twice
// without a Stop between is a no-op.
func (d *Dispatcher) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go d.loop(ctx, d.done)
	d.log.Info("webhook dispatcher started", "owner", d.cfg.Owner, "workers", d.cfg.Workers)
}

// Stop ends the loop, cancels deliveries in flight (their streams are
// released and retried by whoever leases them next) and waits for the
// workers until ctx is done. It returns ctx's error when the wait was cut.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.cancel, d.done = nil, nil
	d.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()

	stopped := make(chan struct{})
	go func() {
		<-done
		d.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop webhook dispatcher: %w", ctx.Err())
	}
}

// Kick asks for a round now, for example after an endpoint was created or
// a stream reset. It never blocks.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// Subscribe before the round so that a write committed during it
		// wakes the next one.
		var changed <-chan struct{}
		if d.cfg.Changes != nil {
			changed = d.cfg.Changes.Wait("")
		}
		if err := d.round(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook round", "error", err)
		}

		timer.Reset(d.cfg.Poll)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-d.kick:
		case <-timer.C:
		}
	}
}

// round creates missing streams and hands every due stream that a worker
// and the endpoint's bound allow to a worker. It does not wait for them.
func (d *Dispatcher) round(ctx context.Context) error {
	st := d.cfg.Store
	if err := st.EnsureStreams(ctx); err != nil {
		return fmt.Errorf("ensure streams: %w", err)
	}
	free := len(d.slot)
	if free == 0 {
		return nil
	}
	// Ask for more than the free workers: some streams belong to endpoints
	// that are at their bound.
	due, err := st.DueStreams(ctx, d.cfg.Now(), 4*free)
	if err != nil {
		return fmt.Errorf("list due streams: %w", err)
	}
	if len(due) == 0 {
		return nil
	}
	eps, err := d.endpoints(ctx)
	if err != nil {
		return err
	}

	for _, s := range due {
		ep, ok := eps[s.EndpointID]
		if !ok || !d.reserve(s.EndpointID) {
			continue
		}
		now := d.cfg.Now()
		leased, err := st.LeaseStream(ctx, s.EndpointID, s.AccountID, d.leaseOwner(),
			now, now.Add(d.cfg.Lease))
		if err != nil {
			d.unreserve(s.EndpointID)
			if errors.Is(err, directory.ErrLeaseLost) || errors.Is(err, directory.ErrNotFound) {
				continue
			}
			return fmt.Errorf("lease stream: %w", err)
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer d.unreserve(ep.ID)
			d.work(ctx, ep, leased)
		}()
	}
	return nil
}

func (d *Dispatcher) endpoints(ctx context.Context) (map[string]*directory.Endpoint, error) {
	list, err := d.cfg.Store.Endpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	m := make(map[string]*directory.Endpoint, len(list))
	for _, e := range list {
		if e.Enabled {
			m[e.ID] = e
		}
	}
	return m, nil
}

// reserve takes a worker slot for a stream of endpoint id when one is free
// and the endpoint is under its bound.
func (d *Dispatcher) reserve(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy[id] >= d.cfg.PerEndpoint {
		return false
	}
	select {
	case <-d.slot:
	default:
		return false
	}
	d.busy[id]++
	return true
}

func (d *Dispatcher) unreserve(id string) {
	d.mu.Lock()
	d.busy[id]--
	if d.busy[id] <= 0 {
		delete(d.busy, id)
	}
	d.mu.Unlock()
	d.slot <- struct{}{}
	d.Kick()
}
