package filter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// sexp renders e fully parenthesized, so that a test can see the shape of
// the tree that String's minimal parentheses hide.
func sexp(e Expr) string {
	switch e := e.(type) {
	case *And:
		return "(and " + sexp(e.Left) + " " + sexp(e.Right) + ")"
	case *Or:
		return "(or " + sexp(e.Left) + " " + sexp(e.Right) + ")"
	case *Not:
		return "(not " + sexp(e.X) + ")"
	case *ValuePath:
		return "(" + e.Attr.String() + "[] " + sexp(e.Filter) + ")"
	case *Present:
		return "{" + e.Attr.String() + " pr}"
	case *Compare:
		var b strings.Builder
		writeValue(&b, e.Value)
		return fmt.Sprintf("{%s %s %s}", e.Attr, e.Op, b.String())
	}
	return fmt.Sprintf("?%T", e)
}

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestParse(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// Every operator.
		{"eq", `userName eq "bjensen"`, `{userName eq "bjensen"}`},
		{"ne", `title ne "Boss"`, `{title ne "Boss"}`},
		{"co", `name.familyName co "O'Malley"`, `{name.familyName co "O'Malley"}`},
		{"sw", `userName sw "J"`, `{userName sw "J"}`},
		{"ew", `userName ew "son"`, `{userName ew "son"}`},
		{"gt", `meta.lastModified gt "2011-05-13T04:42:34Z"`,
			`{meta.lastModified gt "2011-05-13T04:42:34Z"}`},
		{"ge", `age ge 18`, `{age ge 18}`},
		{"lt", `age lt -1.5e3`, `{age lt -1.5e3}`},
		{"le", `name le "m"`, `{name le "m"}`},
		{"pr", `title pr`, `{title pr}`},

		// Keywords in any case.
		{"upper-op", `userName EQ "x"`, `{userName eq "x"}`},
		{"mixed-logic", `a Eq 1 AnD b pR oR NOT (c eq 2)`,
			`(or (and {a eq 1} {b pr}) (not {c eq 2}))`},
		{"upper-literals", `active eq TRUE or x eq False or y eq NULL`,
			`(or (or {active eq true} {x eq false}) {y eq null})`},

		// Precedence: not > and > or; chains group from the left.
		{"and-over-or", `a pr or b pr and c pr`, `(or {a pr} (and {b pr} {c pr}))`},
		{"and-over-or-left", `a pr and b pr or c pr`, `(or (and {a pr} {b pr}) {c pr})`},
		{"or-chain", `a pr or b pr or c pr`, `(or (or {a pr} {b pr}) {c pr})`},
		{"parens", `a pr and (b pr or c pr)`, `(and {a pr} (or {b pr} {c pr}))`},
		{"right-parens", `a pr or (b pr or c pr)`, `(or {a pr} (or {b pr} {c pr}))`},
		{"not-binds-tight", `not (a pr) and b pr`, `(and (not {a pr}) {b pr})`},
		{"not-no-space", `not(a pr)`, `(not {a pr})`},
		{"nested-parens", `((a pr))`, `{a pr}`},
		{"not-not", `not (not (a pr))`, `(not (not {a pr}))`},

		// Value paths.
		{"value-path", `emails[type eq "work" and value co "@example.com"]`,
			`(emails[] (and {type eq "work"} {value co "@example.com"}))`},
		{"value-path-then-more", `emails[type eq "work"] and userName sw "b"`,
			`(and (emails[] {type eq "work"}) {userName sw "b"})`},
		{"value-path-or", `userName eq "b" or emails[value ew ".org"] and active eq true`,
			`(or {userName eq "b"} (and (emails[] {value ew ".org"}) {active eq true}))`},
		{"value-path-not", `members[not (type eq "Group")]`,
			`(members[] (not {type eq "Group"}))`},
		{"value-path-spaces", ` emails [ type eq "work" ] `, `(emails[] {type eq "work"})`},
		{"entra-sub-after-filter", `emails[type eq "work"].value eq "b@example.com"`,
			`(emails[] (and {type eq "work"} {value eq "b@example.com"}))`},
		{"entra-sub-pr", `emails[type eq "work" or primary eq true].value pr`,
			`(emails[] (and (or {type eq "work"} {primary eq true}) {value pr}))`},

		// Schema URNs: everything up to the last colon.
		{"urn", enterprise + `:employeeNumber eq "701984"`,
			`{` + enterprise + `:employeeNumber eq "701984"}`},
		{"urn-sub", enterprise + `:manager.value eq "26118915"`,
			`{` + enterprise + `:manager.value eq "26118915"}`},
		{"core-urn", `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "B"`,
			`{urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "B"}`},
		{"urn-value-path", enterprise + `:manager[value eq "x"]`,
			`(` + enterprise + `:manager[] {value eq "x"})`},
		{"ref", `members[$ref eq "https://x/Users/1"]`, `(members[] {$ref eq "https://x/Users/1"})`},

		// Values.
		{"escapes", `a eq "q\"b\\s\/n\nt\tu\u00e9"`, `{a eq "q\"b\\s/n\nt\tué"}`},
		{"surrogate-pair", `a eq "\ud83d\ude00"`, `{a eq "😀"}`},
		{"lone-surrogate", `a eq "\ud83d"`, `{a eq "` + "\uFFFD" + `"}`},
		{"utf8", `displayName eq "Zoë 山田"`, `{displayName eq "Zoë 山田"}`},
		{"number-forms", `a eq 0 or a eq -0.5 or a eq 1E+2`,
			`(or (or {a eq 0} {a eq -0.5}) {a eq 1E+2})`},
		{"null", `title eq null`, `{title eq null}`},
		{"no-space-before-value", `a eq"x"`, `{a eq "x"}`},
		{"tabs-newlines", "a\teq\n1\r\nand b pr", `(and {a eq 1} {b pr})`},
		{"names-like-keywords", `and eq 1 or or pr`, `(or {and eq 1} {or pr})`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := sexp(e); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}

			// The canonical form reads back to the same tree.
			again, err := Parse(String(e), Limits{})
			if err != nil {
				t.Fatalf("Parse(String) of %q: %v", String(e), err)
			}
			if !reflect.DeepEqual(e, again) {
				t.Errorf("round trip of %q: %s became %s", tt.in, sexp(e), sexp(again))
			}
		})
	}
}

