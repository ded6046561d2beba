package scim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		max    int64
		status int
		typ    ErrorType
		detail string // a substring of the error detail
	}{
		{"object", `{"userName":"bjensen","n":12345678901234567890}`, 0, 0, "", ""},
		{"object-with-spaces", " \n{\"a\":1}\n ", 0, 0, "", ""},
		{"at-limit", `{"a":"xx"}`, 10, 0, "", ""},
		{"over-limit", `{"a":"xxx"}`, 10, 413, ErrNone, "limit of 10 bytes"},
		{"empty", "", 0, 400, ErrInvalidSyntax, "empty"},
		{"blank", "  \n", 0, 400, ErrInvalidSyntax, "empty"},
		{"malformed", `{"a":1,}`, 0, 400, ErrInvalidSyntax, "byte offset 8"},
		{"bad-literal", `{"a":tru}`, 0, 400, ErrInvalidSyntax, "byte offset"},
		{"truncated", `{"a":[1,2`, 0, 400, ErrInvalidSyntax, "ends at byte offset 9"},
		{"array", `[{"a":1}]`, 0, 400, ErrInvalidSyntax, "must be a JSON object; got an array"},
		{"string", `"x"`, 0, 400, ErrInvalidSyntax, "got a string"},
		{"null", `null`, 0, 400, ErrInvalidSyntax, "got null"},
		{"two-objects", `{"a":1}{"b":2}`, 0, 400, ErrInvalidSyntax, "data after the JSON object"},
		{"trailing-garbage", `{"a":1} x`, 0, 400, ErrInvalidSyntax, "data after the JSON object"},
		{"duplicate-member", `{"userName":"a","userName":"b"}`, 0, 400, ErrInvalidSyntax,
			`member "userName" twice`},
		{"duplicate-nested", `{"name":{"givenName":"a","x":[1,{"y":1}],"givenName":"b"}}`, 0,
			400, ErrInvalidSyntax, `member "givenName" twice`},
		{"duplicate-in-array", `{"emails":[{"value":"a"},{"value":"b","value":"c"}]}`, 0,
			400, ErrInvalidSyntax, `member "value" twice`},
		{"same-name-apart", `{"a":{"v":1},"b":{"v":2},"c":[{"v":1},{"v":2}],"v":{}}`, 0,
			0, "", ""},
		{"names-differ-in-case", `{"userName":"a","username":"b"}`, 0, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(strings.NewReader(tt.body), tt.max)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if doc == nil {
					t.Fatal("Decode returned a nil map")
				}
				return
			}
			checkError(t, err, tt.status, tt.typ, tt.detail)
		})
	}
}

