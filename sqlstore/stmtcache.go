package sqlstore

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCacheSize bounds the statements one pool keeps prepared. sqlstore's
// own statements number a few dozen; the rest is room for the filter shapes
// clients send and for short lists, whose text depends on their length.
const stmtCacheSize = 256

// maxCachedQuery bounds the text of a statement the cache keeps, in bytes.
// Longer statements are the IN lists and multi-row inserts of many values:
// each length is a statement of its own, seldom repeated, whose parse is
// small next to the rows it touches, and whose compiled form would take
// memory on every connection of the pool.
const maxCachedQuery = 4096

// stmtCache keeps statements prepared on one pool, by their SQL text, and
// closes the least recently used beyond its bound. database/sql prepares a
// pool's statement on a connection the first time it runs there, and
// Tx.StmtContext reuses that preparation on the transaction's connection,
// so a cached statement is parsed once per connection, not once per call.
// Filters compile to the same text for the same shape (values are bound),
// so a client repeating a lookup reuses its statement too.
//
// A stmtCache is safe for concurrent use. A statement evicted while a caller
// holds it is closed when the caller gives it back.
type stmtCache struct {
	db  *sql.DB
	max int

	mu      sync.Mutex
	entries map[string]*list.Element // of *cachedStmt
	lru     list.List                // most recently used first
	wanted  map[string]bool          // missed in a transaction; see lookup
	closed  bool
	parsed  int // statements prepared on the pool, for tests
}

// cachedStmt is one statement of a stmtCache.
type cachedStmt struct {
	query string
	stmt  *sql.Stmt
	users int  // callers between acquire (or lookup) and release
	gone  bool // out of the cache: closed once users drops to 0
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, entries: map[string]*list.Element{},
		wanted: map[string]bool{}}
}

// acquire returns query's statement, preparing it on the pool first when it
// is not cached. It returns nil for a statement too long to cache, on a
// closed cache, or when the statement cannot be prepared: the caller then
// runs query as it is, and meets the statement's own error there, as it
// would without a cache. A statement returned must be given back with
// release after its call. The caller must hold no connection of the pool:
// preparing may wait for one.
func (c *stmtCache) acquire(ctx context.Context, query string) *cachedStmt {
	if e := c.lookup(query, false); e != nil || len(query) > maxCachedQuery {
		return e
	}

	// Parse outside the lock. Two callers that miss together both prepare;
	// add keeps one statement and closes the other.
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.add(query, stmt)
}

// lookup returns query's statement when it is cached, to be given back with
// release, or nil. A caller inside a transaction sets want: it must not
// prepare, which would wait for a second connection of the pool (forever on
// SQLite's single writer), so the query is remembered instead and
// prepareWanted prepares it once the transaction has ended.
func (c *stmtCache) lookup(query string, want bool) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[query]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*cachedStmt)
		e.users++
		return e
	}
	if want && !c.closed && len(query) <= maxCachedQuery && len(c.wanted) < c.max {
		c.wanted[query] = true
	}
	return nil
}

// add caches stmt as query's statement and returns it acquired. When another
// caller cached query first, stmt is closed and that caller's statement
// returned; on a closed cache stmt is closed and the result is nil.
func (c *stmtCache) add(query string, stmt *sql.Stmt) *cachedStmt {
	var done []*sql.Stmt
	defer func() {
		for _, s := range done {
			s.Close()
		}
	}()
	c.mu.Lock()
	defer c.mu.Unlock()

	c.parsed++
	if c.closed {
		done = append(done, stmt)
		return nil
	}
	if el, ok := c.entries[query]; ok {
		done = append(done, stmt)
		c.lru.MoveToFront(el)
		e := el.Value.(*cachedStmt)
		e.users++
		return e
	}
	e := &cachedStmt{query: query, stmt: stmt, users: 1}
	c.entries[query] = c.lru.PushFront(e)
	delete(c.wanted, query)
	for c.lru.Len() > c.max {
		done = c.evictLocked(c.lru.Back(), done)
	}
	return e
}

// evictLocked takes el out of the cache and appends its statement to done
// when no caller holds it.
func (c *stmtCache) evictLocked(el *list.Element, done []*sql.Stmt) []*sql.Stmt {
	e := c.lru.Remove(el).(*cachedStmt)
	delete(c.entries, e.query)
	e.gone = true
	if e.users == 0 {
		done = append(done, e.stmt)
	}
	return done
}

// release gives back a statement that acquire or lookup returned.
func (c *stmtCache) release(e *cachedStmt) {
	c.mu.Lock()
	e.users--
	last := e.gone && e.users == 0
	c.mu.Unlock()
	if last {
		e.stmt.Close()
	}
}

