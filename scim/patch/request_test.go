package patch

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

func TestDecodeRequest(t *testing.T) {
	// Entra ID capitalises the ops; member names match in any case too.
	msg := decode(t, `{"Schemas":["`+strings.ToUpper(scim.PatchOpSchema)+`"],
		"operations":[
			{"op":"Add","path":" emails ","value":[{"value":"a@x"}]},
			{"OP":"Replace","Value":{"active":false}},
			{"op":"remove","Path":"members[value eq \"u1\"]"}]}`).(map[string]any)
	req, err := DecodeRequest(msg)
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}

	want := []Operation{
		{Op: Add, Path: "emails", Value: []any{map[string]any{"value": "a@x"}}},
		{Op: Replace, Value: map[string]any{"active": false}},
		{Op: Remove, Path: `members[value eq "u1"]`},
	}
	if !reflect.DeepEqual(req.Operations, want) {
		t.Errorf("operations:\n got %#v\nwant %#v", req.Operations, want)
	}
	if len(req.Schemas) != 1 {
		t.Errorf("schemas: got %v", req.Schemas)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	const ok = `[{"op":"add","path":"title","value":"x"}]`
	tests := []struct {
		name, body string
		detail     string
	}{
		{"no-schemas", `{"Operations":` + ok + `}`, scim.PatchOpSchema},
		{"wrong-schema", `{"schemas":["` + scim.UserSchema + `"],"Operations":` + ok + `}`,
			`"schemas" must contain`},
		{"schemas-not-strings", `{"schemas":[1],"Operations":` + ok + `}`,
			`array of strings`},
		{"no-operations", `{"schemas":["` + scim.PatchOpSchema + `"]}`, `"Operations"`},
		{"empty-operations", body(`[]`), `non-empty "Operations"`},
		{"operations-not-list", body(`{"op":"add"}`), `non-empty "Operations"`},
		{"operation-not-object", body(`["add"]`), `Operations[0]: an operation must be`},
		{"op-missing", body(`[{"path":"title","value":"x"}]`), `"op" is required`},
		{"op-unknown", body(ok[:len(ok)-1] + `,{"op":"move","path":"title"}]`),
			`Operations[1]: unknown op "move"`},
		{"op-not-string", body(`[{"op":1}]`), `"op" is required`},
		{"path-not-string", body(`[{"op":"remove","path":["title"]}]`),
			`"path" must be a string`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest(decode(t, tc.body).(map[string]any))
			checkError(t, err, http.StatusBadRequest, scim.ErrInvalidSyntax, tc.detail)
		})
	}
}

func TestDecodeRequestLimit(t *testing.T) {
	ops := func(n int) map[string]any {
		list := make([]any, n)
		for i := range list {
			list[i] = map[string]any{"op": "remove", "path": "title"}
		}
		return map[string]any{"schemas": []any{scim.PatchOpSchema}, "Operations": list}
	}

	if _, err := DecodeRequest(ops(DefaultMaxOperations)); err != nil {
		t.Errorf("%d operations: %v", DefaultMaxOperations, err)
	}
	_, err := DecodeRequest(ops(DefaultMaxOperations + 1))
	checkError(t, err, http.StatusRequestEntityTooLarge, scim.ErrNone,
		"1001 operations", "at most 1000")

	d := Decoder{MaxOperations: 2}
	if _, err := d.Decode(ops(2)); err != nil {
		t.Errorf("2 operations under a limit of 2: %v", err)
	}
	_, err = d.Decode(ops(3))
	checkError(t, err, http.StatusRequestEntityTooLarge, scim.ErrNone, "at most 2")
}