func TestDecodeKeepsNumbers(t *testing.T) {
	doc, err := Decode(strings.NewReader(`{"n":12345678901234567890,"f":1.50}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := doc["n"], json.Number("12345678901234567890"); got != want {
		t.Errorf("n = %#v, want %#v", got, want)
	}
	if got, want := doc["f"], json.Number("1.50"); got != want {
		t.Errorf("f = %#v, want %#v", got, want)
	}
}

func TestDecodeDefaultLimit(t *testing.T) {
	body := `{"a":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	_, err := Decode(strings.NewReader(body), 0)
	checkError(t, err, 413, ErrNone, "limit of 1048576 bytes")
}

// The HTTP layer wraps bodies in http.MaxBytesReader; its error must become
// the same 413, naming the reader's limit.
func TestDecodeMaxBytesReader(t *testing.T) {
	body := http.MaxBytesReader(httptest.NewRecorder(),
		io.NopCloser(strings.NewReader(`{"userName":"bjensen"}`)), 8)
	_, err := Decode(body, 1000)
	checkError(t, err, 413, ErrNone, "limit of 8 bytes")
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Decode(iotest.ErrReader(boom), 0)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if _, ok := AsError(err); ok {
		t.Errorf("a read error became a SCIM error: %v", err)
	}
}

// checkError fails unless err is a *Error with the given status and
// scimType whose detail contains detail.
func checkError(t *testing.T, err error, status int, typ ErrorType, detail string) {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("err = %v, want a *scim.Error", err)
	}
	if e.Status != status || e.Type != typ {
		t.Errorf("error = %d %q, want %d %q (%s)", e.Status, e.Type, status, typ, e.Detail)
	}
	if !strings.Contains(e.Detail, detail) {
		t.Errorf("detail = %q, want it to contain %q", e.Detail, detail)
	}
}

// parse decodes a JSON test document the way Decode does.
func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	doc, err := Decode(strings.NewReader(s), 0)
	if err != nil {
		t.Fatalf("test document %s: %v", s, err)
	}
	return doc
}

func TestNormalize(t *testing.T) {
	const (
		user  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
		both  = `"schemas":["` + UserSchema + `","` + EnterpriseUserSchema + `"]`
		group = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
		ent   = `"` + EnterpriseUserSchema + `"`
	)
	tests := []struct {
		name    string
		rt      *ResourceType
		in      string
		want    string   // normalized document; "" when an error is expected
		dropped []string // unknown attributes reported
		errType ErrorType
		detail  string
	}{
		// Names.
		{"minimal", UserResourceType, `{` + user + `,"userName":"bjensen"}`,
			`{"userName":"bjensen"}`, nil, "", ""},
		{"names-any-case", UserResourceType,
			`{"SCHEMAS":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],"USERNAME":"b",` +
				`"Name":{"GIVENNAME":"Barbara"},"emails":[{"VALUE":"b@x.com","Primary":true}]}`,
			`{"userName":"b","name":{"givenName":"Barbara"},` +
				`"emails":[{"value":"b@x.com","primary":true}]}`, nil, "", ""},
		{"same-name-twice", UserResourceType, `{` + user + `,"userName":"a","USERNAME":"b"}`,
			"", nil, ErrInvalidSyntax, `"userName" appears twice`},
		{"same-sub-twice", UserResourceType,
			`{` + user + `,"userName":"a","name":{"givenName":"a","givenname":"b"}}`,
			"", nil, ErrInvalidSyntax, `"name.givenName" appears twice`},

		// Coercion.
		{"entra-booleans", UserResourceType,
			`{` + user + `,"userName":"b","active":"False","emails":[{"value":"e","primary":"True"}]}`,
			`{"userName":"b","active":false,"emails":[{"value":"e","primary":true}]}`, nil, "", ""},
		{"boolean-lowercase", UserResourceType, `{` + user + `,"userName":"b","active":"true"}`,
			`{"userName":"b","active":true}`, nil, "", ""},
		{"boolean-bad-string", UserResourceType, `{` + user + `,"userName":"b","active":"yes"}`,
			"", nil, ErrInvalidValue, `"active" must be a boolean (true or false); got the string "yes"`},
		{"boolean-object", UserResourceType, `{` + user + `,"userName":"b","active":{}}`,
			"", nil, ErrInvalidValue, `"active" must be a boolean (true or false); got an object`},
		{"username-number", UserResourceType, `{` + user + `,"userName":42}`,
			"", nil, ErrInvalidValue, `attribute "userName" must be a string; got a number`},
		{"sub-wrong-type", UserResourceType, `{` + user + `,"userName":"b","name":{"givenName":true}}`,
			"", nil, ErrInvalidValue, `"name.givenName" must be a string; got a boolean`},
		{"extension-wrong-type", UserResourceType,
			`{` + user + `,"userName":"b",` + ent + `:{"department":7}}`,
			"", nil, ErrInvalidValue, `"` + EnterpriseUserSchema + `:department" must be a string`},
		{"complex-not-object", UserResourceType, `{` + user + `,"userName":"b","name":"Barbara"}`,
			"", nil, ErrInvalidValue, `"name" must be a complex value (a JSON object); got a string`},
		{"single-valued-array", UserResourceType, `{` + user + `,"userName":["a","b"]}`,
			"", nil, ErrInvalidValue, `"userName" takes a single string value; got an array`},
		{"nested-array", UserResourceType, `{` + user + `,"userName":"b","emails":[["a"]]}`,
			"", nil, ErrInvalidValue, `"emails" must be an array of complex values`},
		{"binary-base64", UserResourceType,
			`{` + user + `,"userName":"b","x509Certificates":[{"value":"MIIB"}]}`,
			`{"userName":"b","x509Certificates":[{"value":"MIIB"}]}`, nil, "", ""},
		{"binary-not-base64", UserResourceType,
			`{` + user + `,"userName":"b","x509Certificates":[{"value":"not base64!"}]}`,
			"", nil, ErrInvalidValue, `"x509Certificates.value" must be base64-encoded`},

		// Shapes.
		{"single-value-wrapped", UserResourceType,
			`{` + user + `,"userName":"b","emails":{"value":"b@x.com","type":"work"}}`,
			`{"userName":"b","emails":[{"value":"b@x.com","type":"work"}]}`, nil, "", ""},
		{"string-elements-wrapped", UserResourceType,
			`{` + user + `,"userName":"b","emails":["b@x.com"]}`,
			`{"userName":"b","emails":[{"value":"b@x.com"}]}`, nil, "", ""},
		{"entra-manager-string", UserResourceType,
			`{` + both + `,"userName":"b",` + ent + `:{"manager":"26118915-6090"}}`,
			`{"userName":"b",` + ent + `:{"manager":{"value":"26118915-6090"}}}`, nil, "", ""},
		{"manager-empty-string", UserResourceType,
			`{` + both + `,"userName":"b",` + ent + `:{"manager":"","department":"R&D"}}`,
			`{"userName":"b",` + ent + `:{"department":"R&D"}}`, nil, "", ""},
		{"primary-twice", UserResourceType,
			`{` + user + `,"userName":"b","emails":[{"value":"a","primary":true},` +
				`{"value":"b","primary":"True"}]}`,
			"", nil, ErrInvalidValue, `"emails" has 2 values with "primary": true`},
		{"primary-once-and-false", UserResourceType,
			`{` + user + `,"userName":"b","phoneNumbers":[{"value":"1","primary":true},` +
				`{"value":"2","primary":false}]}`,
			`{"userName":"b","phoneNumbers":[{"value":"1","primary":true},` +
				`{"value":"2","primary":false}]}`, nil, "", ""},

		// Read-only and write-only attributes.
		{"read-only-dropped", UserResourceType,
			`{` + both + `,"id":"123","meta":{"resourceType":"User"},"userName":"b",` +
				`"groups":[{"value":"g1"}],` + ent + `:{"manager":{"value":"m","displayName":"M"}}}`,
			`{"userName":"b",` + ent + `:{"manager":{"value":"m"}}}`, nil, "", ""},
		{"password-kept", UserResourceType, `{` + user + `,"userName":"b","password":"s3cret"}`,
			`{"userName":"b","password":"s3cret"}`, nil, "", ""},
		{"external-id-kept", UserResourceType, `{` + user + `,"userName":"b","externalId":"00u1"}`,
			`{"userName":"b","externalId":"00u1"}`, nil, "", ""},

		// Required attributes.
		{"username-missing", UserResourceType, `{` + user + `,"name":{"givenName":"b"}}`,
			"", nil, ErrInvalidValue, `attribute "userName" is required`},
		{"username-null", UserResourceType, `{` + user + `,"userName":null}`,
			"", nil, ErrInvalidValue, `attribute "userName" is required`},
		{"username-empty", UserResourceType, `{` + user + `,"userName":""}`,
			"", nil, ErrInvalidValue, `attribute "userName" must not be empty`},
		{"group-displayname-missing", GroupResourceType, `{` + group + `,"members":[]}`,
			"", nil, ErrInvalidValue, `attribute "displayName" is required`},

		// Unknown attributes.
		{"unknown-dropped", UserResourceType,
			`{` + user + `,"userName":"b","nickname2":"x","name":{"givenName":"b","nick":"x"},` +
				`"emails":[{"value":"a","label":"x"},{"value":"b","label":"y"}],` +
				ent + `:{"badge":"7"}}`,
			`{"userName":"b","name":{"givenName":"b"},"emails":[{"value":"a"},{"value":"b"}]}`,
			[]string{"emails.label", "name.nick", "nickname2", EnterpriseUserSchema + ":badge"},
			"", ""},
		{"unknown-urn-key", UserResourceType,
			`{` + user + `,"userName":"b","urn:example:params:scim:schemas:extension:x:2.0:User":{}}`,
			"", nil, ErrInvalidValue, "is not an attribute or schema extension of User resources"},
		{"urn-qualified-key", UserResourceType,
			`{` + user + `,"userName":"b",` + `"` + EnterpriseUserSchema + `:department":"x"}`,
			"", nil, ErrInvalidValue, "is not an attribute or schema extension"},
		{"core-urn-key", UserResourceType,
			`{` + user + `,"userName":"b","` + UserSchema + `":{"title":"x"}}`,
			"", nil, ErrInvalidValue, "go at the top level"},

		// Extensions.
		{"extension-listed", UserResourceType,
			`{` + both + `,"userName":"b",` + ent + `:{"department":"R&D","employeeNumber":"7"}}`,
			`{"userName":"b",` + ent + `:{"department":"R&D","employeeNumber":"7"}}`, nil, "", ""},
		{"extension-key-not-listed", UserResourceType,
			`{` + user + `,"userName":"b",` + ent + `:{"costCenter":"4130"}}`,
			`{"userName":"b",` + ent + `:{"costCenter":"4130"}}`, nil, "", ""},
		{"extension-key-any-case", UserResourceType,
			`{` + user + `,"userName":"b",` + strings.ToUpper(ent) + `:{"COSTCENTER":"4130"}}`,
			`{"userName":"b",` + ent + `:{"costCenter":"4130"}}`, nil, "", ""},
		{"extension-listed-absent", UserResourceType, `{` + both + `,"userName":"b"}`,
			`{"userName":"b"}`, nil, "", ""},
		{"extension-not-object", UserResourceType, `{` + both + `,"userName":"b",` + ent + `:"x"}`,
			"", nil, ErrInvalidValue, "must be a complex value"},
		{"extension-on-group", GroupResourceType,
			`{` + group + `,"displayName":"g",` + ent + `:{"department":"x"}}`,
			"", nil, ErrInvalidValue, `the only schema is "` + GroupSchema + `"`},

		// Unassigned values.
		{"null-and-empty-removed", UserResourceType,
			`{` + both + `,"userName":"b","title":null,"emails":[],"roles":[null],` +
				`"name":{"givenName":null},"addresses":[{}],` + ent + `:{"department":null}}`,
			`{"userName":"b"}`, nil, "", ""},
		{"entra-member-ref-null", GroupResourceType,
			`{` + group + `,"displayName":"g","members":[{"$ref":null,"value":"u1"}]}`,
			`{"displayName":"g","members":[{"value":"u1"}]}`, nil, "", ""},
		{"empty-string-unassigned", UserResourceType,
			`{` + both + `,"userName":"b","title":"","externalId":"","profileUrl":"",` +
				`"emails":[{"value":"","type":"work"}],"name":{"givenName":""},` +
				ent + `:{"department":""}}`,
			`{"userName":"b","emails":[{"type":"work"}]}`, nil, "", ""},
		{"empty-string-required", GroupResourceType, `{` + group + `,"displayName":""}`,
			"", nil, ErrInvalidValue, `attribute "displayName" must not be empty`},

		// The schemas attribute.
		{"schemas-missing", UserResourceType, `{"userName":"b"}`,
			"", nil, ErrInvalidValue, `attribute "schemas" is required`},
		{"schemas-string", UserResourceType, `{"schemas":"` + UserSchema + `","userName":"b"}`,
			`{"userName":"b"}`, nil, "", ""},
		{"schemas-without-core", UserResourceType, `{"schemas":[` + ent + `],"userName":"b"}`,
			"", nil, ErrInvalidValue, `"schemas" must contain "` + UserSchema + `"`},
		{"schemas-unknown-urn", UserResourceType,
			`{"schemas":["` + UserSchema + `","urn:example:x"],"userName":"b"}`,
			"", nil, ErrInvalidValue, `schema "urn:example:x" in "schemas" is not a schema of User`},
		{"schemas-group-urn-for-user", UserResourceType, `{` + group + `,"userName":"b"}`,
			"", nil, ErrInvalidValue, "is not a schema of User resources"},
		{"schemas-not-strings", UserResourceType, `{"schemas":[1],"userName":"b"}`,
			"", nil, ErrInvalidValue, `"schemas" must be an array of schema URNs; got a number`},

		// Groups.
		{"group-members", GroupResourceType,
			`{` + group + `,"displayName":"Eng","members":[{"value":"u1","display":"B",` +
				`"type":"User"},{"value":"g2","type":"Group"}]}`,
			`{"displayName":"Eng","members":[{"value":"u1","display":"B","type":"User"},` +
				`{"value":"g2","type":"Group"}]}`, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := parse(t, tt.in)
			got, dropped, err := Normalize(tt.rt, in)
			if tt.want == "" {
				checkError(t, err, http.StatusBadRequest, tt.errType, tt.detail)
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if want := parse(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Normalize =\n%s\nwant\n%s", mustJSON(t, got), mustJSON(t, want))
			}
			if !reflect.DeepEqual(dropped, tt.dropped) {
				t.Errorf("dropped = %q, want %q", dropped, tt.dropped)
			}
		})
	}
}

func TestNormalizeDoesNotChangeInput(t *testing.T) {
	in := parse(t, `{"schemas":["`+UserSchema+`"],"userName":"b","id":"1",`+
		`"emails":{"value":"a","primary":"True"}}`)
	before := mustJSON(t, in)
	if _, _, err := Normalize(UserResourceType, in); err != nil {
		t.Fatal(err)
	}
	if after := mustJSON(t, in); after != before {
		t.Errorf("input changed:\n%s\nwas\n%s", after, before)
	}
}

// A stored document after PATCH has no "schemas"; NormalizeAttributes must
// accept it and give the same result as Normalize, and normalizing twice
// must change nothing.
func TestNormalizeAttributesIdempotent(t *testing.T) {
	in := parse(t, `{"schemas":["`+UserSchema+`"],"userName":"b","active":"True",`+
		`"emails":{"value":"a"},"`+EnterpriseUserSchema+`":{"manager":"m"}}`)
	once, _, err := Normalize(UserResourceType, in)
	if err != nil {
		t.Fatal(err)
	}
	twice, dropped, err := NormalizeAttributes(UserResourceType, once)
	if err != nil {
		t.Fatalf("NormalizeAttributes(normalized): %v", err)
	}
	if !reflect.DeepEqual(once, twice) || dropped != nil {
		t.Errorf("second pass = %s (dropped %q), want %s", mustJSON(t, twice), dropped,
			mustJSON(t, once))
	}
	got, want := SchemasOf(UserResourceType, once), []string{UserSchema, EnterpriseUserSchema}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SchemasOf = %q, want %q", got, want)
	}
}

