package sqlstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
)

func resolved(t *testing.T, kind directory.Kind, s string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(s, filter.Limits{})
	if err == nil {
		e, err = filter.Resolve(e, directory.ResourceType(kind))
	}
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return e
}

// squash collapses runs of white space, so that expected SQL can be
// wrapped.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestCompileFilter pins the SQL of the lookups identity providers make,
// which must stay on lookup columns and indexes, and a few other shapes.
// Behaviour is tested against the engines in the store contract tests.
func TestCompileFilter(t *testing.T) {
	const u, g = directory.KindUser, directory.KindGroup
	for _, tc := range []struct {
		kind     directory.Kind
		filter   string
		sqlite   string
		postgres string
		args     string // the arguments on both, or "sqlite | postgres"
	}{
		{u, `userName eq "Bjensen@Example.com"`,
			`r.user_name_fold = ?`, `r.user_name_fold = $1`, `[bjensen@example.com]`},
		{u, `externalId eq "00u1"`,
			`r.external_id = ?`, `r.external_id = $1`, `[00u1]`},
		{u, `email eq "B@x.org"`,
			`r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.account_id = ? AND
				ue.value_fold = ?)`,
			`r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.account_id = $1 AND
				ue.value_fold = $2)`, `[acct b@x.org]`},
		{u, `meta.lastModified gt "2024-05-01T10:00:00+02:00"`,
			`r.modified > ?`, `r.modified > $1`,
			`[2024-05-01T08:00:00.000000Z] | [2024-05-01 08:00:00 +0000 UTC]`},
		{u, `id eq "x" and not (active eq true)`,
			`(r.id = ? AND NOT COALESCE(r.active = ?, FALSE))`,
			`(r.id = $1 AND NOT COALESCE(r.active = $2, FALSE))`, `[x true]`},
		{g, `displayName eq "Admins"`,
			`r.display_name_fold = ?`, `r.display_name_fold = $1`, `[admins]`},
		{g, `members eq "m1"`,
			`r.id IN (SELECT m.group_id FROM memberships m WHERE m.account_id = ? AND
				m.member_id = ?)`,
			`r.id IN (SELECT m.group_id FROM memberships m WHERE m.account_id = $1 AND
				m.member_id = $2)`, `[acct m1]`},
		{u, `title co "50%_a\\b"`,
			`scimd_fold(json_extract(r.doc, '$."title"')) LIKE ? ESCAPE '\'`,
			`lower((r.doc ->> 'title')) LIKE lower(CAST($1 AS text)) ESCAPE '\'`,
			`[%50\%\_a\\b%]`},
		{u, `emails[type eq "work"]`,
			`EXISTS (SELECT 1 FROM json_each(r.doc, '$."emails"') AS e1
				WHERE json_type(r.doc, '$."emails"') = 'array' AND e1.type = 'object'
				AND scimd_fold(json_extract(e1.value, '$."type"')) = ?)`,
			`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN
				jsonb_typeof((r.doc -> 'emails')) = 'array' THEN (r.doc -> 'emails') END)
				WITH ORDINALITY AS e1(v, n) WHERE TRUE
				AND lower((e1.v ->> 'type')) = lower(CAST($1 AS text)))`, `[work]`},
		{u, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ne "7"`,
			`NOT COALESCE(scimd_fold(json_extract(r.doc,
				'$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'))
				= ?, FALSE)`,
			`NOT COALESCE(lower(((r.doc
				-> 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')
				->> 'employeeNumber')) = lower(CAST($1 AS text)), FALSE)`, `[7]`},
	} {
		for _, d := range []Dialect{SQLite, Postgres} {
			where, args, err := compileFilter(d, tc.kind, "acct", resolved(t, tc.kind, tc.filter))
			if err != nil {
				t.Errorf("%s on %s: %v", tc.filter, d, err)
				continue
			}
			want := tc.sqlite
			if d == Postgres {
				want = tc.postgres
			}
			got := (&DB{dialect: d}).rebind(where)
			if squash(got) != squash(want) {
				t.Errorf("%s on %s:\n got %s\nwant %s", tc.filter, d, squash(got), squash(want))
			}
			wantArgs := tc.args
			if sl, pg, ok := strings.Cut(tc.args, " | "); ok {
				wantArgs = map[Dialect]string{SQLite: sl, Postgres: pg}[d]
			}
			if fmt.Sprint(args) != wantArgs {
				t.Errorf("%s on %s: args %v, want %s", tc.filter, d, args, wantArgs)
			}
		}
	}
}

func TestCompileSort(t *testing.T) {
	for _, tc := range []struct {
		by       filter.AttrPath
		desc     bool
		sqlite   string
		postgres string
	}{
		{filter.AttrPath{Name: "userName"}, false,
			`(NULLIF(r.user_name_fold, '')) IS NULL, NULLIF(r.user_name_fold, ''),
				r.created, r.id`,
			`(NULLIF(r.user_name_fold, '')) IS NULL, NULLIF(r.user_name_fold, ''),
				r.created, r.id`},
		{filter.AttrPath{Name: "meta", Sub: "lastModified"}, true,
			`(r.modified) IS NULL DESC, r.modified DESC, r.created, r.id`,
			`(r.modified) IS NULL DESC, r.modified DESC, r.created, r.id`},
		{filter.AttrPath{Name: "name", Sub: "familyName"}, false,
			`(NULLIF(scimd_fold(json_extract(r.doc, '$."name"."familyName"')), '')) IS NULL,
				NULLIF(scimd_fold(json_extract(r.doc, '$."name"."familyName"')), ''),
				r.created, r.id`,
			`(NULLIF(lower(((r.doc -> 'name') ->> 'familyName')), '')) IS NULL,
				NULLIF(lower(((r.doc -> 'name') ->> 'familyName')), ''), r.created, r.id`},
	} {
		for _, d := range []Dialect{SQLite, Postgres} {
			got, err := compileSort(d, directory.KindUser, &tc.by, tc.desc)
			if err != nil {
				t.Errorf("sort by %v on %s: %v", tc.by, d, err)
				continue
			}
			want := tc.sqlite
			if d == Postgres {
				want = tc.postgres
			}
			if squash(got) != squash(want) {
				t.Errorf("sort by %v on %s:\n got %s\nwant %s", tc.by, d, squash(got), squash(want))
			}
		}
	}
	if got, _ := compileSort(SQLite, directory.KindUser, nil, true); got != "r.created, r.id" {
		t.Errorf("no sortBy: got %s, want creation order", got)
	}
	got, _ := compileSortFor(SQLite, directory.KindUser, directory.ResourceType(directory.KindUser),
		nil, false, true)
	if got != "+r.created, +r.id" {
		t.Errorf("unindexed order on SQLite: got %s", got)
	}
}

func TestRebind(t *testing.T) {
	pg := &DB{dialect: Postgres}
	for _, tc := range []struct{ in, want string }{
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`a = '?' AND "we?ird" = ? AND c LIKE ?`, `a = '?' AND "we?ird" = $1 AND c LIKE $2`},
		{`x = 'it''s ?' OR y = ?`, `x = 'it''s ?' OR y = $1`},
		{`no placeholders`, `no placeholders`},
	} {
		if got := pg.rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := (&DB{dialect: SQLite}).rebind("a = ?"); got != "a = ?" {
		t.Errorf("SQLite rebind changed the query: %s", got)
	}
}

func TestLikePattern(t *testing.T) {
	for _, tc := range []struct {
		op       filter.Op
		in, want string
	}{
		{filter.Co, `a`, `%a%`},
		{filter.Sw, `100%`, `100\%%`},
		{filter.Ew, `_x\`, `%\_x\\`},
	} {
		if got := likePattern(tc.op, tc.in); got != tc.want {
			t.Errorf("likePattern(%s, %q) = %q, want %q", tc.op, tc.in, got, tc.want)
		}
	}
}