// prepareWanted prepares the statements that transactions missed (see
// lookup). The caller must hold no connection of the pool. A statement that
// fails to prepare is dropped: its error shows where it runs. On SQLite's
// write pool this waits for the one connection, behind any writer queued
// meanwhile: a cost each new statement pays once, after the transaction
// that met it.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()

	for _, q := range queries {
		stmt, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if e := c.add(q, stmt); e != nil {
			c.release(e)
		}
	}
}

// warm prepares queries that are not cached yet, and those transactions
// missed, ahead of a transaction that will run them. The caller must hold no
// connection of the pool.
func (c *stmtCache) warm(ctx context.Context, queries ...string) {
	for _, q := range queries {
		if e := c.lookup(q, true); e != nil {
			c.release(e)
		}
	}
	c.prepareWanted(ctx)
}

// reset closes every cached statement, so that the next use of each
// prepares it afresh; Migrate calls it after changing the schema.
func (c *stmtCache) reset() {
	var done []*sql.Stmt
	c.mu.Lock()
	for c.lru.Len() > 0 {
		done = c.evictLocked(c.lru.Front(), done)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, s := range done {
		s.Close()
	}
}

// close closes every statement and turns the cache off: from then on acquire
// and lookup return nil.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.reset()
}

// len returns how many statements are cached.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cachedPool is a querier that runs statements on a pool through its cache.
type cachedPool struct{ c *stmtCache }

func (p cachedPool) ExecContext(ctx context.Context, query string,
	args ...any) (sql.Result, error) {
	e := p.c.acquire(ctx, query)
	if e == nil {
		return p.c.db.ExecContext(ctx, query, args...)
	}
	defer p.c.release(e)
	return e.stmt.ExecContext(ctx, args...)
}

func (p cachedPool) QueryContext(ctx context.Context, query string,
	args ...any) (*sql.Rows, error) {
	e := p.c.acquire(ctx, query)
	if e == nil {
		return p.c.db.QueryContext(ctx, query, args...)
	}
	// The rows keep the statement open after release: database/sql closes
	// a statement only when the last of its rows is closed.
	defer p.c.release(e)
	return e.stmt.QueryContext(ctx, args...)
}

func (p cachedPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	e := p.c.acquire(ctx, query)
	if e == nil {
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	defer p.c.release(e)
	return e.stmt.QueryRowContext(ctx, args...)
}

// cachedTx is a querier that runs one transaction's statements through the
// cache of the pool the transaction began on. Like the transaction, it is
// for one goroutine at a time.
//
// Runs of one statement in a transaction share one preparation on its
// connection, so rows of a statement must be read to the end or closed
// before the same statement runs again: SQLite refuses to bind a statement
// that is still stepping ("bad parameter or other API misuse").
type cachedTx struct {
	c     *stmtCache
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // bound to tx, closed with it
}

// stmt returns query's statement bound to the transaction, or nil when the
// cache does not hold it yet.
func (t *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := t.stmts[query]; ok {
		return s
	}
	e := t.c.lookup(query, true)
	if e == nil {
		return nil
	}

	// The bound statement keeps the cached one's preparation alive until
	// the transaction ends, even when it is evicted meanwhile.
	s := t.tx.StmtContext(ctx, e.stmt)
	t.c.release(e)
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = s
	return s
}

func (t *cachedTx) ExecContext(ctx context.Context, query string,
	args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *cachedTx) QueryContext(ctx context.Context, query string,
	args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// cacheStatements gives d's pools their statement caches; on PostgreSQL the
// one pool has one cache.
func (d *DB) cacheStatements() {
	d.wstmts = newStmtCache(d.wdb, stmtCacheSize)
	d.rstmts = d.wstmts
	if d.rdb != d.wdb {
		d.rstmts = newStmtCache(d.rdb, stmtCacheSize)
	}
}

// closeStatements closes the statement caches: statements run as they come
// from then on. It leaves the fields as they are, for requests still
// running while d closes.
func (d *DB) closeStatements() {
	for _, c := range []*stmtCache{d.rstmts, d.wstmts} {
		if c != nil {
			c.close()
		}
	}
}

// resetStatements closes the cached statements, to be prepared again on
// their next use.
func (d *DB) resetStatements() {
	for _, c := range []*stmtCache{d.rstmts, d.wstmts} {
		if c != nil {
			c.reset()
		}
	}
}

// reader returns the querier for reads outside a transaction.
func (d *DB) reader() querier {
	if d.rstmts == nil {
		return d.rdb
	}
	return cachedPool{d.rstmts}
}

// writer returns the querier for writes outside a transaction.
func (d *DB) writer() querier {
	if d.wstmts == nil {
		return d.wdb
	}
	return cachedPool{d.wstmts}
}

// inTx returns the querier for a transaction that began on c's pool; c is
// nil when that pool has no cache.
func inTx(c *stmtCache, tx *sql.Tx) querier {
	if c == nil {
		return tx
	}
	return &cachedTx{c: c, tx: tx}
}
