package activity

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// DefaultMaxAge is how long provisioning activity is kept unless configured
// otherwise.
const DefaultMaxAge = 14 * 24 * time.Hour

// PrunerConfig tunes a Pruner. Zero fields take the defaults.
type PrunerConfig struct {
	MaxAge time.Duration // default DefaultMaxAge
	Every  time.Duration // how often to prune; default 1h
	// Batch is the most entries one statement deletes, so that pruning
	// never holds a long write lock. Default 500.
	Batch int
	// Pause separates batches, letting other writers in. Default 50ms.
	Pause  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Pruner deletes provisioning activity older than MaxAge and the console's
// expired sessions, setup tokens and stale sign-in failure counts. Several
// processes may prune one database: deleting is idempotent.
type Pruner struct {
	store Store
	cfg   PrunerConfig
	log   *slog.Logger
}

// NewPruner returns a Pruner over store.
func NewPruner(store Store, cfg PrunerConfig) *Pruner {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Pause <= 0 {
		cfg.Pause = 50 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Pruner{store: store, cfg: cfg, log: cfg.Logger.With("component", "activity")}
}

// Run prunes at once and then every cfg.Every until ctx ends; it returns
// nil then. A failed round is logged and retried at the next one.
func (p *Pruner) Run(ctx context.Context) error {
	tick := time.NewTicker(p.cfg.Every)
	defer tick.Stop()
	for {
		n, err := p.Prune(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			p.log.Warn("prune", "error", err)
		case n > 0:
			p.log.Info("activity pruned", "entries", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Prune deletes, in batches of cfg.Batch, the activity older than MaxAge,
// then the console's expired records. It returns how many activity entries
// it deleted and the first error, which stops it.
func (p *Pruner) Prune(ctx context.Context) (int, error) {
	now := p.cfg.Now().UTC()
	before := now.Add(-p.cfg.MaxAge)
	total := 0
	for {
		n, err := p.store.PruneActivity(ctx, before, p.cfg.Batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune activity before %s: %w",
				before.Format(time.RFC3339), err)
		}
		if n < p.cfg.Batch {
			break
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(p.cfg.Pause):
		}
	}

	// A sign-in failure count older than a day no longer throttles anyone.
	if err := p.store.PruneConsole(ctx, now, now.Add(-24*time.Hour)); err != nil {
		return total, fmt.Errorf("prune console: %w", err)
	}
	return total, nil
}
