package sqlstore_test

import (
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/directory/storetest"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestStore runs the store contract on SQLite and, where it is reachable,
// PostgreSQL.
func TestStore(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		storetest.Run(t, func(t *testing.T) directory.Store { return open(t) })
	})
}

// TestStoreOtherStatementCache runs the store contract with the statement
// cache each engine does not use: none on SQLite, sqlstore's over pgx's own
// on PostgreSQL. Both must behave the same.
func TestStoreOtherStatementCache(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		storetest.Run(t, func(t *testing.T) directory.Store {
			db := open(t)
			db.CacheStatements(db.Dialect() == sqlstore.Postgres)
			return db
		})
	})
}
