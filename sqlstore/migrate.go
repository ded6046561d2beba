package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"hash/crc64"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of goose SQL files per dialect. Files are
// numbered: 00001_core.sql; 00002_console.sql and 00003_webhooks.sql belong
// to the console and the webhook tables. Both directories must keep the same
// numbers.
//
//go:embed migrations
var migrations embed.FS

// Migrate applies every pending migration. On PostgreSQL it holds an advisory
// lock meanwhile, so replicas that start together migrate one after the
// other; the lock is per schema, so that databases sharing a server do not
// wait on one another. Errors name the migration that failed.
func (d *DB) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+string(d.dialect))
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}

	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := d.migrationLocker(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, d.wdb, dir, opts...)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}

	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			d.log.Info("migration applied", "version", r.Source.Version,
				"file", r.Source.Path, "duration", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate %s database: %w", d.dialect, d.mapErr(err))
	}
	return nil
}

// migrationLocker returns a session locker whose advisory lock id is derived
// from the current schema. It probes every second for up to five minutes.
func (d *DB) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema string
	err := d.wdb.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema)
	if err != nil {
		return nil, fmt.Errorf("read current schema: %w", d.mapErr(err))
	}
	id := int64(crc64.Checksum([]byte("scimd migrations "+schema),
		crc64.MakeTable(crc64.ECMA)) >> 1)
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(id), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("prepare migration lock: %w", err)
	}
	return locker, nil
}
