package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// TestCopyToPostgres fills a SQLite installation through the running server,
// copies it with scimd copy into a new PostgreSQL schema, compares every
// table on both sides row by row, and serves the copy: the copied token
// authenticates and new writes continue the copied counters.
func TestCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := sqlstoretest.SchemaURL(t)

	m := openMain(t, Config{DataDir: dir})
	_, stderr, code := scimd(t, dir, "account", "create", "acme")
	if code != 0 {
		t.Fatalf("account create: %s", stderr)
	}
	out, stderr, code := scimd(t, dir, "token", "create", "--account", "acme", "--label", "okta")
	if code != 0 {
		t.Fatalf("token create: %s", stderr)
	}
	token := strings.TrimSpace(out)
	account, err := m.Service().FindAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	users := fillSCIM(t, m.URL()+"/scim/v2", token)
	fillSideTables(t, m, account.ID)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// Copy: a missing source and a non-postgres target are refused first.
	for _, args := range [][]string{
		{"copy", "--from", filepath.Join(dir, "nothing"), "--to", target},
		{"copy", "--from", dir, "--to", "sqlite:" + filepath.Join(dir, "x.db")},
		{"copy", "--to", target},
	} {
		if _, stderr, code := run(args...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want a refusal", args, code, stderr)
		}
	}
	stdout, stderr, code := run("copy", "--from", dir, "--to", target)
	if code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "memberships") || !strings.Contains(stdout, "total") {
		t.Errorf("copy printed %q, want the rows per table", stdout)
	}
	_, stderr, code = run("copy", "--from", dir, "--to", target)
	if code == 0 || !strings.Contains(stderr, "not empty") {
		t.Errorf("second copy: exit %d, stderr %q; want a refusal of the non-empty target",
			code, stderr)
	}

	src := openRaw(t, "sqlite", "file:"+filepath.Join(dir, "scimd.db")+"?mode=ro")
	dst := openRaw(t, "pgx", target)
	for _, table := range sqliteTables(t, src) {
		want, got := dumpTable(t, src, table), dumpTable(t, dst, table)
		if len(want) == 0 {
			t.Errorf("table %s: no rows in the source; fill it in this test", table)
		}
		if !slices.Equal(want, got) {
			t.Errorf("table %s differs after the copy:\nsqlite:   %q\npostgres: %q",
				table, want, got)
		}
	}

	// Serve the copy.
	pg := openMain(t, Config{DatabaseURL: target})
	base := pg.URL() + "/scim/v2"
	status, list := do(t, "GET", base+"/Users?filter="+
		`userName%20eq%20%22ada%40example.com%22`, token, "")
	if status != http.StatusOK || list["totalResults"] != 1.0 {
		t.Fatalf("GET /Users with the copied token = %d %v", status, list)
	}
	status, user := do(t, "GET", base+"/Users/"+users[0], token, "")
	ext, _ := user[enterpriseSchema].(map[string]any)
	if status != http.StatusOK || ext["employeeNumber"] != "E-0" {
		t.Fatalf("GET copied user = %d %v", status, user)
	}
	last := lastEvent(t, dst, account.ID)
	status, _ = do(t, "POST", base+"/Users", token, userJSON("new@example.com", 99))
	if status != http.StatusCreated {
		t.Fatalf("POST after copy = %d", status)
	}
	if next := lastEvent(t, dst, account.ID); next != last+1 {
		t.Errorf("event after copy at position %d, want %d", next, last+1)
	}
	entry := &directory.ActivityEntry{AccountID: account.ID, Time: time.Now(), Method: "GET",
		Path: "/Users", Status: 200}
	if err := pg.store.InsertActivity(ctx, []*directory.ActivityEntry{entry}); err != nil {
		t.Fatalf("insert activity after copy: %v", err)
	}
	if entry.ID <= 1 {
		t.Errorf("activity id after copy = %d, want past the copied ids", entry.ID)
	}
}

