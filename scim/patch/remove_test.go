package patch

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// coversByDefinition is what removeValues must compute, written the direct
// way: value e of attribute a has every non-null sub-attribute of pattern g
// with an equal value; for simple values, they are equal.
func coversByDefinition(a *scim.Attribute, g, e any) bool {
	gobj, ok := g.(map[string]any)
	if !ok {
		return equal(a, g, e)
	}
	eobj, ok := e.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range gobj {
		if v != nil && !equal(a.Sub(k), v, eobj[k]) {
			return false
		}
	}
	return true
}

func removeByDefinition(a *scim.Attribute, list, gone []any) []any {
	var out []any
	for _, e := range list {
		hit := false
		for _, g := range gone {
			if coversByDefinition(a, g, e) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, e)
		}
	}
	return out
}

// TestRemoveValuesAgreesWithDefinition removes random patterns from random
// lists, drawn from small pools so that they often match, and compares the
// indexed removal with the definition: boolean strings as Entra ID sends
// them, nulls, sub-attribute subsets, unknown names and stray non-objects.
func TestRemoveValuesAgreesWithDefinition(t *testing.T) {
	emails := users.Lookup("", "emails", "")
	tags := &scim.Attribute{Name: "tags", Type: scim.String, MultiValued: true}
	flags := &scim.Attribute{Name: "flags", Type: scim.Boolean, MultiValued: true}
	r := rand.New(rand.NewPCG(7, 11))
	pick := func(pool ...any) any { return pool[r.IntN(len(pool))] }
	email := func() any {
		if r.IntN(20) == 0 {
			return "stray"
		}
		obj := map[string]any{}
		for k, pool := range map[string][]any{
			"value":   {"a@x", "b@x", "A@x", nil},
			"type":    {"work", "home", nil},
			"primary": {true, false, "True", "false", nil},
			"display": {"D", nil},
			"zz":      {json.Number("1"), nil},
		} {
			if r.IntN(3) > 0 {
				obj[k] = pick(pool...)
			}
		}
		return obj
	}
	simple := func() any {
		return pick("a", "b", "A", "1", json.Number("1"), json.Number("1.0"), true, "True",
			"false", false)
	}

	for _, tc := range []struct {
		a    *scim.Attribute
		elem func() any
	}{{emails, email}, {tags, simple}, {flags, simple}} {
		for round := range 300 {
			list := make([]any, r.IntN(12))
			for i := range list {
				list[i] = tc.elem()
			}
			gone := make([]any, 1+r.IntN(4))
			for i := range gone {
				if gone[i] = tc.elem(); gone[i] == "stray" {
					gone[i] = map[string]any{}
				}
			}

			c := map[string]any{tc.a.Name: deepCopy(list)}
			if err := removeValues(c, tc.a, deepCopy(gone)); err != nil {
				t.Fatalf("%s round %d: %v", tc.a.Name, round, err)
			}
			got, _ := c[tc.a.Name].([]any)
			want := removeByDefinition(tc.a, list, gone)
			if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Fatalf("%s round %d: remove %v from %v:\n got %s\nwant %s",
					tc.a.Name, round, gone, list, g, w)
			}
		}
	}
}

// manyEmails returns a user with n addresses and an operation removing every
// other one, named by value alone as Entra ID names them.
func manyEmails(t testing.TB, n int) (map[string]any, []Operation) {
	t.Helper()
	list := make([]any, n)
	var gone []string
	for i := range list {
		v := fmt.Sprintf("user%d@example.com", i)
		list[i] = map[string]any{"value": v, "type": "work"}
		if i%2 == 0 {
			gone = append(gone, fmt.Sprintf(`{"value":%q}`, v))
		}
	}
	doc := map[string]any{"userName": "bj", "emails": list}
	ops := mustOps(t, `[{"op":"remove","path":"emails","value":[`+
		strings.Join(gone, ",")+`]}]`)
	return doc, ops
}

func TestRemoveThousandsOfValues(t *testing.T) {
	const n = 20000
	doc, ops := manyEmails(t, n)
	res, err := Apply(users, doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := res.Doc["emails"].([]any)
	if len(left) != n/2 {
		t.Fatalf("%d addresses left, want %d", len(left), n/2)
	}
	for i, e := range left {
		want := fmt.Sprintf("user%d@example.com", 2*i+1)
		if v := e.(map[string]any)["value"]; v != want {
			t.Fatalf("address %d is %v, want %s", i, v, want)
		}
	}
}

// BenchmarkRemoveValues removes half of n addresses. Time per value stays
// flat as n grows: compare -bench with n of 1000 and 10000.
func BenchmarkRemoveValues(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			doc, ops := manyEmails(b, n)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Apply(users, doc, ops); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
