package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/scimdclient"
)

// schema mirrors what the vendor needs of the directory: users, groups and
// direct memberships, the last event applied per account, and the table
// the storage service reads: who may use storage.
const schema = `
CREATE TABLE IF NOT EXISTS users (
    account_id TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
    active INTEGER NOT NULL, PRIMARY KEY (account_id, user_id));
CREATE TABLE IF NOT EXISTS groups (
    account_id TEXT NOT NULL, group_id TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (account_id, group_id));
CREATE TABLE IF NOT EXISTS members (
    account_id TEXT NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL,
    PRIMARY KEY (account_id, group_id, user_id));
CREATE INDEX IF NOT EXISTS members_user ON members (account_id, user_id);
CREATE TABLE IF NOT EXISTS cursors (
    account_id TEXT NOT NULL PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS storage_access (
    account_id TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
    granted_at TEXT NOT NULL, PRIMARY KEY (account_id, user_id));
`

// maxBody bounds a webhook body; scimd's events are far smaller.
const maxBody = 1 << 20

// App keeps the storage_access table in sync from scimd's webhooks.
type App struct {
	db     *sql.DB
	secret string // the endpoint's whsec_ secret
	group  string // members of the group with this name (any case) may use storage
	log    *slog.Logger
}

// NewApp creates the tables in db when missing and returns the app.
func NewApp(db *sql.DB, secret, group string, log *slog.Logger) (*App, error) {
	if _, err := db.Exec(schema); err != nil {
		return nil, fmt.Errorf("create tables: %w", err)
	}
	return &App{db: db, secret: secret, group: group, log: log}, nil
}