func TestParseValueTypes(t *testing.T) {
	e, err := Parse(`a eq "s" or a eq 12 or a eq true or a eq null`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for x := e; x != nil; {
		or, ok := x.(*Or)
		if !ok {
			got = append([]any{x.(*Compare).Value}, got...)
			break
		}
		got = append([]any{or.Right.(*Compare).Value}, got...)
		x = or.Left
	}
	want := []any{"s", json.Number("12"), true, nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v, want %#v", got, want)
	}
}

func TestString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"normalizes", `userName  EQ   "x"  AND (title pr)`, `userName eq "x" and title pr`},
		{"keeps-needed-parens", `(a pr or b pr) and c pr`, `(a pr or b pr) and c pr`},
		{"drops-needless-parens", `(a pr and b pr) or c pr`, `a pr and b pr or c pr`},
		{"right-and", `a pr and (b pr and c pr)`, `a pr and (b pr and c pr)`},
		{"escapes-only-what-json-needs", `a eq "<x>&\u0001\"\\"`, `a eq "<x>&\u0001\"\\"`},
		{"entra-form", `emails[type eq "work" or type eq "home"].value eq "x"`,
			`emails[(type eq "work" or type eq "home") and value eq "x"]`},
		{"urn", enterprise + `:manager.value pr`, enterprise + `:manager.value pr`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := String(e); got != tt.want {
				t.Errorf("String(Parse(%q)) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	if got := String(nil); got != "" {
		t.Errorf("String(nil) = %q, want empty", got)
	}
}

// wantSCIMError checks that err is a 400 *scim.Error of type typ whose
// detail contains fragment.
func wantSCIMError(t *testing.T, err error, typ scim.ErrorType, fragment string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragment)
	}
	se, ok := scim.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *scim.Error", err, err)
	}
	if se.Status != http.StatusBadRequest || se.Type != typ {
		t.Errorf("error %d %s, want 400 %s", se.Status, se.Type, typ)
	}
	if !strings.Contains(se.Detail, fragment) {
		t.Errorf("detail %q\ndoes not contain %q", se.Detail, fragment)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", ``, `filter: empty filter; send an expression`},
		{"blank", "  \t", `empty filter`},
		{"no-operator", `userName "x"`,
			`filter: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) ` +
				`after "userName" at offset 9, found "x"`},
		{"unknown-operator", `userName foo "x"`,
			`expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) ` +
				`after "userName" at offset 9, found "foo"`},
		{"operator-at-end", `userName`, `after "userName" at offset 8, found end of input`},
		{"unquoted-value", `userName eq bjensen`,
			`expected a value (a quoted string, a number, true, false or null) after "eq" ` +
				`at offset 12, found "bjensen"`},
		{"missing-value", `userName eq`, `after "eq" at offset 11, found end of input`},
		{"single-quotes", `userName eq 'b'`, `unexpected character "'" at offset 12`},
		{"unterminated", `userName eq "b`, `unterminated string starting at offset 12`},
		{"bad-escape", `a eq "\x"`, `invalid escape "\\x" in string at offset 6`},
		{"short-unicode", `a eq "\u12"`, `invalid escape "\\u12\"" in string at offset 6`},
		{"control-char", "a eq \"a\nb\"", `control character U+000A in string at offset 7`},
		{"leading-zero", `a eq 012`, `malformed number "012" at offset 5`},
		{"bad-exponent", `a eq 1e`, `malformed number "1e" at offset 5`},
		{"trailing-dot", `a eq 1.`, `malformed number "1." at offset 5`},
		{"number-word", `a eq 12ab`, `malformed number "12ab" at offset 5`},
		{"invalid-utf8", "a eq \"\xff\"", `invalid UTF-8 at offset 6`},
		{"stray-char", `a eq 1 # b`, `unexpected character "#" at offset 7`},
		{"trailing-garbage", `a eq 1 b`,
			`expected "and", "or" or the end of the filter after "1" at offset 7, found "b"`},
		{"dangling-and", `a eq 1 and`,
			`expected an attribute path, "(" or "not" after "and" at offset 10, found end of input`},
		{"double-and", `a eq 1 and and`, `after "and" at offset 14, found end of input`},
		{"leading-or", `or a pr`, `expected a comparison operator`},
		{"unclosed-paren", `(a eq 1`,
			`the "(" at offset 0 is not closed: expected "and", "or" or ")" at offset 7, ` +
				`found end of input`},
		{"stray-close", `a eq 1)`, `unexpected ")" at offset 6: nothing is open to close`},
		{"empty-parens", `()`, `expected an attribute path, "(" or "not" after "(" at offset 1`},
		{"not-without-parens", `not a eq 1`,
			`expected "(" after "not" at offset 4, found "a"; RFC 7644 writes negation`},
		{"not-at-end", `not`, `expected "(" after "not" at offset 3, found end of input`},
		{"unclosed-bracket", `emails[type eq "work"`, `the "[" at offset 6 is not closed`},
		{"stray-bracket", `a pr]`, `unexpected "]" at offset 4`},
		{"empty-bracket", `emails[]`, `after "[" at offset 7, found "]"`},
		{"nested-value-path", `emails[type[value pr] pr]`,
			`value filters cannot nest: "type" at offset 7 is inside emails[...]`},
		{"sub-in-value-path", `emails[emails.value pr]`,
			`inside emails[...] name a sub-attribute of "emails" such as "value", ` +
				`not "emails.value" at offset 7`},
		{"urn-in-value-path", `emails[urn:x:value pr]`, `not "urn:x:value" at offset 7`},
		{"value-path-on-sub", `name.givenName[value pr]`,
			`"name.givenName" names a sub-attribute; a [value filter] follows`},
		{"entra-bad-sub", `emails[type eq "w"].1 eq "x"`,
			`expected a sub-attribute name after "." at offset 20, found "1"`},
		{"entra-no-op", `emails[type eq "w"].value`, `after "value" at offset 25`},
		{"two-subs", `name.givenName.x eq "a"`,
			`"name.givenName.x" has more than one sub-attribute at offset 14`},
		{"empty-name-after-urn", enterprise + `: eq "a"`,
			`expected an attribute name after the schema URN`},
		{"name-starts-with-digit", `urn:x:1a eq "a"`, `invalid attribute name "1a" at offset 6`},
		{"empty-sub", `name. eq "a"`, `invalid sub-attribute name "" at offset 5: it is empty`},
		{"bad-dollar", `a$b pr`, `invalid attribute name "a$b" at offset 0`},
		{"gt-true", `active gt true`,
			`gt cannot compare with true at offset 10; it applies to strings, numbers and dates`},
		{"co-null", `title co null`, `co cannot compare with null at offset 9; it applies to strings`},
		{"sw-number", `a sw 1`, `sw cannot compare with 1 at offset 5`},
		{"long-token-clipped", `a eq 1 ` + strings.Repeat("x", 100),
			`found "` + strings.Repeat("x", 40) + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, String(e))
			}
			wantSCIMError(t, err, scim.ErrInvalidFilter, tt.want)
		})
	}
}

