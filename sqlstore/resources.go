package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// table describes how one resource kind is stored.
type table struct {
	name    string
	columns string // selected in scanResource's order, with alias r
}

var (
	usersTable = table{name: "users", columns: `r.id, r.external_id, r.user_name,
		r.display_name, r.email, r.active, r.version, r.created, r.modified, r.doc`}
	groupsTable = table{name: "groups", columns: `r.id, r.external_id, '', r.display_name,
		NULL, TRUE, r.version, r.created, r.modified, r.doc`}
)

// tableOf returns kind's table, or an error for a kind sqlstore does not
// keep.
func tableOf(kind directory.Kind) (table, error) {
	switch kind {
	case directory.KindUser:
		return usersTable, nil
	case directory.KindGroup:
		return groupsTable, nil
	}
	return table{}, fmt.Errorf("unknown resource kind %q", kind)
}

func scanResource(row interface{ Scan(...any) error }, accountID string,
	kind directory.Kind) (*directory.Resource, error) {
	r := &directory.Resource{AccountID: accountID, Kind: kind}
	var ext, display, email sql.NullString
	var doc []byte
	err := row.Scan(&r.ID, &ext, &r.UserName, &display, &email, &r.Active, &r.Version,
		scanTime(&r.Created), scanTime(&r.Modified), &doc)
	if err != nil {
		return nil, err
	}
	r.ExternalID, r.DisplayName, r.Email = ext.String, display.String, email.String
	if r.Doc, err = decodeDoc(doc); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", kind, r.ID, err)
	}
	return r, nil
}

// encodeDoc renders a resource document as JSON, leaving <, > and & as they
// are.
func encodeDoc(doc map[string]any) (string, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return strings.TrimRight(buf.String(), "\n"), nil
}

// decodeDoc reads a document back with numbers as json.Number, as the SCIM
// layer decodes request bodies, so that a stored number compares equal to the
// one a client sends again.
func decodeDoc(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// Resource returns one resource, or an error wrapping directory.ErrNotFound.
func (d *DB) Resource(ctx context.Context, accountID string, kind directory.Kind,
	id string) (*directory.Resource, error) {
	return d.resource(ctx, d.reader(), accountID, kind, id)
}

func (d *DB) resource(ctx context.Context, q querier, accountID string, kind directory.Kind,
	id string) (*directory.Resource, error) {
	t, err := tableOf(kind)
	if err != nil {
		return nil, err
	}
	row := q.QueryRowContext(ctx, d.rebind(`SELECT `+t.columns+` FROM `+t.name+
		` r WHERE r.account_id = ? AND r.id = ?`), accountID, id)
	r, err := scanResource(row, accountID, kind)
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", kind, id, d.notFound(err))
	}
	return r, nil
}

// List returns the page of resources of kind that q selects, and the total
// it selects, read in one transaction so that they agree. A filter or sortBy
// that cannot be applied yields a *scim.Error (400 invalidFilter or
// invalidValue).
func (d *DB) List(ctx context.Context, accountID string, kind directory.Kind,
	q directory.Query) (*directory.Page, error) {
	return d.list(ctx, accountID, kind, directory.ResourceType(kind), q)
}

// list is List with the resource type whose schema the filter and sortBy
// are read against.
func (d *DB) list(ctx context.Context, accountID string, kind directory.Kind,
	rt *scim.ResourceType, q directory.Query) (*directory.Page, error) {
	lq, err := d.listQuery(accountID, kind, rt, q)
	if err != nil {
		return nil, err
	}
	count, pageQuery, args := d.rebind(`SELECT count(*)`+lq.from), d.rebind(lq.page()), lq.args
	if d.rstmts != nil {
		// Prepared now, while no connection is held, so that the
		// transaction finds them.
		d.rstmts.warm(ctx, count, pageQuery)
	}

	rtx, err := d.readTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	defer rtx.Rollback()
	tx := inTx(d.rstmts, rtx)

	page := &directory.Page{Resources: []*directory.Resource{}}
	err = tx.QueryRowContext(ctx, count, args...).Scan(&page.Total)
	if err != nil {
		return nil, fmt.Errorf("count %s: %w", kind, d.mapErr(err))
	}
	if q.Count <= 0 || page.Total == 0 {
		return page, nil
	}
	offset := max(q.StartIndex, 1) - 1
	if offset >= page.Total {
		return page, nil
	}

	rows, err := tx.QueryContext(ctx, pageQuery, append(args, q.Count, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, d.mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanResource(rows, accountID, kind)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", kind, d.mapErr(err))
		}
		page.Resources = append(page.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, d.mapErr(err))
	}
	return page, nil
}