// run runs one command line without adding --data.
func run(args ...string) (string, string, int) {
	var stdout, stderr strings.Builder
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// openMain starts a server on cfg's database; Close may be called early.
func openMain(t *testing.T, cfg Config) *Main {
	t.Helper()
	full := DefaultConfig()
	full.Addr = "127.0.0.1:0"
	full.DataDir, full.DatabaseURL = cfg.DataDir, cfg.DatabaseURL
	m := &Main{Config: full, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			m.Close()
		}
	})
	m.closers = append(m.closers, func(context.Context) error { closed = true; return nil })
	return m
}

func userJSON(userName string, i int) string {
	return fmt.Sprintf(`{"schemas":[%q,%q],"userName":%q,"externalId":"ext-%d",
		"name":{"givenName":"Ada","familyName":"Number %d"},"active":true,
		"emails":[{"value":%q,"type":"work","primary":true},
			{"value":"alt%d@example.org","type":"home"}],
		%q:{"employeeNumber":"E-%d","department":"R&D","manager":{"value":"boss"}}}`,
		userSchema, enterpriseSchema, userName, i, i, userName, i, enterpriseSchema, i)
}

// fillSCIM writes users, groups and memberships the way an identity
// provider does, leaving events of every kind, and returns the user ids.
func fillSCIM(t *testing.T, base, token string) []string {
	t.Helper()
	var ids []string
	for i, name := range []string{"ada@example.com", "grace@example.com",
		"linus@example.com", "ken@example.com"} {
		status, u := do(t, "POST", base+"/Users", token, userJSON(name, i))
		if status != http.StatusCreated {
			t.Fatalf("POST /Users %s = %d %v", name, status, u)
		}
		ids = append(ids, u["id"].(string))
	}
	members := fmt.Sprintf(`[{"value":%q},{"value":%q},{"value":%q}]`, ids[0], ids[1], ids[2])
	status, g := do(t, "POST", base+"/Groups", token, fmt.Sprintf(
		`{"schemas":[%q],"displayName":"Engineering","members":%s}`, groupSchema, members))
	if status != http.StatusCreated {
		t.Fatalf("POST /Groups = %d %v", status, g)
	}
	status, body := do(t, "PATCH", base+"/Groups/"+g["id"].(string), token, fmt.Sprintf(
		`{"schemas":[%q],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`,
		patchSchema, ids[2]))
	if status != http.StatusNoContent {
		t.Fatalf("PATCH group = %d %v", status, body)
	}
	status, _ = do(t, "POST", base+"/Groups", token, fmt.Sprintf(
		`{"schemas":[%q],"displayName":"Empty"}`, groupSchema))
	if status != http.StatusCreated {
		t.Fatalf("POST second group = %d", status)
	}
	status, _ = do(t, "PATCH", base+"/Users/"+ids[1], token, fmt.Sprintf(
		`{"schemas":[%q],"Operations":[{"op":"replace","value":{"active":false}}]}`,
		patchSchema))
	if status != http.StatusOK {
		t.Fatalf("PATCH user = %d", status)
	}
	if status, _ := do(t, "DELETE", base+"/Users/"+ids[3], token, ""); status != 204 {
		t.Fatalf("DELETE user = %d", status)
	}
	return ids[:3]
}