func TestParseLimits(t *testing.T) {
	long := `userName eq "` + strings.Repeat("a", 4096) + `"`
	deep := strings.Repeat("(", 20) + "a pr" + strings.Repeat(")", 20)
	manyOr := strings.Repeat(`id eq "1" or `, 200) + `id eq "2"`

	tests := []struct {
		name string
		in   string
		lim  Limits
		want string // "" when Parse must succeed
	}{
		{"default-length", long, Limits{},
			`filter: too long: 4110 bytes, more than the limit of 4096`},
		{"own-length", `userName eq "abcdef"`, Limits{MaxLength: 10},
			`too long: 20 bytes, more than the limit of 10`},
		{"length-at-limit", `a eq "x"`, Limits{MaxLength: 8}, ""},
		{"default-depth", deep, Limits{}, `nests deeper than the limit of 16 at offset 16`},
		{"depth-at-limit", `((a pr))`, Limits{MaxDepth: 2}, ""},
		{"parens", `(((a pr)))`, Limits{MaxDepth: 2}, `nests deeper than the limit of 2 at offset 2`},
		{"and-or-levels", `a pr and (b pr or c pr)`, Limits{MaxDepth: 2},
			`nests deeper than the limit of 2 at offset 5`},
		{"and-or-levels-fit", `a pr and (b pr or c pr)`, Limits{MaxDepth: 3}, ""},
		{"or-in-and", `a pr or b pr and c pr`, Limits{MaxDepth: 1},
			`nests deeper than the limit of 1 at offset 5`},
		{"chain-counts-once", manyOr, Limits{}, ""},
		{"not", `not (not (a pr))`, Limits{MaxDepth: 1}, `nests deeper than the limit of 1`},
		{"value-path", `emails[type eq "w" and value pr]`, Limits{MaxDepth: 1},
			`nests deeper than the limit of 1 at offset 6`},
		{"value-path-fits", `emails[type eq "w" and value pr]`, Limits{MaxDepth: 2}, ""},
		{"entra-form-counts-and", `emails[type eq "w"].value pr`, Limits{MaxDepth: 1},
			`nests deeper than the limit of 1 at offset 19`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in, tt.lim)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			wantSCIMError(t, err, scim.ErrInvalidFilter, tt.want)
		})
	}
}