// listQuery is the SQL of one List call.
type listQuery struct {
	table table
	from  string // FROM and WHERE
	args  []any  // of from
	order string
}

// page is the query of one page; LIMIT and OFFSET follow args.
func (lq listQuery) page() string {
	return `SELECT ` + lq.table.columns + lq.from + ` ORDER BY ` + lq.order + ` LIMIT ? OFFSET ?`
}

func (d *DB) listQuery(accountID string, kind directory.Kind, rt *scim.ResourceType,
	q directory.Query) (listQuery, error) {
	t, err := tableOf(kind)
	if err != nil {
		return listQuery{}, err
	}
	where, args, err := compileFilterFor(d.dialect, kind, rt, accountID, q.Filter)
	if err != nil {
		return listQuery{}, err
	}
	order, err := compileSortFor(d.dialect, kind, rt, q.SortBy, q.Descending,
		selective(kind, q.Filter))
	if err != nil {
		return listQuery{}, err
	}
	from := ` FROM ` + t.name + ` r WHERE r.account_id = ?`
	if where != "" {
		from += ` AND ` + where
	}
	return listQuery{table: t, from: from, args: append([]any{accountID}, args...),
		order: order}, nil
}

// readTx begins a read-only transaction that sees one snapshot throughout.
func (d *DB) readTx(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if d.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := d.rdb.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin read: %w", d.mapErr(err))
	}
	return tx, nil
}

// memberDisplayOf is the name a member shows: a user's userName, a group's
// displayName, read at query time. m names the memberships row.
func memberDisplayOf(m string) string {
	return `COALESCE(
	(SELECT u.user_name FROM users u WHERE ` + m + `.member_type = 'User'
		AND u.account_id = ` + m + `.account_id AND u.id = ` + m + `.member_id),
	(SELECT g.display_name FROM groups g WHERE ` + m + `.member_type = 'Group'
		AND g.account_id = ` + m + `.account_id AND g.id = ` + m + `.member_id), '')`
}

var memberDisplay = memberDisplayOf("m")

// Members returns up to limit members of a group ordered by member id,
// starting after the member id after ("" for the first page); limit <= 0
// returns them all. A group that does not exist has no members: the result
// is empty, not an error.
func (d *DB) Members(ctx context.Context, accountID, groupID, after string,
	limit int) ([]directory.Member, error) {
	query := `SELECT m.member_id, m.member_type, ` + memberDisplay + `
		FROM memberships m WHERE m.account_id = ? AND m.group_id = ? AND m.member_id > ?
		ORDER BY m.member_id`
	args := []any{accountID, groupID, after}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := d.reader().QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read members of group %q: %w", groupID, d.mapErr(err))
	}
	defer rows.Close()
	out := []directory.Member{}
	for rows.Next() {
		var m directory.Member
		if err := rows.Scan(&m.ID, &m.Kind, &m.Display); err != nil {
			return nil, fmt.Errorf("read members of group %q: %w", groupID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read members of group %q: %w", groupID, d.mapErr(err))
	}
	return out, nil
}

// GroupsOf returns, for each user id, the groups it belongs to directly,
// ordered by display name then id. Users in no group are absent from the
// map.
func (d *DB) GroupsOf(ctx context.Context, accountID string,
	userIDs []string) (map[string][]directory.GroupRef, error) {
	out := map[string][]directory.GroupRef{}
	for _, ids := range chunks(dedup(userIDs), maxInList) {
		rows, err := d.reader().QueryContext(ctx, d.rebind(`SELECT m.member_id, g.id, g.display_name
			FROM memberships m JOIN groups g ON g.account_id = m.account_id AND g.id = m.group_id
			WHERE m.account_id = ? AND m.member_type = 'User' AND m.member_id IN (`+
			marks(len(ids))+`) ORDER BY g.display_name_fold, g.id`),
			append([]any{accountID}, anys(ids)...)...)
		if err != nil {
			return nil, fmt.Errorf("read groups of users: %w", d.mapErr(err))
		}
		for rows.Next() {
			var user string
			var g directory.GroupRef
			if err := rows.Scan(&user, &g.ID, &g.DisplayName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read groups of users: %w", err)
			}
			out[user] = append(out[user], g)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read groups of users: %w", d.mapErr(err))
		}
	}
	return out, nil
}

// maxInList bounds the values of one IN list or one multi-row INSERT's
// parameters, well under SQLite's 32766 and PostgreSQL's 65535.
const maxInList = 1000

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// dedup returns ss without repeats, in first-seen order.
func dedup(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