func TestNormalizeTypes(t *testing.T) {
	// The core schemas have no integer, decimal or dateTime attributes, so
	// these are checked on a resource type made for the test.
	custom := &Schema{ID: "urn:example:params:scim:schemas:core:2.0:Device", Name: "Device",
		Attributes: []*Attribute{
			define("seats", Integer), define("price", Decimal),
			define("seen", DateTime), define("tags", String, multi),
		}}
	rt := &ResourceType{ID: "Device", Name: "Device", Endpoint: "/Devices", Schema: custom}
	tests := []struct {
		attr string
		in   any
		want any // nil when an error is expected
	}{
		{"seats", json.Number("12"), json.Number("12")},
		{"seats", json.Number("-3"), json.Number("-3")},
		{"seats", 7, json.Number("7")},
		{"seats", json.Number("1.5"), nil},
		{"seats", json.Number("99999999999999999999"), nil},
		{"seats", "12", nil},
		{"price", json.Number("1.25"), json.Number("1.25")},
		{"price", 2.5, json.Number("2.5")},
		{"price", "1.25", nil},
		{"seen", "2025-01-31T10:30:00+01:00", "2025-01-31T09:30:00Z"},
		{"seen", "2025-01-31T09:30:00.123Z", "2025-01-31T09:30:00.123Z"},
		{"seen", "2025-01-31", nil},
		{"seen", "31/01/2025 09:30", nil},
		{"seen", json.Number("1738315800"), nil},
		{"tags", "a", []any{"a"}},
		{"tags", []any{"a", nil, "b"}, []any{"a", "b"}},
		{"tags", []any{"a", 1}, nil},
	}
	for _, tt := range tests {
		doc := map[string]any{tt.attr: tt.in}
		got, _, err := NormalizeAttributes(rt, doc)
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("%s = %#v: got %#v, want an error", tt.attr, tt.in, got[tt.attr])
		case tt.want == nil:
			checkError(t, err, 400, ErrInvalidValue, `attribute "`+tt.attr+`" must be`)
		case err != nil:
			t.Errorf("%s = %#v: %v", tt.attr, tt.in, err)
		case !reflect.DeepEqual(got[tt.attr], tt.want):
			t.Errorf("%s = %#v: got %#v, want %#v", tt.attr, tt.in, got[tt.attr], tt.want)
		}
	}
}

func TestNormalizeRequiredExtension(t *testing.T) {
	rt := &ResourceType{ID: "User", Name: "User", Endpoint: "/Users", Schema: userSchema,
		Extensions: []Extension{{Schema: enterpriseUserSchema, Required: true}}}
	_, _, err := Normalize(rt, parse(t, `{"schemas":["`+UserSchema+`"],"userName":"b"}`))
	checkError(t, err, 400, ErrInvalidValue,
		`schema extension "`+EnterpriseUserSchema+`" is required`)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}
