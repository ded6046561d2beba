package scim

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// bulkBody returns a bulk request message with the given operations, each
// a JSON object, and extra top-level members.
func bulkBody(extra string, ops ...string) string {
	if extra != "" {
		extra += ","
	}
	return `{"schemas":["` + BulkRequestSchema + `"],` + extra +
		`"Operations":[` + strings.Join(ops, ",") + `]}`
}

const (
	postUser  = `{"method":"POST","path":"/Users","bulkId":"u1","data":{"userName":"a"}}`
	postGroup = `{"method":"POST","path":"/Groups","bulkId":"g1",` +
		`"data":{"displayName":"G","members":[{"value":"bulkId:u1"}]}}`
)

// The worked example of RFC 7644 §3.7.2, a user and a group that lists it
// through its bulkId, with the other methods around it.
func TestBulkDecode(t *testing.T) {
	body := bulkBody(`"failOnErrors":2`,
		postUser, postGroup,
		`{"method":"patch","path":"/Groups/bulkId:g1","version":"W/\"1\"",`+
			`"data":{"schemas":["`+PatchOpSchema+`"],"Operations":[]}}`,
		`{"Method":"DELETE","Path":"/Users/2819c223","bulkId":"gone"}`,
		`{"method":"PUT","path":"/Users/bulkId:u1","data":{"manager":"bulkId:u1"}}`)
	req, err := BulkDecoder{}.Decode(parse(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if req.FailOnErrors != 2 || len(req.Operations) != 5 {
		t.Fatalf("failOnErrors %d, %d operations", req.FailOnErrors, len(req.Operations))
	}
	for i, want := range []struct {
		method, bulkID, id, version string
		rt                          *ResourceType
		refs                        []string
		data                        bool
	}{
		{"POST", "u1", "", "", UserResourceType, nil, true},
		{"POST", "g1", "", "", GroupResourceType, []string{"u1"}, true},
		{"PATCH", "", "bulkId:g1", `W/"1"`, GroupResourceType, []string{"g1"}, true},
		{"DELETE", "gone", "2819c223", "", UserResourceType, nil, false},
		{"PUT", "", "bulkId:u1", "", UserResourceType, []string{"u1"}, true},
	} {
		op := req.Operations[i]
		if op.Method != want.method || op.BulkID != want.bulkID || op.ID != want.id ||
			op.Version != want.version || op.Type != want.rt ||
			!reflect.DeepEqual(op.Refs, want.refs) || (op.Data != nil) != want.data {
			t.Errorf("Operations[%d] = %+v, want %+v", i, op, want)
		}
	}
}

func TestBulkDecodeErrors(t *testing.T) {
	const bad, big = http.StatusBadRequest, http.StatusRequestEntityTooLarge
	del := func(path string) string { return `{"method":"DELETE","path":"` + path + `"}` }
	tests := []struct {
		name, body string
		status     int
		typ        ErrorType
		detail     string
	}{
		{"no-schemas", `{"Operations":[` + postUser + `]}`, bad, ErrInvalidSyntax, BulkRequestSchema},
		{"patch-schema", `{"schemas":["` + PatchOpSchema + `"],"Operations":[` + postUser + `]}`,
			bad, ErrInvalidSyntax, BulkRequestSchema},
		{"no-operations", `{"schemas":["` + BulkRequestSchema + `"]}`, bad, ErrInvalidSyntax,
			"non-empty"},
		{"empty-operations", bulkBody(""), bad, ErrInvalidSyntax, "non-empty"},
		{"operations-object", `{"schemas":["` + BulkRequestSchema + `"],"Operations":{}}`,
			bad, ErrInvalidSyntax, "non-empty"},
		{"too-many", bulkBody("", del("/Users/a"), del("/Users/b"), del("/Users/c")), big,
			ErrNone, "maxOperations is 2"},
		{"fail-zero", bulkBody(`"failOnErrors":0`, postUser), bad, ErrInvalidValue, "at least 1"},
		{"fail-text", bulkBody(`"failOnErrors":"1"`, postUser), bad, ErrInvalidValue, "failOnErrors"},
		{"fail-fraction", bulkBody(`"failOnErrors":1.5`, postUser), bad, ErrInvalidValue,
			"failOnErrors"},
		{"op-not-object", bulkBody("", `"DELETE /Users/a"`), bad, ErrInvalidSyntax,
			"Operations[0]: an operation must be an object"},
		{"no-method", bulkBody("", `{"path":"/Users/a"}`), bad, ErrInvalidSyntax, `"method"`},
		{"get", bulkBody("", `{"method":"GET","path":"/Users/a"}`), bad, ErrInvalidSyntax,
			`method "GET" cannot`},
		{"method-number", bulkBody("", `{"method":1,"path":"/Users/a"}`), bad, ErrInvalidSyntax,
			`"method" must be a string`},
		{"post-no-bulkId", bulkBody("", `{"method":"POST","path":"/Users","data":{}}`), bad,
			ErrInvalidSyntax, `needs a "bulkId"`},
		{"no-path", bulkBody("", `{"method":"DELETE"}`), bad, ErrInvalidPath, `"path" is required`},
		{"post-to-resource", bulkBody("",
			`{"method":"POST","path":"/Users/a","bulkId":"x","data":{}}`), bad, ErrInvalidPath,
			"use /Users or /Groups"},
		{"delete-endpoint", bulkBody("", del("/Users")), bad, ErrInvalidPath, "/Users/{id}"},
		{"unknown-endpoint", bulkBody("", del("/Devices/a")), bad, ErrInvalidPath, "/Devices/a"},
		{"lower-case", bulkBody("", del("/users/a")), bad, ErrInvalidPath, "/Users/{id}"},
		{"relative", bulkBody("", del("Users/a")), bad, ErrInvalidPath, "Users/a"},
		{"deeper", bulkBody("", del("/Users/a/b")), bad, ErrInvalidPath, "/Users/a/b"},
		{"query", bulkBody("", del("/Users/a?attributes=id")), bad, ErrInvalidPath, "?"},
		{"trailing-slash", bulkBody("", del("/Users/")), bad, ErrInvalidPath, "/Users/"},
		{"put-no-data", bulkBody("", `{"method":"PUT","path":"/Users/a"}`), bad,
			ErrInvalidSyntax, `needs "data"`},
		{"data-array", bulkBody("", `{"method":"PATCH","path":"/Users/a","data":[]}`), bad,
			ErrInvalidSyntax, "got an array"},
		{"version-number", bulkBody("", `{"method":"DELETE","path":"/Users/a","version":3}`),
			bad, ErrInvalidSyntax, `"version" must be a string`},
		{"duplicate-bulkId", bulkBody("", postUser, postUser), bad, ErrInvalidValue,
			`Operations[1]: bulkId "u1" is already the bulkId of Operations[0]`},
		{"unknown-ref", bulkBody("", postGroup), bad, ErrInvalidValue,
			`Operations[0]: "bulkId:u1" refers to no POST`},
		{"ref-in-path", bulkBody("", del("/Users/bulkId:nope")), bad, ErrInvalidValue,
			"bulkId:nope"},
		{"ref-to-delete", bulkBody("",
			`{"method":"DELETE","path":"/Users/a","bulkId":"d"}`, del("/Users/bulkId:d")), bad,
			ErrInvalidValue, "bulkId:d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BulkDecoder{MaxOperations: 2}.Decode(parse(t, tt.body))
			checkError(t, err, tt.status, tt.typ, tt.detail)
		})
	}
}

func TestBulkDecodeDefaultLimit(t *testing.T) {
	ops := make([]string, DefaultMaxBulkOperations+1)
	for i := range ops {
		ops[i] = `{"method":"DELETE","path":"/Users/a"}`
	}
	_, err := BulkDecoder{}.Decode(parse(t, bulkBody("", ops...)))
	checkError(t, err, http.StatusRequestEntityTooLarge, ErrNone, "maxOperations is 1000")
	if _, err := (BulkDecoder{}).Decode(parse(t, bulkBody("", ops[1:]...))); err != nil {
		t.Errorf("%d operations: %v", len(ops)-1, err)
	}
}

func TestResolveBulkIDs(t *testing.T) {
	ids := map[string]string{"u1": "id-1", "g1": "id-2"}
	in := parse(t, `{"displayName":"not bulkId:u1","n":1,"ok":true,`+
		`"members":[{"value":"bulkId:u1"},{"value":"bulkId:g1","type":"Group"},{"value":"x"}],`+
		`"manager":{"value":"bulkId:u1"},"bulkId:u1":"keys stay"}`)
	got, missing, ok := ResolveBulkIDs(in, ids)
	want := parse(t, `{"displayName":"not bulkId:u1","n":1,"ok":true,`+
		`"members":[{"value":"id-1"},{"value":"id-2","type":"Group"},{"value":"x"}],`+
		`"manager":{"value":"id-1"},"bulkId:u1":"keys stay"}`)
	if !ok || missing != "" || !reflect.DeepEqual(got, want) {
		t.Errorf("ResolveBulkIDs = %v, %q, %v\nwant %v", got, missing, ok, want)
	}

	// The input is not changed, and a missing id is named.
	if in["manager"].(map[string]any)["value"] != "bulkId:u1" {
		t.Error("ResolveBulkIDs changed its input")
	}
	if _, missing, ok := ResolveBulkIDs(in, map[string]string{"u1": "id-1"}); ok || missing != "g1" {
		t.Errorf("without g1: missing %q, ok %v", missing, ok)
	}
	if got, _, ok := ResolveBulkIDs("bulkId:g1", ids); !ok || got != "id-2" {
		t.Errorf("a path id: %v, %v", got, ok)
	}
}

func TestBulkResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		resp BulkResponse
		want string
	}{
		{"empty", BulkResponse{},
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],"Operations":[]}`},
		{"results", BulkResponse{Operations: []BulkResult{
			{Method: "POST", BulkID: "qwerty", Location: "https://x/v2/Users/1",
				Version: `W/"1"`, Status: 201},
			{Method: "DELETE", Location: "https://x/v2/Users/2", Status: 204},
			{Method: "POST", BulkID: "ytrewq", Status: 409,
				Err: Conflict("userName %q is already taken", "a&b")},
		}}, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],"Operations":[` +
			`{"method":"POST","bulkId":"qwerty","version":"W/\"1\"",` +
			`"location":"https://x/v2/Users/1","status":"201"},` +
			`{"method":"DELETE","location":"https://x/v2/Users/2","status":"204"},` +
			`{"method":"POST","bulkId":"ytrewq","status":"409","response":{` +
			`"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409",` +
			`"scimType":"uniqueness","detail":"userName \"a&b\" is already taken"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.resp.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
