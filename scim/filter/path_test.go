package filter

import (
	"testing"

	"github.com/scimd/scimd/scim"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		name, in string
		attr     AttrPath
		filter   string // sexp of the filter; "" for none
		sub      string
	}{
		{"attr", `userName`, AttrPath{Name: "userName"}, "", ""},
		{"sub-attr", `name.familyName`, AttrPath{Name: "name", Sub: "familyName"}, "", ""},
		{"extension", enterprise + `:manager`, AttrPath{URN: enterprise, Name: "manager"}, "", ""},
		{"extension-sub", enterprise + `:manager.value`,
			AttrPath{URN: enterprise, Name: "manager", Sub: "value"}, "", ""},
		{"core-urn", `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`,
			AttrPath{URN: scim.UserSchema, Name: "name", Sub: "givenName"}, "", ""},
		{"members-filter", `members[value eq "2819c223"]`, AttrPath{Name: "members"},
			`{value eq "2819c223"}`, ""},
		{"filter-sub", `emails[type eq "work"].value`, AttrPath{Name: "emails"},
			`{type eq "work"}`, "value"},
		{"entra-address", `addresses[type eq "work"].streetAddress`,
			AttrPath{Name: "addresses"}, `{type eq "work"}`, "streetAddress"},
		{"logic-in-filter", `emails[type eq "work" and primary eq true].value`,
			AttrPath{Name: "emails"}, `(and {type eq "work"} {primary eq true})`, "value"},
		{"keywords-any-case", `members[VALUE EQ "x" Or value Eq "y"]`, AttrPath{Name: "members"},
			`(or {VALUE eq "x"} {value eq "y"})`, ""},
		{"surrounding-space", ` title `, AttrPath{Name: "title"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.in, err)
			}
			if p.Attr != tt.attr || p.Sub != tt.sub {
				t.Errorf("ParsePath(%q) = %+v sub %q, want %+v sub %q",
					tt.in, p.Attr, p.Sub, tt.attr, tt.sub)
			}
			switch {
			case tt.filter == "" && p.Filter != nil:
				t.Errorf("filter %s, want none", sexp(p.Filter))
			case tt.filter != "" && (p.Filter == nil || sexp(p.Filter) != tt.filter):
				t.Errorf("filter %s, want %s", sexp(p.Filter), tt.filter)
			}

			again, err := ParsePath(p.String())
			if err != nil || again.String() != p.String() {
				t.Errorf("round trip of %q: %q, %v", p.String(), again.String(), err)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", ``, `path: empty path; name an attribute such as "name.familyName"`},
		{"starts-with-bracket", `[value eq "x"]`,
			`path: expected an attribute path at offset 0, found "["`},
		{"two-words", `name familyName`,
			`expected "[" or the end of the path after "name" at offset 5, found "familyName"`},
		{"garbage-after-filter", `emails[type eq "work"]x`,
			`expected "." and a sub-attribute, or the end of the path after "]" at offset 22`},
		{"dot-at-end", `emails[type eq "work"].`,
			`expected a sub-attribute name after "." at offset 23, found end of input`},
		{"two-subs", `emails[type eq "work"].value.x`,
			`expected a sub-attribute name after "." at offset 23, found "value.x"`},
		{"after-sub", `emails[type eq "work"].value eq "x"`,
			`expected the end of the path after "value" at offset 29, found "eq"`},
		{"filter-on-sub", `emails.value[type eq "x"]`,
			`"emails.value" names a sub-attribute; a [value filter] follows`},
		{"unclosed", `members[value eq "x"`, `the "[" at offset 7 is not closed`},
		{"bad-filter", `members[value "x"]`, `expected a comparison operator`},
		{"nested", `emails[type[value pr] pr]`, `value filters cannot nest`},
		{"deep-sub", `name.givenName.x`, `"name.givenName.x" has more than one sub-attribute`},
		{"too-long", `members[value eq "` + string(make([]byte, 5000)) + `"]`,
			`path: too long: 5020 bytes, more than the limit of 4096`},
		{"bad-char", `name/familyName`, `unexpected character "/" at offset 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %s, want an error", tt.in, p)
			}
			if p.Attr != (AttrPath{}) || p.Filter != nil {
				t.Errorf("ParsePath(%q) returned %s with its error", tt.in, p)
			}
			wantSCIMError(t, err, scim.ErrInvalidPath, tt.want)
		})
	}
}