// fillSideTables writes a row into each table the SCIM API does not reach:
// the console's, the activity log and the webhook tables.
func fillSideTables(t *testing.T, m *Main, accountID string) {
	t.Helper()
	ctx := context.Background()
	s, now := m.store, time.Now()
	hour := now.Add(time.Hour)
	admin := &directory.ConsoleUser{ID: uuid.NewString(), Email: "admin@acme.example",
		AccountID: accountID, PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$a2V5",
		CreatedAt: now, LastSignInAt: &now}
	ep := &directory.Endpoint{ID: uuid.NewString(), AccountID: accountID,
		URL: "https://app.example/hooks", Secret: "whsec_c2VjcmV0",
		EventTypes: []string{"user.created"}, Enabled: true, CreatedAt: now.Add(-time.Hour)}
	steps := []struct {
		what string
		err  error
	}{
		{"console user", s.CreateConsoleUser(ctx, admin)},
		{"session", s.CreateSession(ctx, &directory.Session{ID: strings.Repeat("5e", 32),
			UserID: admin.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: hour})},
		{"setup token", s.CreateSetupToken(ctx, &directory.SetupToken{ID: "setup",
			CreatedAt: now, ExpiresAt: hour})},
		{"activity", s.InsertActivity(ctx, []*directory.ActivityEntry{{AccountID: accountID,
			Time: now, Client: "Okta", Method: "POST", Path: "/Users", Status: 409,
			ScimType: "uniqueness", Latency: 3 * time.Millisecond, Detail: "taken",
			RequestID: "r1", TokenID: "t1", Addr: "10.0.0.1"}})},
		{"api key", s.CreateAPIKey(ctx, &directory.APIKey{ID: uuid.NewString(),
			Label: "app", Prefix: "scimk_abc", Hash: directory.HashToken("k"),
			CreatedAt: now, RevokedAt: &hour})},
		{"endpoint", s.CreateEndpoint(ctx, ep)},
		{"streams", s.EnsureStreams(ctx)},
		{"delivery", s.RecordDelivery(ctx, &directory.Delivery{EndpointID: ep.ID,
			AccountID: accountID, EventID: "e1", Position: 1, Attempt: 1, StatusCode: 500,
			Error: "boom", Latency: time.Millisecond, Time: now, NextAttempt: &hour})},
	}
	for _, st := range steps {
		if st.err != nil {
			t.Fatalf("fill %s: %v", st.what, st.err)
		}
	}
	if _, err := s.AddSignInFailure(ctx, "email:x@acme.example", now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaseStream(ctx, ep.ID, accountID, "replica-1", now, hour); err != nil {
		t.Fatal(err)
	}
}

func openRaw(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteTables lists the tables of a SQLite installation from its own
// catalog, so that a table the copy leaves out is still compared.
func sqliteTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite%' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		out = append(out, name)
	}
	if len(out) < 10 {
		t.Fatalf("only %d tables in the source: %v", len(out), out)
	}
	return out
}

// dumpTable returns a table's rows as sorted strings in a form both engines
// share: times in UTC to the microsecond, booleans as 0 or 1, JSON
// re-encoded, bytes in hex.
func dumpTable(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	order := slices.Clone(cols)
	slices.Sort(order)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		fields := map[string]string{}
		for i, c := range cols {
			fields[c] = canonical(vals[i])
		}
		var b strings.Builder
		for _, c := range order {
			fmt.Fprintf(&b, "%s=%s ", c, fields[c])
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	slices.Sort(out)
	return out
}

func canonical(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.000000Z")
	case bool:
		if v {
			return "1"
		}
		return "0"
	case int64:
		return strconv.FormatInt(v, 10)
	case []byte:
		if s, ok := canonicalJSON(string(v)); ok {
			return s
		}
		return hex.EncodeToString(v)
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return canonical(tm)
		}
		if s, ok := canonicalJSON(v); ok {
			return s
		}
		return strconv.Quote(v)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

func canonicalJSON(s string) (string, bool) {
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return "", false
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return "", false
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func lastEvent(t *testing.T, db *sql.DB, accountID string) int64 {
	t.Helper()
	var pos, seq int64
	err := db.QueryRow(`SELECT (SELECT max(position) FROM events WHERE account_id = $1),
		event_seq FROM accounts WHERE id = $1`, accountID).Scan(&pos, &seq)
	if err != nil {
		t.Fatal(err)
	}
	if pos != seq {
		t.Fatalf("account counter %d, last event %d", seq, pos)
	}
	return pos
}
