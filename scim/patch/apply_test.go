package patch

import (
	"reflect"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// applyCase is one PATCH applied to a stored document: the operations, the
// document expected back, the names expected in Changed and the member
// operations expected, as formatMembers renders them.
type applyCase struct {
	name    string
	rt      *scim.ResourceType
	doc     string
	ops     string
	want    string
	changed string
	members string
}

// The dialects identity providers send, each as they send it.
var dialectCases = []applyCase{
	// Okta.
	{"okta-deactivate", users, `{"userName":"bj","active":true}`,
		`[{"op":"replace","value":{"active":false}}]`,
		`{"userName":"bj","active":false}`, "active", ""},
	{"okta-group-rename-ignores-id", groups, `{"displayName":"Old"}`,
		`[{"op":"replace","value":{"id":"g1","displayName":"New"}}]`,
		`{"displayName":"New"}`, "displayName", ""},
	{"okta-member-add", groups, `{"displayName":"G"}`,
		`[{"op":"add","path":"members","value":[{"value":"u1","display":"x"}]}]`,
		`{"displayName":"G"}`, "", "add u1=x"},
	{"okta-member-remove-filter", groups, `{"displayName":"G"}`,
		`[{"op":"remove","path":"members[value eq \"u1\"]"}]`,
		`{"displayName":"G"}`, "", "remove u1"},
	{"okta-member-replace", groups, `{"displayName":"G"}`,
		`[{"op":"replace","path":"members","value":[{"value":"u1"},{"value":"u2"}]}]`,
		`{"displayName":"G"}`, "", "replace u1,u2"},

	// Microsoft Entra ID.
	{"entra-active-string", users, `{"userName":"bj","active":true}`,
		`[{"op":"Replace","path":"active","value":"False"}]`,
		`{"userName":"bj","active":"False"}`, "active", ""},
	{"entra-active-string-unchanged", users, `{"userName":"bj","active":false}`,
		`[{"op":"Replace","path":"active","value":"False"}]`,
		`{"userName":"bj","active":"False"}`, "", ""},
	{"entra-remove-listed-members", groups, `{"displayName":"G"}`,
		`[{"op":"Remove","path":"members","value":[{"value":"id1"},{"value":"id2"}]}]`,
		`{"displayName":"G"}`, "", "remove id1,id2"},
	{"entra-member-ref-null", groups, `{"displayName":"G"}`,
		`[{"op":"Add","path":"members","value":[{"value":"u1","$ref":null}]}]`,
		`{"displayName":"G"}`, "", "add u1"},
	{"entra-pathless-dotted-urn-filtered", users,
		`{"userName":"bj","name":{"givenName":"Z","familyName":"F"},
		  "emails":[{"type":"work","value":"old@x"}]}`,
		`[{"op":"Replace","value":{"name.givenName":"A","$ENT:department":"B",
		  "emails[type eq \"work\"].value":"a@b.c"}}]`,
		`{"userName":"bj","name":{"givenName":"A","familyName":"F"},
		  "emails":[{"type":"work","value":"a@b.c"}],"$ENT":{"department":"B"}}`,
		"emails,name,$ENT:department", ""},
	{"entra-replace-filtered-sub-creates", users,
		`{"userName":"bj","emails":[{"type":"home","value":"h@x"}]}`,
		`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.z"}]`,
		`{"userName":"bj","emails":[{"type":"home","value":"h@x"},
		  {"type":"work","value":"x@y.z"}]}`, "emails", ""},
	{"entra-add-filtered-sub-updates", users,
		`{"userName":"bj","emails":[{"type":"work","value":"w@x","primary":true}]}`,
		`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"n@x"}]`,
		`{"userName":"bj","emails":[{"type":"work","value":"n@x","primary":true}]}`,
		"emails", ""},
	{"entra-manager-bare-string", users, `{"userName":"bj"}`,
		`[{"op":"Add","path":"$ENT:manager","value":"managerId"}]`,
		`{"userName":"bj","$ENT":{"manager":{"value":"managerId"}}}`, "$ENT:manager", ""},
	{"entra-address-street-existing", users,
		`{"userName":"bj","addresses":[{"type":"work","locality":"X","streetAddress":"old"}]}`,
		`[{"op":"Replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main"}]`,
		`{"userName":"bj","addresses":[{"type":"work","locality":"X","streetAddress":"1 Main"}]}`,
		"addresses", ""},
	{"entra-address-street-new", users, `{"userName":"bj"}`,
		`[{"op":"Replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main"}]`,
		`{"userName":"bj","addresses":[{"type":"work","streetAddress":"1 Main"}]}`,
		"addresses", ""},
	{"entra-add-primary-string", users,
		`{"userName":"bj","roles":[{"value":"User","primary":true}]}`,
		`[{"op":"Add","path":"roles","value":[{"value":"Admin","primary":"True"}]}]`,
		`{"userName":"bj","roles":[{"value":"User","primary":false},
		  {"value":"Admin","primary":"True"}]}`, "roles", ""},
	{"entra-add-existing-with-string-bool", users,
		`{"userName":"bj","roles":[{"value":"Admin","primary":true}]}`,
		`[{"op":"Add","path":"roles","value":[{"value":"Admin","primary":"True"}]}]`,
		`{"userName":"bj","roles":[{"value":"Admin","primary":true}]}`, "", ""},
	{"entra-single-value-array-simple", users, `{"userName":"bj"}`,
		`[{"op":"Replace","path":"title","value":[{"value":"Boss"}]}]`,
		`{"userName":"bj","title":"Boss"}`, "title", ""},
	{"entra-single-value-array-complex", users, `{"userName":"bj"}`,
		`[{"op":"Replace","path":"$ENT:manager","value":[{"value":"m1"}]}]`,
		`{"userName":"bj","$ENT":{"manager":{"value":"m1"}}}`, "$ENT:manager", ""},

	// OneLogin and JumpCloud replace whole objects without a path.
	{"onelogin-pathless-whole-emails", users,
		`{"userName":"bj","emails":[{"value":"a@x","primary":true},{"value":"b@x"}],
		  "name":{"givenName":"B","familyName":"J"}}`,
		`[{"op":"replace","value":{"userName":"bj","emails":[{"value":"c@x","type":"work",
		  "primary":true}],"name":{"givenName":"Barbara"}}}]`,
		`{"userName":"bj","emails":[{"value":"c@x","type":"work","primary":true}],
		  "name":{"givenName":"Barbara","familyName":"J"}}`, "emails,name", ""},
	{"jumpcloud-pathless-addresses-and-extension", users,
		`{"userName":"bj","addresses":[{"type":"home","locality":"A"}]}`,
		`[{"op":"replace","value":{"addresses":[{"type":"work","locality":"B"}],
		  "$ENT":{"department":"Eng","manager":{"value":"m1"}}}}]`,
		`{"userName":"bj","addresses":[{"type":"work","locality":"B"}],
		  "$ENT":{"department":"Eng","manager":{"value":"m1"}}}`,
		"addresses,$ENT:department,$ENT:manager", ""},
}

// The examples of RFC 7644 §3.5.2, and the rules around them.
var rfcCases = []applyCase{
	{"add-pathless-appends-and-sets", users,
		`{"userName":"bj","emails":[{"value":"bj@example.com","type":"work"}]}`,
		`[{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],
		  "nickName":"Babs"}}]`,
		`{"userName":"bj","nickName":"Babs","emails":[{"value":"bj@example.com","type":"work"},
		  {"value":"babs@jensen.org","type":"home"}]}`, "emails,nickName", ""},
	{"add-members-with-ref", groups, `{"displayName":"G"}`,
		`[{"op":"add","path":"members","value":[{"display":"Babs Jensen",
		  "$ref":"https://example.com/v2/Users/2819c223","value":"2819c223"}]}]`,
		`{"displayName":"G"}`, "", "add 2819c223=Babs Jensen"},
	{"add-duplicate-is-no-op", users, `{"userName":"bj","emails":[{"value":"a@x","type":"work"}]}`,
		`[{"op":"add","path":"emails","value":[{"type":"work","value":"a@x"}]}]`,
		`{"userName":"bj","emails":[{"value":"a@x","type":"work"}]}`, "", ""},
	{"add-primary-demotes-others", users,
		`{"userName":"bj","emails":[{"value":"a@x","primary":true}]}`,
		`[{"op":"add","path":"emails","value":{"value":"b@x","primary":true}}]`,
		`{"userName":"bj","emails":[{"value":"a@x","primary":false},
		  {"value":"b@x","primary":true}]}`, "emails", ""},
	{"add-complex-merges", users, `{"userName":"bj","name":{"familyName":"J"}}`,
		`[{"op":"add","path":"name","value":{"givenName":"B"}}]`,
		`{"userName":"bj","name":{"familyName":"J","givenName":"B"}}`, "name", ""},
	{"add-single-valued-replaces", users, `{"userName":"bj","title":"A"}`,
		`[{"op":"add","path":"title","value":"B"}]`,
		`{"userName":"bj","title":"B"}`, "title", ""},
	{"remove-all-members", groups, `{"displayName":"G"}`,
		`[{"op":"remove","path":"members"}]`, `{"displayName":"G"}`, "", "remove_all"},
	{"remove-then-add-members", groups, `{"displayName":"G"}`,
		`[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"},
		  {"op":"add","path":"members","value":[{"value":"c","type":"user"}]}]`,
		`{"displayName":"G"}`, "", "remove a,b; add c:User"},
	{"remove-members-by-type", groups, `{"displayName":"G"}`,
		`[{"op":"remove","path":"members[type eq \"Group\"]"}]`,
		`{"displayName":"G"}`, "", `remove_where type eq "Group"`},
	{"remove-filtered-values", users,
		`{"userName":"bj","emails":[{"value":"a@example.com","type":"work"},
		  {"value":"b@other.org","type":"work"},{"value":"c@example.com","type":"home"}]}`,
		`[{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}]`,
		`{"userName":"bj","emails":[{"value":"b@other.org","type":"work"},
		  {"value":"c@example.com","type":"home"}]}`, "emails", ""},
	{"remove-filter-matching-nothing", users, `{"userName":"bj","emails":[{"value":"a@x"}]}`,
		`[{"op":"remove","path":"emails[type eq \"work\"]"}]`,
		`{"userName":"bj","emails":[{"value":"a@x"}]}`, "", ""},
	{"remove-filtered-sub", users,
		`{"userName":"bj","emails":[{"value":"a@x","type":"work","display":"A"}]}`,
		`[{"op":"remove","path":"emails[type eq \"work\"].display"}]`,
		`{"userName":"bj","emails":[{"value":"a@x","type":"work"}]}`, "emails", ""},
	{"remove-last-sub-drops-complex", users, `{"userName":"bj","name":{"givenName":"B"}}`,
		`[{"op":"remove","path":"name.givenName"}]`, `{"userName":"bj"}`, "name", ""},
	{"remove-last-extension-attribute", users,
		`{"userName":"bj","$ENT":{"department":"D"}}`,
		`[{"op":"remove","path":"$ENT:department"}]`, `{"userName":"bj"}`, "$ENT:department", ""},
	{"remove-from-absent-extension", users, `{"userName":"bj"}`,
		`[{"op":"remove","path":"$ENT:manager"}]`, `{"userName":"bj"}`, "", ""},
	{"remove-whole-attribute", users, `{"userName":"bj","emails":[{"value":"a@x"}]}`,
		`[{"op":"remove","path":"emails"}]`, `{"userName":"bj"}`, "emails", ""},
	{"remove-listed-emails", users,
		`{"userName":"bj","emails":[{"value":"a@x","type":"work"},{"value":"b@x"}]}`,
		`[{"op":"remove","path":"emails","value":[{"value":"a@x"}]}]`,
		`{"userName":"bj","emails":[{"value":"b@x"}]}`, "emails", ""},
	{"replace-filtered-value-whole", users,
		`{"userName":"bj","addresses":[{"type":"work","streetAddress":"old","locality":"X"},
		  {"type":"home","locality":"Y"}]}`,
		`[{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work",
		  "streetAddress":"911 Universal City Plaza","primary":true}}]`,
		`{"userName":"bj","addresses":[{"type":"work","streetAddress":"911 Universal City Plaza",
		  "primary":true},{"type":"home","locality":"Y"}]}`, "addresses", ""},
	{"replace-multi-valued-whole", users,
		`{"userName":"bj","emails":[{"value":"a@x"},{"value":"b@x"}]}`,
		`[{"op":"replace","path":"emails","value":[{"value":"c@x"}]}]`,
		`{"userName":"bj","emails":[{"value":"c@x"}]}`, "emails", ""},
	{"replace-complex-merges", users, `{"userName":"bj","name":{"givenName":"B","familyName":"J"}}`,
		`[{"op":"replace","path":"name","value":{"givenName":"Barbara"}}]`,
		`{"userName":"bj","name":{"givenName":"Barbara","familyName":"J"}}`, "name", ""},
	{"add-filtered-creates", users, `{"userName":"bj"}`,
		`[{"op":"add","path":"emails[type eq \"work\"]","value":{"value":"w@x"}}]`,
		`{"userName":"bj","emails":[{"type":"work","value":"w@x"}]}`, "emails", ""},
	{"add-filtered-merges", users,
		`{"userName":"bj","emails":[{"type":"work","value":"w@x"},{"type":"home","value":"h@x"}]}`,
		`[{"op":"add","path":"emails[type eq \"work\"]","value":{"display":"W","primary":true}}]`,
		`{"userName":"bj","emails":[{"type":"work","value":"w@x","display":"W","primary":true},
		  {"type":"home","value":"h@x"}]}`, "emails", ""},
	{"replace-sub-of-every-value", users,
		`{"userName":"bj","emails":[{"value":"a@x"},{"value":"b@x","type":"home"}]}`,
		`[{"op":"replace","path":"emails.type","value":"work"}]`,
		`{"userName":"bj","emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"work"}]}`,
		"emails", ""},
	{"replace-filter-boolean-string-stored", users,
		`{"userName":"bj","emails":[{"value":"a@x","primary":"True"},{"value":"b@x"}]}`,
		`[{"op":"replace","path":"emails[primary eq true].type","value":"work"}]`,
		`{"userName":"bj","emails":[{"value":"a@x","primary":"True","type":"work"},
		  {"value":"b@x"}]}`, "emails", ""},
	{"replace-null-unassigns", users, `{"userName":"bj","title":"T","nickName":"N"}`,
		`[{"op":"replace","value":{"title":null}}]`,
		`{"userName":"bj","nickName":"N"}`, "title", ""},
	{"names-in-any-case", users, `{"userName":"bj","name":{"givenName":"B"}}`,
		`[{"op":"REPLACE","path":"NAME.GIVENNAME","value":"X"},
		  {"op":"replace","value":{"DisplayName":"D","Name":{"FamilyName":"F"}}}]`,
		`{"userName":"bj","displayName":"D","name":{"givenName":"X","familyName":"F"}}`,
		"displayName,name", ""},
	{"pathless-readonly-and-schemas-ignored", users, `{"userName":"bj"}`,
		`[{"op":"replace","value":{"schemas":["x"],"id":"1","meta":{"version":"W/\"1\""},
		  "groups":[{"value":"g"}],"title":"T"}}]`,
		`{"userName":"bj","title":"T"}`, "title", ""},
	{"pathless-members-replace", groups, `{"displayName":"G"}`,
		`[{"op":"replace","value":{"displayName":"H","members":[]}}]`,
		`{"displayName":"H"}`, "displayName", "replace"},
}

func TestApply(t *testing.T) {
	for _, tc := range append(append([]applyCase{}, dialectCases...), rfcCases...) {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeDoc(t, tc.doc)
			before := canonical(t, doc)

			res, err := Apply(tc.rt, doc, mustOps(t, tc.ops))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got, want := canonical(t, res.Doc), canonical(t, decode(t, tc.want)); got != want {
				t.Errorf("doc:\n got %s\nwant %s", got, want)
			}
			if got, want := strings.Join(res.Changed, ","), expand(tc.changed); got != want {
				t.Errorf("changed: got %q, want %q", got, want)
			}
			if got := formatMembers(res.Members); got != tc.members {
				t.Errorf("members: got %q, want %q", got, tc.members)
			}
			if after := canonical(t, doc); after != before {
				t.Errorf("input document changed:\n was %s\n now %s", before, after)
			}

			// The caller validates the result; every case must pass.
			if _, _, err := scim.NormalizeAttributes(tc.rt, res.Doc); err != nil {
				t.Errorf("NormalizeAttributes rejects the result: %v", err)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name     string
		rt       *scim.ResourceType
		doc, ops string
		typ      scim.ErrorType
		detail   string
	}{
		{"unknown-path", users, ``, `[{"op":"replace","path":"nickname2","value":"x"}]`,
			scim.ErrInvalidPath, `nickname2`},
		{"unknown-sub", users, ``, `[{"op":"replace","path":"name.nick","value":"x"}]`,
			scim.ErrInvalidPath, `nick`},
		{"unknown-schema-in-value", users, ``,
			`[{"op":"replace","value":{"urn:example:custom:User:badge":"x"}}]`,
			scim.ErrInvalidPath, `urn:example:custom`},
		{"remove-without-path", users, ``, `[{"op":"remove"}]`,
			scim.ErrNoTarget, `remove needs a "path"`},
		{"replace-filter-no-match", users, `{"emails":[{"value":"a@x","type":"home"}]}`,
			`[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"b@x"}}]`,
			scim.ErrNoTarget, `no value of emails matches`},
		{"replace-or-filter-no-match-sub", users, ``,
			`[{"op":"replace","path":"emails[type eq \"work\" or type eq \"home\"].value",
			   "value":"b@x"}]`, scim.ErrNoTarget, `cannot be built`},
		{"add-or-filter-no-match", users, ``,
			`[{"op":"add","path":"emails[not (type eq \"work\")]","value":{"value":"b@x"}}]`,
			scim.ErrNoTarget, `only eq comparisons`},
		{"readonly-id", users, ``, `[{"op":"replace","path":"id","value":"x"}]`,
			scim.ErrMutability, `id is read-only`},
		{"readonly-meta-sub", users, ``,
			`[{"op":"replace","path":"meta.lastModified","value":"2020-01-01T00:00:00Z"}]`,
			scim.ErrMutability, `meta.lastModified is read-only`},
		{"readonly-groups", users, ``, `[{"op":"add","path":"groups","value":[{"value":"g"}]}]`,
			scim.ErrMutability, `groups`},
		{"readonly-manager-display", users, ``,
			`[{"op":"replace","path":"$ENT:manager.displayName","value":"x"}]`,
			scim.ErrMutability, `manager.displayName`},
		{"string-for-complex", users, ``, `[{"op":"replace","path":"name","value":"Babs"}]`,
			scim.ErrInvalidValue, `name is complex`},
		{"object-for-simple", users, ``, `[{"op":"replace","path":"title","value":{"a":"b"}}]`,
			scim.ErrInvalidValue, `title takes a single string value, not an object`},
		{"list-for-single", users, ``, `[{"op":"replace","path":"title","value":["a","b"]}]`,
			scim.ErrInvalidValue, `title is single-valued`},
		{"pathless-not-object", users, ``, `[{"op":"replace","value":"x"}]`,
			scim.ErrInvalidValue, `value must be an object`},
		{"pathless-wrong-shape-named", users, ``, `[{"op":"add","value":{"name":"Babs"}}]`,
			scim.ErrInvalidValue, `Operations[0] (add): name is complex`},
		{"add-without-value", users, ``, `[{"op":"add","path":"title"}]`,
			scim.ErrInvalidValue, `add needs a "value"`},
		{"member-without-value", groups, ``,
			`[{"op":"add","path":"members","value":[{"display":"x"}]}]`,
			scim.ErrInvalidValue, `members[0]: a member needs a "value"`},
		{"member-bad-type", groups, ``,
			`[{"op":"add","path":"members","value":[{"value":"u","type":"Robot"}]}]`,
			scim.ErrInvalidValue, `"Robot"`},
		{"member-not-object", groups, ``, `[{"op":"add","path":"members","value":["u1"]}]`,
			scim.ErrInvalidValue, `a member must be an object`},
		{"member-filtered-add", groups, ``,
			`[{"op":"add","path":"members[value eq \"u\"]","value":[{"value":"u"}]}]`,
			scim.ErrInvalidPath, `remove the members with the filter`},
		{"member-sub-path", groups, ``,
			`[{"op":"replace","path":"members.display","value":"x"}]`,
			scim.ErrInvalidPath, `members are added and removed whole`},
		{"filter-on-single-valued", users, ``,
			`[{"op":"replace","path":"name[givenName eq \"B\"].familyName","value":"x"}]`,
			scim.ErrInvalidPath, `name`},
		{"bad-path-syntax", users, ``, `[{"op":"replace","path":"emails[type eq","value":"x"}]`,
			scim.ErrInvalidPath, ``},
		{"second-op-named", users, ``,
			`[{"op":"replace","path":"title","value":"T"},
			  {"op":"replace","path":"id","value":"x"}]`,
			scim.ErrMutability, `Operations[1] (replace id)`},
		{"pathless-op-named", users, ``,
			`[{"op":"add","value":{"title":{"a":"b"}}}]`,
			scim.ErrInvalidValue, `Operations[0] (add): title takes`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeDoc(t, tc.doc)
			res, err := Apply(tc.rt, doc, mustOps(t, tc.ops))
			if err == nil {
				t.Fatalf("Apply succeeded with %s, want %s", canonical(t, res.Doc), tc.typ)
			}
			checkError(t, err, 400, tc.typ, tc.detail)
		})
	}
}

func TestApplyUnknownOp(t *testing.T) {
	_, err := Apply(users, map[string]any{}, []Operation{{Op: "move", Path: "title"}})
	checkError(t, err, 400, scim.ErrInvalidSyntax, `unknown op "move"`)
}

// A failing operation leaves the input alone, even after earlier operations
// of the same request changed the working copy.
func TestApplyAtomic(t *testing.T) {
	doc := decodeDoc(t, `{"userName":"bj","title":"T","name":{"givenName":"B"},
		"emails":[{"value":"a@x","type":"work"}],"$ENT":{"department":"D"}}`)
	snapshot := deepCopy(doc)

	ops := mustOps(t, `[
		{"op":"replace","path":"name.givenName","value":"X"},
		{"op":"remove","path":"emails[type eq \"work\"]"},
		{"op":"replace","path":"$ENT:department","value":"E"},
		{"op":"replace","path":"meta.version","value":"W/\"9\""}]`)
	res, err := Apply(users, doc, ops)
	if res != nil {
		t.Errorf("got a result with the error: %+v", res)
	}
	checkError(t, err, 400, scim.ErrMutability, "Operations[3]")
	if !reflect.DeepEqual(doc, snapshot) {
		t.Errorf("input changed:\n got %s\nwant %s", canonical(t, doc), canonical(t, snapshot))
	}
}

func TestApplyIgnoredKeys(t *testing.T) {
	ops := mustOps(t, `[{"op":"replace","value":{"title":"T","favouriteColour":"red",
		"$ENT":{"badge":"7","department":"D"},"name.nick":"N"}}]`)
	res, err := Apply(users, map[string]any{"userName": "bj"}, ops)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := strings.Join(res.Ignored, ",")
	want := expand("favouriteColour,name.nick,$ENT:badge")
	if got != want {
		t.Errorf("ignored: got %q, want %q", got, want)
	}
	want = canonical(t, decode(t, `{"userName":"bj","title":"T","$ENT":{"department":"D"}}`))
	if got := canonical(t, res.Doc); got != want {
		t.Errorf("doc: got %s, want %s", got, want)
	}
}
