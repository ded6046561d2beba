package patch

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/scim"
)

func TestEqual(t *testing.T) {
	emails := users.Lookup("", "emails", "")
	active := users.Lookup("", "active", "")
	tests := []struct {
		a    *scim.Attribute
		x, y string
		want bool
	}{
		{active, `true`, `"True"`, true},
		{active, `false`, `"TRUE"`, false},
		{active, `"yes"`, `true`, false},
		{emails, `[{"value":"a","primary":"false"}]`, `[{"value":"a","primary":false}]`, true},
		{emails, `[{"value":"a","display":null}]`, `[{"value":"a"}]`, true},
		{emails, `[{"value":"a"}]`, `[{"value":"A"}]`, false},
		{emails, `[{"value":"a"},{"value":"b"}]`, `[{"value":"b"},{"value":"a"}]`, false},
		{nil, `{"n":1}`, `{"n":1}`, true},
		{nil, `"1"`, `1`, false},
	}
	for _, tc := range tests {
		x, y := decode(t, tc.x), decode(t, tc.y)
		if got := equal(tc.a, x, y); got != tc.want {
			t.Errorf("equal(%s, %s) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
		if got := valueKey(tc.a, x) == valueKey(tc.a, y); got != tc.want {
			t.Errorf("valueKey(%s) == valueKey(%s) is %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

// An immutable attribute may be set once and then never changed (RFC 7643
// §2.2). The core schemas have none at the top level, so a small one is
// made here.
func TestImmutable(t *testing.T) {
	rt := &scim.ResourceType{ID: "Device", Name: "Device", Schema: &scim.Schema{
		ID: "urn:example:Device",
		Attributes: []*scim.Attribute{
			{Name: "serial", Type: scim.String, Mutability: scim.Immutable},
		},
	}}

	res, err := Apply(rt, map[string]any{}, mustOps(t,
		`[{"op":"add","path":"serial","value":"A1"}]`))
	if err != nil {
		t.Fatalf("setting an unset immutable attribute: %v", err)
	}
	if _, err := Apply(rt, res.Doc, mustOps(t,
		`[{"op":"replace","value":{"serial":"A1"}}]`)); err != nil {
		t.Errorf("setting the same value again: %v", err)
	}
	_, err = Apply(rt, res.Doc, mustOps(t, `[{"op":"replace","path":"serial","value":"B2"}]`))
	checkError(t, err, http.StatusBadRequest, scim.ErrMutability, "serial is immutable")
}
