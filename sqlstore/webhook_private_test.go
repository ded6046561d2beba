package sqlstore_test

import (
	"context"
	"testing"

	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestEndpointsBeforeAllowPrivate checks the upgrade of endpoints made
// before endpoints recorded who may reach private addresses: they were all
// made through the operators' management API, so they keep that right.
func TestEndpointsBeforeAllowPrivate(t *testing.T) {
	for _, dialect := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := sqlstore.Config{Migrate: true, MaxOpenConns: 2}
			if dialect == sqlstore.Postgres {
				cfg.URL = sqlstoretest.SchemaURL(t)
			} else {
				cfg.DataDir = t.TempDir()
			}
			migrateTo(t, dialect, cfg, 3)
			raw := rawDB(t, dialect, cfg)
			insert := `INSERT INTO webhook_endpoints (id, url, secret, event_types, enabled,
				created_at) VALUES ('old', 'http://10.0.0.5/', 'whsec_x', '[]', TRUE, ` +
				`'2024-01-02T03:04:05.000000Z')`
			if _, err := raw.Exec(insert); err != nil {
				t.Fatal(err)
			}

			db, err := sqlstore.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			e, err := db.Endpoint(context.Background(), "old")
			if err != nil || !e.AllowPrivate {
				t.Fatalf("endpoint made before the migration: %+v, %v; want AllowPrivate", e, err)
			}
		})
	}
}
