package sqlstore

import (
	"context"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// ListFor is List with a resource type of the test's own, for tests of
// attribute types the standard schemas do not use.
func (d *DB) ListFor(ctx context.Context, accountID string, kind directory.Kind,
	rt *scim.ResourceType, q directory.Query) (*directory.Page, error) {
	return d.list(ctx, accountID, kind, rt, q)
}

// ExplainList returns the engine's plans for the two queries of a List
// call: the count and the page. On PostgreSQL sequential scans are turned
// off, so that the plan shows the index a large table would use even when
// the test's table is small.
func (d *DB) ExplainList(ctx context.Context, accountID string, kind directory.Kind,
	q directory.Query) (count, page string, err error) {
	lq, err := d.listQuery(accountID, kind, directory.ResourceType(kind), q)
	if err != nil {
		return "", "", err
	}
	if count, err = d.explain(ctx, `SELECT count(*)`+lq.from, lq.args...); err != nil {
		return "", "", err
	}
	page, err = d.explain(ctx, lq.page(), append(lq.args, 100, 0)...)
	return count, page, err
}

// Pragma reads a pragma on the write connection, or with reader set on a
// connection of the read pool.
func (d *DB) Pragma(ctx context.Context, name string, reader bool) (string, error) {
	db := d.wdb
	if reader {
		db = d.rdb
	}
	var v string
	err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// CacheStatements turns the prepared-statement cache on or off, on either
// engine, so that a benchmark can measure both in one run. d must not be in
// use meanwhile.
func (d *DB) CacheStatements(on bool) {
	d.closeStatements()
	d.rstmts, d.wstmts = nil, nil
	if on {
		d.cacheStatements()
	}
}
