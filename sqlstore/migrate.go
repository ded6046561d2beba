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
// wait on one another. SQLite has no such lock across processes (the
// command line beside a starting server): there a migration that fails
// after another process moved the schema on is tried again, up to
// maxMigrateAttempts times. Errors name the migration that failed.
func (d *DB) Migrate(ctx context.Context) error {
	var opts []goose.ProviderOption
	if d.dialect == Postgres {
		locker, err := d.migrationLocker(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}

	for attempt := 1; ; attempt++ {
		before, _, _ := d.SchemaVersion(ctx)
		err := d.migrateOnce(ctx, opts)
		if err == nil || d.dialect != SQLite || attempt == maxMigrateAttempts {
			return err
		}
		// Each migration commits on its own, so a rival that won the race
		// shows as a newer version; a broken migration shows as none.
		after, _, verr := d.SchemaVersion(ctx)
		if verr != nil || after <= before {
			return err
		}
		d.log.Info("schema migrated by another process meanwhile; trying again",
			"version", after, "error", err)
	}
}

// maxMigrateAttempts bounds how often Migrate runs goose on SQLite while
// other processes migrate the same file.
const maxMigrateAttempts = 5

func (d *DB) migrateOnce(ctx context.Context, opts []goose.ProviderOption) error {
	p, err := d.migrationProvider(opts...)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)

	// Both engines plan a statement again when its tables change, but
	// PostgreSQL refuses one whose result columns changed ("cached plan
	// must not change result type"): statements cached before the
	// migration are prepared again on their next use.
	d.resetStatements()
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

// migrationProvider returns a goose provider over d's migrations.
func (d *DB) migrationProvider(opts ...goose.ProviderOption) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(d.dialect))
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	if d.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.wdb, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return p, nil
}

// SchemaVersion returns the version of the last migration applied to the
// database (0 for a database never migrated) and of the last one this build
// embeds. It only reads: unlike goose's own version queries it creates no
// version table. It takes no lock, so during another process's migration it
// may return the version from before. Errors wrap directory.ErrUnavailable
// when the database cannot be reached.
func (d *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := d.migrationProvider()
	if err != nil {
		return 0, 0, err
	}
	if sources := p.ListSources(); len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}

	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.dialect == Postgres {
		exists = `SELECT count(*) FROM pg_tables
			WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	err = d.rdb.QueryRowContext(ctx, d.rebind(exists), versionTable).Scan(&n)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s schema version: %w", d.dialect, d.mapErr(err))
	}
	if n == 0 {
		return 0, latest, nil
	}
	err = d.rdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM `+
		versionTable).Scan(&current)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s schema version: %w", d.dialect, d.mapErr(err))
	}
	return current, latest, nil
}

// versionTable is where goose records the migrations applied.
const versionTable = "goose_db_version"
