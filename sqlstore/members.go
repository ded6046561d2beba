package sqlstore

import (
	"database/sql"
	"fmt"

	"github.com/scimd/scimd/directory"
)

// maxMemberRows bounds the rows of one membership statement; a longer list
// takes one statement per maxMemberRows members.
const maxMemberRows = 400

// AddMembers adds members to a group and returns, in the order given, those
// that were not members before. It costs one statement per maxMemberRows
// members whatever the group's size: the insert skips existing rows
// itself. It returns an error wrapping directory.ErrNotFound when the group
// does not exist. Members must exist; Missing checks that.
func (t *tx) AddMembers(groupID string, members []directory.Member) ([]directory.Member, error) {
	members = dedupMembers(members)
	var added []directory.Member
	for _, part := range chunks(members, maxMemberRows) {
		args := []any{t.account, groupID}
		for _, m := range part {
			args = append(args, m.ID, string(m.Kind))
		}
		args = append(args, t.account, groupID)

		// The EXISTS guard turns a missing group into no rows rather than
		// a foreign key violation, which would abort a PostgreSQL
		// transaction. SQLite needs the WHERE to parse ON CONFLICT after a
		// SELECT.
		rows, err := t.q.QueryContext(t.ctx, t.d.rebind(`INSERT INTO memberships
			(account_id, group_id, member_id, member_type)
			SELECT ?, ?, v.column1, v.column2 FROM (VALUES `+rowMarks(len(part), 2)+`) AS v
			WHERE EXISTS (SELECT 1 FROM groups WHERE account_id = ? AND id = ?)
			ON CONFLICT DO NOTHING RETURNING member_id`), args...)
		if err != nil {
			return nil, fmt.Errorf("add members to group %q: %w", groupID, t.d.mapErr(err))
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return nil, fmt.Errorf("add members to group %q: %w", groupID, t.d.mapErr(err))
		}
		if len(ids) < len(part) {
			if err := t.groupExists(groupID); err != nil {
				return nil, fmt.Errorf("add members to group %q: %w", groupID, err)
			}
		}
		for _, m := range part {
			if ids[m.ID] {
				added = append(added, m)
			}
		}
	}
	return added, nil
}

// RemoveMembers removes members from a group and returns, in the order
// given, those that were members, with their display names. It costs one
// statement per maxMemberRows ids whatever the group's size. A group that
// does not exist has no members to remove: the result is empty.
func (t *tx) RemoveMembers(groupID string, ids []string) ([]directory.Member, error) {
	ids = dedup(ids)
	var removed []directory.Member
	for _, part := range chunks(ids, maxMemberRows) {
		args := append([]any{t.account, groupID}, anys(part)...)
		rows, err := t.q.QueryContext(t.ctx, t.d.rebind(`DELETE FROM memberships
			WHERE account_id = ? AND group_id = ? AND member_id IN (`+marks(len(part))+`)
			RETURNING member_id, member_type, `+memberDisplayOf("memberships")), args...)
		if err != nil {
			return nil, fmt.Errorf("remove members from group %q: %w", groupID, t.d.mapErr(err))
		}
		got := map[string]directory.Member{}
		for rows.Next() {
			var m directory.Member
			if err := rows.Scan(&m.ID, &m.Kind, &m.Display); err != nil {
				rows.Close()
				return nil, fmt.Errorf("remove members from group %q: %w", groupID, err)
			}
			got[m.ID] = m
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("remove members from group %q: %w", groupID, t.d.mapErr(err))
		}
		for _, id := range part {
			if m, ok := got[id]; ok {
				removed = append(removed, m)
			}
		}
	}
	return removed, nil
}

// MemberIDs returns every member id of a group, ordered; none for a group
// that does not exist.
func (t *tx) MemberIDs(groupID string) ([]string, error) {
	rows, err := t.q.QueryContext(t.ctx, t.d.rebind(`SELECT member_id FROM memberships
		WHERE account_id = ? AND group_id = ? ORDER BY member_id`), t.account, groupID)
	if err != nil {
		return nil, fmt.Errorf("read member ids of group %q: %w", groupID, t.d.mapErr(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read member ids of group %q: %w", groupID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read member ids of group %q: %w", groupID, t.d.mapErr(err))
	}
	return ids, nil
}

// groupExists returns nil when the account has the group, or an error
// wrapping directory.ErrNotFound.
func (t *tx) groupExists(groupID string) error {
	var one int
	err := t.q.QueryRowContext(t.ctx, t.d.rebind(
		`SELECT 1 FROM groups WHERE account_id = ? AND id = ?`), t.account, groupID).Scan(&one)
	if err != nil {
		return fmt.Errorf("find group %q: %w", groupID, t.d.notFound(err))
	}
	return nil
}

// scanIDs reads a one-column result of ids into a set and closes rows.
func scanIDs(rows *sql.Rows) (map[string]bool, error) {
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// dedupMembers drops members whose id came earlier in the list.
func dedupMembers(ms []directory.Member) []directory.Member {
	seen := make(map[string]bool, len(ms))
	out := make([]directory.Member, 0, len(ms))
	for _, m := range ms {
		if !seen[m.ID] {
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	return out
}
