package patch

import (
	"testing"

	"github.com/scimd/scimd/scim"
)

func TestMemberOps(t *testing.T) {
	tests := []struct {
		name, ops, want string
	}{
		{"single-object", `[{"op":"add","path":"members","value":{"value":"u1"}}]`, "add u1"},
		{"duplicates-dropped",
			`[{"op":"add","path":"members","value":[{"value":"u1"},{"value":"u1","display":"y"}]}]`,
			"add u1"},
		{"empty-add-is-nothing", `[{"op":"add","path":"members","value":[]}]`, ""},
		{"empty-replace-clears", `[{"op":"replace","path":"members","value":[]}]`, "replace"},
		{"type-canonical", `[{"op":"add","path":"members","value":[{"value":"g","type":"GROUP"}]}]`,
			"add g:Group"},
		{"unknown-keys-ignored",
			`[{"op":"add","path":"members","value":[{"value":"u","primary":true,"$ref":"x"}]}]`,
			"add u"},
		{"or-chain-deduplicated",
			`[{"op":"remove",
			   "path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}]`,
			"remove a,b"},
		{"other-filter-kept",
			`[{"op":"remove","path":"members[value sw \"a\"]"}]`, `remove_where value sw "a"`},
		{"mixed-filter-kept",
			`[{"op":"remove","path":"members[value eq \"a\" or type eq \"Group\"]"}]`,
			`remove_where value eq "a" or type eq "Group"`},
		{"remove-empty-value-list-is-nothing",
			`[{"op":"remove","path":"members","value":[]}]`, ""},
		{"pathless-add", `[{"op":"add","value":{"members":[{"value":"u1"}]}}]`, "add u1"},
		{"case-insensitive-path", `[{"op":"add","path":"Members","value":[{"Value":"u1"}]}]`,
			"add u1"},
		{"order-kept",
			`[{"op":"replace","path":"members","value":[{"value":"a"}]},
			  {"op":"remove","path":"members","value":[{"value":"a"}]},
			  {"op":"add","path":"members","value":[{"value":"b"}]},
			  {"op":"remove","path":"members"}]`,
			"replace a; remove a; add b; remove_all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := map[string]any{"displayName": "G"}
			res, err := Apply(groups, doc, mustOps(t, tc.ops))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got := formatMembers(res.Members); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if _, ok := res.Doc["members"]; ok || len(res.Changed) != 0 {
				t.Errorf("members leaked into the document: %v, changed %v", res.Doc, res.Changed)
			}
		})
	}
}

// Users have no members attribute: the path is unknown, not a member op.
func TestMemberOpsOnUser(t *testing.T) {
	_, err := Apply(users, map[string]any{"userName": "bj"},
		mustOps(t, `[{"op":"add","path":"members","value":[{"value":"u1"}]}]`))
	checkError(t, err, 400, scim.ErrInvalidPath, "members")
}
