package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CopyStats says what Copy moved: the rows of every table, in the order
// they were copied.
type CopyStats struct {
	Tables []TableStats
}

// TableStats counts the rows Copy moved into one table.
type TableStats struct {
	Name string
	Rows int64
}

// Rows returns the number of rows copied in all.
func (s CopyStats) Rows() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rows
	}
	return n
}

// copyBatchRows bounds the rows of one insert; copyBatchParams keeps a batch
// within both engines' parameter limits (SQLite 32766, PostgreSQL 65535).
const (
	copyBatchRows   = 500
	copyBatchParams = 30000
)

// Copy moves a whole installation from one database to another, typically
// from SQLite to PostgreSQL when a deployment outgrows one machine: every
// table the migrations create, rows as they are, so that ids, tokens,
// password hashes, event positions and the accounts' event counters,
// webhook cursors and leases carry over unchanged. Nothing is skipped,
// console sessions included, so operators stay signed in.
//
// from must be migrated to the schema this build embeds. to must hold no
// rows and no tables the migrations do not create; Copy migrates it when
// needed. The source is read in one snapshot and the target written in one
// transaction that locks every table against concurrent writers, so the
// copy lands whole or not at all. Writes to from after the snapshot are not
// copied: stop scimd first.
//
// Copy returns an error naming the table that failed; a target that is not
// empty is refused before anything is written. Errors wrap
// directory.ErrUnavailable when a database cannot be reached.
func Copy(ctx context.Context, from, to *DB) (CopyStats, error) {
	var stats CopyStats
	tables, err := migrationTables(to.dialect)
	if err != nil {
		return stats, err
	}
	if err := checkTables(ctx, from, "source", tables); err != nil {
		return stats, err
	}
	current, latest, err := from.SchemaVersion(ctx)
	if err != nil {
		return stats, err
	}
	if current != latest {
		return stats, fmt.Errorf("copy: the source database is at schema version %d, this "+
			"scimd at %d: migrate it first (scimd migrate)", current, latest)
	}
	if err := checkTables(ctx, to, "target", tables); err != nil {
		return stats, err
	}
	if err := to.Migrate(ctx); err != nil {
		return stats, fmt.Errorf("copy: prepare target: %w", err)
	}

	plans := make([]copyPlan, len(tables))
	for i, name := range tables {
		if plans[i], err = planCopy(ctx, from, to, name); err != nil {
			return stats, err
		}
	}

	// One snapshot of the source: PostgreSQL's repeatable read, or a SQLite
	// read transaction, which WAL keeps consistent from its first read.
	opts := &sql.TxOptions{ReadOnly: true}
	if from.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	src, err := from.rdb.BeginTx(ctx, opts)
	if err != nil {
		return stats, fmt.Errorf("copy: read source: %w", from.mapErr(err))
	}
	defer src.Rollback()

	err = to.writeTx(ctx, func(dst *sql.Tx) error {
		stats = CopyStats{}
		if err := lockEmpty(ctx, to, dst, tables); err != nil {
			return err
		}
		for _, p := range plans {
			n, err := p.run(ctx, src, dst)
			if err != nil {
				return err
			}
			stats.Tables = append(stats.Tables, TableStats{Name: p.table, Rows: n})
		}
		return nil
	})
	if err != nil {
		return CopyStats{}, err
	}
	for _, t := range stats.Tables {
		to.log.Info("table copied", "table", t.Name, "rows", t.Rows)
	}
	return stats, nil
}

// lockEmpty locks the target's tables against other writers (a scimd
// started too early) and refuses a target that holds any row.
func lockEmpty(ctx context.Context, to *DB, dst *sql.Tx, tables []string) error {
	if to.dialect == Postgres {
		_, err := dst.ExecContext(ctx, `LOCK TABLE `+strings.Join(tables, ", ")+
			` IN EXCLUSIVE MODE`)
		if err != nil {
			return fmt.Errorf("copy: lock target tables: %w", to.mapErr(err))
		}
	}
	for _, t := range tables {
		var n int
		err := dst.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+t+
			` LIMIT 1) AS probe`).Scan(&n)
		if err != nil {
			return fmt.Errorf("copy: read target table %s: %w", t, to.mapErr(err))
		}
		if n > 0 {
			return fmt.Errorf("copy: the target database is not empty (table %s has rows); "+
				"copy into a new database or schema", t)
		}
	}
	return nil
}

