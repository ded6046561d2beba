package patch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

var (
	users  = scim.UserResourceType
	groups = scim.GroupResourceType
)

// expand replaces $ENT with the Enterprise User URN, to keep rows short.
func expand(s string) string {
	return strings.ReplaceAll(s, "$ENT", scim.EnterpriseUserSchema)
}

// decode reads JSON the way the HTTP layer does, with UseNumber.
func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(expand(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func decodeDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return map[string]any{}
	}
	return decode(t, s).(map[string]any)
}

// body wraps an Operations array in a PatchOp message.
func body(ops string) string {
	return `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":` + ops + `}`
}

// mustOps decodes a PatchOp message around ops and returns its operations.
func mustOps(t testing.TB, ops string) []Operation {
	t.Helper()
	req, err := DecodeRequest(decode(t, body(ops)).(map[string]any))
	if err != nil {
		t.Fatalf("DecodeRequest(%s): %v", ops, err)
	}
	return req.Operations
}

// canonical renders v as JSON with sorted keys, for comparing documents.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}

// formatMembers renders member operations compactly:
// "add u1=Display:User; remove u2; remove_all; remove_where type eq "Group"".
func formatMembers(ops []MemberOp) string {
	var parts []string
	for _, op := range ops {
		s := string(op.Op)
		var ms []string
		for _, m := range op.Members {
			e := m.Value
			if m.Display != "" {
				e += "=" + m.Display
			}
			if m.Type != "" {
				e += ":" + m.Type
			}
			ms = append(ms, e)
		}
		if len(ms) > 0 {
			s += " " + strings.Join(ms, ",")
		}
		if op.Filter != nil {
			s += " " + filter.String(op.Filter)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// checkError fails unless err is a *scim.Error with the given status and
// scimType whose detail contains each fragment.
func checkError(t *testing.T, err error, status int, typ scim.ErrorType, fragments ...string) {
	t.Helper()
	e, ok := scim.AsError(err)
	if !ok {
		t.Fatalf("got error %v, want a *scim.Error %d %s", err, status, typ)
	}
	if e.Status != status || e.Type != typ {
		t.Errorf("got %d %q, want %d %q (detail %q)", e.Status, e.Type, status, typ, e.Detail)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Detail, expand(f)) {
			t.Errorf("detail %q does not contain %q", e.Detail, expand(f))
		}
	}
}