// ServeHTTP receives one webhook. It answers 2xx only once the event is
// applied and committed, so that scimd retries anything not applied; an
// event already applied (a retry, a replay) is acknowledged and skipped.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST webhooks here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := scimdclient.VerifyWebhook(a.secret, r.Header, body, 0); err != nil {
		a.log.Warn("webhook refused", "error", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev scimdclient.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not an event: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := a.Apply(r.Context(), ev); err != nil {
		a.log.Error("apply event", "event_id", ev.ID, "type", ev.Type, "error", err)
		http.Error(w, "could not apply the event; send it again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Apply applies one event in one transaction, unless the account's cursor
// is already at or past its position.
func (a *App) Apply(ctx context.Context, ev scimdclient.Event) error {
	if ev.Type == "webhook.test" {
		return nil
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var applied int64
	err = tx.QueryRowContext(ctx, `SELECT position FROM cursors WHERE account_id = ?`,
		ev.AccountID).Scan(&applied)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read cursor: %w", err)
	}
	if ev.Position <= applied {
		return nil
	}

	affected, err := a.mirror(ctx, tx, ev)
	if err != nil {
		return fmt.Errorf("apply %s: %w", ev.Type, err)
	}
	for _, userID := range affected {
		if err := a.decide(ctx, tx, ev.AccountID, userID, ev.Time); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO cursors (account_id, position) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET position = excluded.position`,
		ev.AccountID, ev.Position)
	if err != nil {
		return fmt.Errorf("move cursor: %w", err)
	}
	return tx.Commit()
}

// scimUser and scimGroup are the parts of the SCIM resources the app uses.
type scimUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   *bool  `json:"active"`
}

type scimGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type membership struct {
	Group  scimGroup `json:"group"`
	Member struct {
		Value string `json:"value"`
		Type  string `json:"type"`
	} `json:"member"`
}

// mirror updates the mirror tables and returns the users whose access may
// have changed.
func (a *App) mirror(ctx context.Context, tx *sql.Tx, ev scimdclient.Event) ([]string, error) {
	acc := ev.AccountID
	switch {
	case strings.HasPrefix(ev.Type, "user."):
		var u scimUser
		if err := json.Unmarshal(ev.Data, &u); err != nil {
			return nil, err
		}
		if ev.Type == "user.deleted" {
			return []string{ev.ResourceID}, exec(ctx, tx,
				stmt{`DELETE FROM users WHERE account_id = ? AND user_id = ?`,
					[]any{acc, ev.ResourceID}},
				stmt{`DELETE FROM members WHERE account_id = ? AND user_id = ?`,
					[]any{acc, ev.ResourceID}})
		}
		// SCIM's active defaults to true when a client leaves it out.
		active := u.Active == nil || *u.Active
		return []string{ev.ResourceID}, exec(ctx, tx, stmt{`INSERT INTO users
			(account_id, user_id, user_name, active) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, user_id) DO UPDATE SET user_name = excluded.user_name,
			active = excluded.active`, []any{acc, ev.ResourceID, u.UserName, active}})

	case ev.Type == "group.member_added" || ev.Type == "group.member_removed":
		var m membership
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			return nil, err
		}
		if m.Member.Type != "User" {
			return nil, nil // nested groups do not grant access here
		}
		q := `INSERT INTO members (account_id, group_id, user_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`
		if ev.Type == "group.member_removed" {
			q = `DELETE FROM members WHERE account_id = ? AND group_id = ? AND user_id = ?`
		}
		return []string{m.Member.Value},
			exec(ctx, tx, stmt{q, []any{acc, ev.ResourceID, m.Member.Value}})

	case strings.HasPrefix(ev.Type, "group."):
		// A rename or a deletion changes access for every member.
		members, err := groupMembers(ctx, tx, acc, ev.ResourceID)
		if err != nil {
			return nil, err
		}
		if ev.Type == "group.deleted" {
			return members, exec(ctx, tx,
				stmt{`DELETE FROM groups WHERE account_id = ? AND group_id = ?`,
					[]any{acc, ev.ResourceID}},
				stmt{`DELETE FROM members WHERE account_id = ? AND group_id = ?`,
					[]any{acc, ev.ResourceID}})
		}
		var g scimGroup
		if err := json.Unmarshal(ev.Data, &g); err != nil {
			return nil, err
		}
		return members, exec(ctx, tx, stmt{`INSERT INTO groups (account_id, group_id, name)
			VALUES (?, ?, ?) ON CONFLICT (account_id, group_id) DO UPDATE SET name = excluded.name`,
			[]any{acc, ev.ResourceID, g.DisplayName}})
	}
	return nil, nil // a type this app does not know: nothing to mirror
}

// stmt is one SQL statement with its arguments.
type stmt struct {
	q    string
	args []any
}

func exec(ctx context.Context, tx *sql.Tx, stmts ...stmt) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
			return err
		}
	}
	return nil
}

func groupMembers(ctx context.Context, tx *sql.Tx, acc, groupID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM members
		WHERE account_id = ? AND group_id = ?`, acc, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// decide grants or cuts one user's access: an active user directly in the
// configured group may use storage; anyone else may not.
func (a *App) decide(ctx context.Context, tx *sql.Tx, acc, userID string, at time.Time) error {
	var userName string
	err := tx.QueryRowContext(ctx, `SELECT u.user_name FROM users u
		WHERE u.account_id = ? AND u.user_id = ? AND u.active = 1
		AND EXISTS (SELECT 1 FROM members m JOIN groups g
			ON g.account_id = m.account_id AND g.group_id = m.group_id
			WHERE m.account_id = u.account_id AND m.user_id = u.user_id
			AND lower(g.name) = lower(?))`, acc, userID, a.group).Scan(&userName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `DELETE FROM storage_access
			WHERE account_id = ? AND user_id = ?`, acc, userID)
	case err == nil:
		_, err = tx.ExecContext(ctx, `INSERT INTO storage_access
			(account_id, user_id, user_name, granted_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, user_id) DO UPDATE SET user_name = excluded.user_name`,
			acc, userID, userName, at.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("decide access of %q: %w", userID, err)
	}
	return nil
}

// Allowed returns the user names of an account that may use storage, in
// order.
func (a *App) Allowed(ctx context.Context, account string) ([]string, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT user_name FROM storage_access
		WHERE account_id = ? ORDER BY user_name`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
