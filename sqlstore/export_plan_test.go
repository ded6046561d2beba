package sqlstore

import (
	"context"
	"strings"

	"github.com/scimd/scimd/directory"
)

// ExplainAccountDeliveries returns the plan of AccountDeliveries for q, with
// sequential scans off on PostgreSQL as in ExplainList.
func (d *DB) ExplainAccountDeliveries(ctx context.Context,
	q directory.DeliveryQuery) (string, error) {
	return d.explain(ctx, accountDeliveries, q.EndpointID, q.AccountID, int64(maxID),
		!q.FailedOnly, q.Limit)
}

// ExplainEndpointsFor returns the plan of EndpointsFor, with sequential
// scans off on PostgreSQL as in ExplainList.
func (d *DB) ExplainEndpointsFor(ctx context.Context, accountID string,
	withGlobal bool) (string, error) {
	query := endpointsOfAccount
	if withGlobal {
		query = endpointsOfAccountAndGlobal
	}
	return d.explain(ctx, query, accountID)
}

// explain returns the engine's plan of query, one line per step.
func (d *DB) explain(ctx context.Context, query string, args ...any) (string, error) {
	tx, err := d.rdb.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if d.dialect == Postgres {
		if _, err := d.wdb.ExecContext(ctx, "ANALYZE"); err != nil {
			return "", err
		}
		explain = "EXPLAIN "
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return "", err
		}
	}
	rows, err := tx.QueryContext(ctx, d.rebind(explain+query), args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		if s, ok := vals[len(vals)-1].(string); ok {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n"), rows.Err()
}
