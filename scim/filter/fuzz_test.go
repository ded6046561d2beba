package filter

import (
	"reflect"
	"testing"

	"github.com/scimd/scimd/scim"
)

// roomy lets the canonical form of an accepted filter parse again: String
// may add parentheses (Entra's "].value eq" form) and spaces.
var roomy = Limits{MaxLength: 1 << 20, MaxDepth: 1 << 10}

var fuzzSeeds = []string{
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`userName Sw "J" AND not (title pr) Or emails[type eq "work" and value co "@x.com"]`,
	`meta.lastModified gt "2011-05-13T04:42:34Z" and meta.created le "2011-05-13T04:42:34.5+02:00"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
	`emails[type eq "work"].value eq "b@example.com"`,
	`a eq "\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t" or b eq -1.5E+3 or c eq null or d ne false`,
	`((a pr) and (b pr or (c pr)))`,
	`members[not (type eq "Group") and $ref pr]`,
	`email eq "x" or members eq "1" or active eq "True"`,
	`(a eq 1`, `a eq 01`, `emails[type[x pr] pr]`, `not a pr`, "a eq \"\xff\"",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	user := map[string]any{"userName": "b", "emails": []any{map[string]any{"value": "x"}}}

	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, Limits{})
		if err != nil {
			if _, ok := scim.AsError(err); !ok {
				t.Fatalf("Parse(%q) error %v is not a *scim.Error", s, err)
			}
			return
		}

		canon := String(e)
		again, err := Parse(canon, roomy)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, canon, err)
		}
		if got := String(again); got != canon {
			t.Fatalf("Parse(%q): String %q reads back as %q", s, canon, got)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("Parse(%q): %s reads back as %s", s, sexp(e), sexp(again))
		}

		// Resolve and Match must not panic on any tree Parse accepts.
		for _, rt := range []*scim.ResourceType{scim.UserResourceType, deviceType} {
			if r, err := Resolve(e, rt); err == nil {
				Match(r, rt, user)
			}
		}
		Match(e, nil, user)
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		`members[value eq "2819c223"]`,
		`emails[type eq "work"].value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`name.familyName`,
		`addresses[type eq "work" and primary eq true].streetAddress`,
		`emails[type eq "work"].`, `emails.value[type eq "x"]`, `[x eq 1]`,
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if _, ok := scim.AsError(err); !ok {
				t.Fatalf("ParsePath(%q) error %v is not a *scim.Error", s, err)
			}
			return
		}

		canon := p.String()
		again, err := ParsePath(canon)
		if err != nil {
			t.Fatalf("ParsePath(%q) = %q, which does not parse: %v", s, canon, err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("ParsePath(%q): %q reads back as %q", s, canon, again.String())
		}
		ResolvePath(p, scim.UserResourceType)
		ResolvePath(p, scim.GroupResourceType)
	})
}
