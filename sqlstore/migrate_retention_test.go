package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestMigrationMarksEarlierPruning checks that migration 5 derives each
// account's pruned mark from the gaps that pruning left before it was
// recorded, so that an upgrade does not let old cursors through.
func TestMigrationMarksEarlierPruning(t *testing.T) {
	accounts := []struct {
		name string
		seq  int64   // the account's event counter
		kept []int64 // the positions still stored
		want int64   // the mark
	}{
		{"never-written", 0, nil, 0},
		{"nothing-pruned", 4, []int64{1, 2, 3, 4}, 0},
		{"oldest-pruned", 5, []int64{3, 4, 5}, 2},
		{"all-pruned", 5, nil, 5},
		{"newest-pruned", 5, []int64{1, 2, 3}, 5},
		{"highest-gap", 7, []int64{1, 2, 4, 6, 7}, 5},
	}
	for _, dialect := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			cfg := sqlstore.Config{Migrate: true, MaxOpenConns: 2}
			if dialect == sqlstore.Postgres {
				cfg.URL = sqlstoretest.SchemaURL(t)
			} else {
				cfg.DataDir = t.TempDir()
			}
			migrateTo(t, dialect, cfg, 4)

			raw := rawDB(t, dialect, cfg)
			marks := func(n int) string {
				out := make([]string, n)
				for i := range out {
					out[i] = "?"
					if dialect == sqlstore.Postgres {
						out[i] = fmt.Sprintf("$%d", i+1)
					}
				}
				return strings.Join(out, ", ")
			}
			const at = "2024-01-01T00:00:00.000000Z"
			for _, a := range accounts {
				_, err := raw.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at,
					event_seq) VALUES (`+marks(4)+`)`, a.name, a.name, at, a.seq)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range a.kept {
					_, err := raw.ExecContext(ctx, `INSERT INTO events (account_id, position, id,
						type, time, client, resource_type, resource_id, version)
						VALUES (`+marks(9)+`)`, a.name, p, fmt.Sprint(a.name, p),
						directory.EventUserCreated, at, "Okta", "User", "u", 1)
					if err != nil {
						t.Fatal(err)
					}
				}
			}

			db, err := sqlstore.Open(ctx, cfg)
			if err != nil {
				t.Fatalf("open and migrate: %v", err)
			}
			defer db.Close()
			for _, a := range accounts {
				_, err := db.Events(ctx, a.name, 0, 10)
				var ce *directory.CursorExpiredError
				switch {
				case a.want == 0 && err != nil:
					t.Errorf("%s: %v, want no mark", a.name, err)
				case a.want > 0 && (!errors.As(err, &ce) || ce.PrunedThrough != a.want):
					t.Errorf("%s: %v, want the mark at %d", a.name, err, a.want)
				}
			}

			// The migration's time stands for the pruned events': an
			// endpoint made after it starts past them, one made before
			// it counts them as missed.
			before := mustEndpoint(t, db, "all-pruned", time.Now().Add(-time.Hour))
			after := mustEndpoint(t, db, "all-pruned", time.Now())
			if err := db.EnsureStreams(ctx); err != nil {
				t.Fatal(err)
			}
			if s := streamOf(t, db, after.ID, "all-pruned"); s == nil || s.Position != 5 {
				t.Errorf("stream of an endpoint made after the migration: %+v, want 5", s)
			}
			if s := streamOf(t, db, before.ID, "all-pruned"); s == nil || s.Position != 0 {
				t.Errorf("stream of an endpoint made before the migration: %+v, want 0", s)
			}
		})
	}
}