// checkTables refuses a database holding a table the migrations do not
// create: the source's would be left behind, the target is not scimd's.
func checkTables(ctx context.Context, d *DB, side string, known []string) error {
	have, err := d.catalogTables(ctx)
	if err != nil {
		return err
	}
	var unknown []string
	for _, t := range have {
		if !slices.Contains(known, t) {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("copy: the %s database has tables no migration creates (%s); "+
			"copy moves scimd's tables only", side, strings.Join(unknown, ", "))
	}
	return nil
}

// catalogTables lists the tables of d's database or schema, leaving out
// goose's and SQLite's own.
func (d *DB) catalogTables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`
	if d.dialect == Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
			ORDER BY tablename`
	}
	rows, err := d.rdb.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if name != versionTable {
			out = append(out, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", d.mapErr(err))
	}
	return out, nil
}

var (
	createTable = regexp.MustCompile(
		`(?i)\b(CREATE|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"?(\w+)"?`)
	renameTable = regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+"?(\w+)"?\s+RENAME\s+TO\s+"?(\w+)"?`)
	identifier  = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	lineComment = regexp.MustCompile(`--[^\n]*`)
)

// migrationTables returns the tables the migrations of dialect leave, in the
// order they are created, which is an order foreign keys allow: a table can
// only reference one created before it. It reads the Up sections alone.
func migrationTables(dialect Dialect) ([]string, error) {
	dir := "migrations/" + string(dialect)
	files, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("read migrations of %s: %v", dialect, err)
	}
	slices.Sort(files)
	var tables []string
	for _, f := range files {
		b, err := fs.ReadFile(migrations, f)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", f, err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		up = lineComment.ReplaceAllString(up, "")
		for _, stmt := range strings.Split(up, ";") {
			if m := renameTable.FindStringSubmatch(stmt); m != nil {
				i := slices.Index(tables, strings.ToLower(m[1]))
				if i >= 0 {
					tables[i] = strings.ToLower(m[2])
				}
				continue
			}
			for _, m := range createTable.FindAllStringSubmatch(stmt, -1) {
				name := strings.ToLower(m[2])
				tables = slices.DeleteFunc(tables, func(t string) bool { return t == name })
				if strings.EqualFold(m[1], "CREATE") {
					tables = append(tables, name)
				}
			}
		}
	}
	for _, t := range tables {
		if !identifier.MatchString(t) {
			return nil, fmt.Errorf("migrations of %s create table %q, which copy cannot name",
				dialect, t)
		}
	}
	return tables, nil
}

// copyPlan copies one table: its columns, how each value converts between
// the engines, and the insert that writes a batch.
type copyPlan struct {
	from, to  *DB
	table     string
	columns   []string
	kinds     []valueKind
	identity  string // the target's identity column, "" when none
	batchRows int
}

// valueKind is how a column's values cross from one engine to the other.
type valueKind int

const (
	kindPlain valueKind = iota // text, integers, bytes: the same on both
	kindTime                   // RFC 3339 text on SQLite, timestamptz on PostgreSQL
	kindBool                   // 0 or 1 on SQLite, boolean on PostgreSQL
	kindJSON                   // text on SQLite, json or jsonb on PostgreSQL
)

// column is one column as a database's catalog describes it.
type column struct {
	name     string
	kind     valueKind
	identity bool
}

// planCopy compares a table's columns on both sides and plans its copy.
func planCopy(ctx context.Context, from, to *DB, table string) (copyPlan, error) {
	src, err := from.columns(ctx, table)
	if err != nil {
		return copyPlan{}, err
	}
	dst, err := to.columns(ctx, table)
	if err != nil {
		return copyPlan{}, err
	}
	names := func(cs []column) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.name
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(names(src), names(dst)) {
		return copyPlan{}, fmt.Errorf("copy table %s: columns differ: source %v, target %v",
			table, names(src), names(dst))
	}

	// PostgreSQL's catalog knows the types; on SQLite they are all text or
	// integers, so the PostgreSQL side, if any, decides the conversion.
	typed := dst
	if from.dialect == Postgres {
		typed = src
	}
	p := copyPlan{from: from, to: to, table: table}
	for _, c := range dst {
		p.columns = append(p.columns, c.name)
		i := slices.IndexFunc(typed, func(t column) bool { return t.name == c.name })
		p.kinds = append(p.kinds, typed[i].kind)
		if c.identity {
			p.identity = c.name
		}
	}
	p.batchRows = min(copyBatchRows, copyBatchParams/len(p.columns))
	return p, nil
}

// columns describes a table's columns in their order.
func (d *DB) columns(ctx context.Context, table string) ([]column, error) {
	q := `SELECT name, '', 'NO' FROM pragma_table_info(?) ORDER BY cid`
	if d.dialect == Postgres {
		q = `SELECT column_name, data_type, is_identity FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ?
			ORDER BY ordinal_position`
	}
	rows, err := d.rdb.QueryContext(ctx, d.rebind(q), table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", table, d.mapErr(err))
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		var typ, identity string
		if err := rows.Scan(&c.name, &typ, &identity); err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", table, err)
		}
		switch typ {
		case "timestamp with time zone":
			c.kind = kindTime
		case "boolean":
			c.kind = kindBool
		case "json", "jsonb":
			c.kind = kindJSON
		}
		c.identity = identity == "YES"
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", table, d.mapErr(err))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read columns of %s: no such table", table)
	}
	return out, nil
}

// run copies the table's rows from src to dst in batches and returns how
// many it copied.
func (p copyPlan) run(ctx context.Context, src, dst *sql.Tx) (int64, error) {
	cols := strings.Join(p.columns, ", ")
	rows, err := src.QueryContext(ctx, `SELECT `+cols+` FROM `+p.table)
	if err != nil {
		return 0, fmt.Errorf("copy table %s: read: %w", p.table, p.from.mapErr(err))
	}
	defer rows.Close()

	var n int64
	batch := make([]any, 0, p.batchRows*len(p.columns))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.insert(ctx, dst, batch)
		batch = batch[:0]
		return err
	}
	vals := make([]any, len(p.columns))
	ptrs := make([]any, len(p.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("copy table %s: read: %w", p.table, err)
		}
		for i, v := range vals {
			cv, err := convert(v, p.kinds[i], p.to.dialect)
			if err != nil {
				return n, fmt.Errorf("copy table %s: column %s: %w", p.table, p.columns[i], err)
			}
			batch = append(batch, cv)
		}
		n++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("copy table %s: read: %w", p.table, p.from.mapErr(err))
	}
	if err := flush(); err != nil {
		return n, err
	}

	// Rows kept their ids, so the identity's sequence must move past them
	// or the next insert would collide.
	if p.identity != "" && n > 0 {
		_, err := dst.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+p.table+
			`', '`+p.identity+`'), (SELECT max(`+p.identity+`) FROM `+p.table+`))`)
		if err != nil {
			return n, fmt.Errorf("copy table %s: move its sequence: %w", p.table,
				p.to.mapErr(err))
		}
	}
	return n, nil
}

func (p copyPlan) insert(ctx context.Context, dst *sql.Tx, args []any) error {
	override := ""
	if p.identity != "" {
		override = " OVERRIDING SYSTEM VALUE"
	}
	q := `INSERT INTO ` + p.table + ` (` + strings.Join(p.columns, ", ") + `)` + override +
		` VALUES ` + rowMarks(len(args)/len(p.columns), len(p.columns))
	if _, err := dst.ExecContext(ctx, p.to.rebind(q), args...); err != nil {
		return fmt.Errorf("copy table %s: write: %w", p.table, p.to.mapErr(err))
	}
	return nil
}

// convert turns a value read from one engine into what the target engine
// stores for a column of kind.
func convert(v any, kind valueKind, target Dialect) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case kindTime:
		var t time.Time
		switch v := v.(type) {
		case time.Time:
			t = v
		case string:
			return parseTime(v, target)
		case []byte:
			return parseTime(string(v), target)
		default:
			return nil, fmt.Errorf("a time of type %T", v)
		}
		return timeValueFor(target, t), nil
	case kindBool:
		var b bool
		switch v := v.(type) {
		case bool:
			b = v
		case int64:
			b = v != 0
		default:
			return nil, fmt.Errorf("a boolean of type %T", v)
		}
		if target == SQLite {
			return boolInt(b), nil
		}
		return b, nil
	case kindJSON:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return v, nil
}

func parseTime(s string, target Dialect) (any, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("a time %q: %w", s, err)
	}
	return timeValueFor(target, t), nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
