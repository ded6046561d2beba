package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// A user's "active" is only changed by a client that sends it: a PUT that
// leaves it out, or a PATCH that removes it, does not reactivate a
// deactivated user (RFC 7644 §3.5.1 lets a server take an omitted attribute
// as not asserted). A new user without it is active.
func TestOmittedActiveKeepsState(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		u := newUser("leaver@example.com")
		delete(u, "active")
		r := c.post("/Users", u).want(t, http.StatusCreated)
		if r.doc["active"] != true {
			t.Fatalf("a new user without active: active %v, want true", r.doc["active"])
		}
		path := "/Users/" + r.str("/id")

		// Okta deactivates with a path-less replace.
		off := patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": false}})
		c.patch(path, off).want(t, http.StatusOK)
		version := c.get(path).want(t, http.StatusOK).str("/meta/version")

		u["title"] = "Former employee"
		if got := c.put(path, u).want(t, http.StatusOK); got.doc["active"] != false {
			t.Errorf("PUT without active: active %v, want false", got.doc["active"])
		}
		after := c.patch(path, patchOp(op("remove", "active", nil))).want(t, http.StatusOK)
		if after.doc["active"] != false {
			t.Errorf("PATCH remove active: active %v, want false", after.doc["active"])
		}
		if after.str("/meta/version") == version || after.str("/title") != "Former employee" {
			t.Errorf("the PUT's other changes were lost: %s", after.body)
		}

		// Saying so still reactivates.
		u["active"] = true
		if got := c.put(path, u).want(t, http.StatusOK); got.doc["active"] != true {
			t.Errorf("PUT with active true: active %v", got.doc["active"])
		}
	})
}

// Values of the indexed lookup attributes may be as long as the advertised
// limit on every engine; one byte more is refused (see TestBadInput).
func TestLookupValuesAtLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		u := newUser(randomText(1024))
		u["externalId"] = randomText(1024)
		u["displayName"] = randomText(1024)
		u["emails"] = []any{map[string]any{"value": randomText(1024)}}
		id := c.post("/Users", u).want(t, http.StatusCreated).str("/id")
		r := c.get(query("/Users", "filter", `userName eq "`+strings.ToUpper(
			u["userName"].(string))+`"`)).want(t, http.StatusOK)
		if ids := r.ids(); len(ids) != 1 || ids[0] != id {
			t.Errorf("filter by a 1024-byte userName: %v, want [%s]", ids, id)
		}

		g := newGroup(randomText(1024), id)
		g["externalId"] = randomText(1024)
		c.post("/Groups", g).want(t, http.StatusCreated)

		// Far beyond the limit, where PostgreSQL's index would fail, the
		// answer is the same 400 as one byte beyond.
		c.post("/Users", newUser(randomText(3000))).
			wantError(t, http.StatusBadRequest, invValue, `"userName" is 3000 bytes long`)
	})
}

// An empty string is no value: it is not stored, so that filters on it
// agree on every attribute, and replacing an attribute with "" removes it.
func TestEmptyStringUnassigns(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		u := newUser("blank@example.com")
		u["displayName"], u["externalId"], u["title"] = "", "", ""
		r := c.post("/Users", u).want(t, http.StatusCreated)
		for _, name := range []string{"displayName", "externalId", "title"} {
			if v, ok := r.doc[name]; ok {
				t.Errorf("%s sent as \"\" came back as %q", name, v)
			}
		}
		path := "/Users/" + r.str("/id")

		c.patch(path, patchOp(op("replace", "title", "Clerk"))).want(t, http.StatusOK)
		got := c.patch(path, patchOp(op("replace", "title", ""))).want(t, http.StatusOK)
		if v, ok := got.doc["title"]; ok {
			t.Errorf("replace title with \"\": title %q, want none", v)
		}
		for _, f := range []string{`title pr`, `displayName eq ""`, `externalId eq ""`} {
			if ids := c.get(query("/Users", "filter", f)).want(t, 200).ids(); len(ids) != 0 {
				t.Errorf("%s: %v, want no user", f, ids)
			}
		}
		c.patch(path, patchOp(op("replace", "userName", ""))).
			wantError(t, http.StatusBadRequest, invValue, `"userName" must not be empty`)
	})
}

// userName is compared without regard to case but byte for byte otherwise:
// scimd applies no Unicode normalization, so "é" written precomposed (NFC)
// and decomposed (NFD) are two userNames, each stored and returned as the
// identity provider sent it. The identity provider owns the identifier, and
// the vendor's application matches sign-ins against the same bytes.
func TestUserNameUnicodeForms(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		nfc, nfd := "jos\u00e9@example.com", "jose\u0301@example.com"
		ids := map[string]string{}
		for _, name := range []string{nfc, nfd} {
			r := c.post("/Users", newUser(name)).want(t, http.StatusCreated)
			if r.str("/userName") != name {
				t.Errorf("userName %q came back as %q", name, r.str("/userName"))
			}
			ids[name] = r.str("/id")
		}
		for _, name := range []string{nfc, nfd} {
			upper := strings.ToUpper(name)
			got := c.get(query("/Users", "filter", `userName eq "`+upper+`"`)).want(t, 200).ids()
			if len(got) != 1 || got[0] != ids[name] {
				t.Errorf("userName eq %q: %v, want only %s", upper, got, ids[name])
			}
		}
		c.post("/Users", newUser(strings.ToUpper(nfd))).
			wantError(t, http.StatusConflict, "uniqueness", "already taken")
	})
}

// What Okta's and Entra ID's validators check, in one pass: each step
// pins an answer an identity provider relies on.
func TestIdentityProviderEdges(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		created := c.post("/Users", newUser("edge@example.com")).want(t, http.StatusCreated)
		uid := created.str("/id")
		upath := "/Users/" + uid
		other := c.post("/Users", newUser("other@example.com")).want(t, 201).str("/id")

		// A filter on meta.lastModified with the exact value returned finds
		// changes after it, not the resource itself.
		lm := created.str("/meta/lastModified")
		r := c.get(query("/Users", "filter", `meta.lastModified gt "`+lm+`"`)).want(t, 200)
		if ids := r.ids(); len(ids) != 1 || ids[0] != other {
			t.Errorf("meta.lastModified gt %s: %v, want only the later user", lm, ids)
		}
		r = c.get(query("/Users", "filter", `meta.lastModified ge "`+lm+`"`)).want(t, 200)
		if !sameSet(r.ids(), []string{uid, other}) {
			t.Errorf("meta.lastModified ge %s: %v, want both users", lm, r.ids())
		}

		// A userName that changes only in case is no conflict with itself.
		p := c.put(upath, newUser("EDGE@example.com")).want(t, http.StatusOK)
		if p.str("/userName") != "EDGE@example.com" {
			t.Errorf("PUT changing userName's case: %s", p.body)
		}

		// PATCH answers 200 with the whole user; sub-attribute and filtered
		// paths change what they name.
		p = c.patch(upath, patchOp(op("replace", "name.givenName", "Ed"))).want(t, 200)
		if p.str("/name/givenName") != "Ed" || p.str("/name/familyName") != "Family" ||
			p.str("/userName") != "EDGE@example.com" {
			t.Errorf("replace name.givenName: %s", p.body)
		}
		p = c.patch(upath, patchOp(op("remove", `emails[type eq "work"]`, nil))).want(t, 200)
		if _, ok := p.doc["emails"]; ok {
			t.Errorf("remove emails[type eq \"work\"]: emails left: %s", p.body)
		}
		p = c.do("PATCH", upath, patchOp(op("replace", "title", "T")), "If-Match", "*")
		p.want(t, http.StatusOK)

		// Groups: lowercase member type and a client's $ref are accepted;
		// adding a member twice changes nothing; an empty replace empties.
		gid := c.post("/Groups", newGroup("Edge", uid)).want(t, 201).str("/id")
		gpath := "/Groups/" + gid
		add := op("add", "members", []any{map[string]any{"value": other, "type": "user",
			"$ref": "https://elsewhere.example/Users/" + other}})
		v2 := c.patch(gpath, patchOp(add)).want(t, http.StatusNoContent).header.Get("ETag")
		again := c.patch(gpath, patchOp(add)).want(t, http.StatusNoContent)
		if got := again.header.Get("ETag"); got != v2 {
			t.Errorf("adding an existing member: ETag %s, want %s unchanged", got, v2)
		}
		g := c.get(gpath).want(t, http.StatusOK)
		if types, _ := lookup(g.doc, "/members/*/type"); !sameJSON(types,
			[]any{"User", "User"}, false) {
			t.Errorf("member types %v, want the canonical User", types)
		}
		if refs, _ := lookup(g.doc, "/members/*/$ref"); !sameJSON(refs, []any{
			c.baseURL() + "/Users/" + uid, c.baseURL() + "/Users/" + other}, true) {
			t.Errorf("member $ref %v, want scimd's own references", refs)
		}
		r = c.get(query("/Groups", "filter", `displayName eq "EDGE"`,
			"excludedAttributes", "members")).want(t, 200)
		if ids := r.ids(); len(ids) != 1 || ids[0] != gid || strings.Contains(string(r.body),
			`"members"`) {
			t.Errorf("displayName in another case, without members: %s", r.body)
		}
		c.patch(gpath, patchOp(op("replace", "members", []any{}))).want(t, 204)
		if g := c.get(gpath).want(t, http.StatusOK); g.doc["members"] != nil {
			t.Errorf("replace members with []: members %v", g.doc["members"])
		}

		// externalId is unique nowhere (RFC 7643 §3.1: uniqueness none), and
		// neither is a group's displayName: two directories synced into one
		// account may both have "Admins", and Okta and Entra ID look a group
		// up by name before they create it.
		twin := newUser("twin@example.com")
		twin["externalId"] = "00u-shared"
		c.post("/Users", twin).want(t, http.StatusCreated)
		twin["userName"] = "twin2@example.com"
		c.post("/Users", twin).want(t, http.StatusCreated)
		r = c.get(query("/Users", "filter", `externalId eq "00u-shared"`)).want(t, 200)
		if n := len(r.ids()); n != 2 {
			t.Errorf("two users with one externalId: the filter finds %d", n)
		}
		c.post("/Groups", newGroup("edge")).want(t, http.StatusCreated)
		c.del("/Users/"+r.ids()[0]).want(t, http.StatusNoContent)
		c.del("/Users/"+r.ids()[1]).want(t, http.StatusNoContent)

		// Listing ids only, and paging past the end.
		r = c.get("/Users?attributes=id").want(t, http.StatusOK)
		for _, res := range r.doc["Resources"].([]any) {
			keys(t, &response{method: "GET", path: r.path, doc: res.(map[string]any)},
				"id", "schemas")
		}
		checkListShape(t, c.get("/Users?startIndex=9&count=5").want(t, 200), 2, 9, 0)

		// A deleted user is gone for PATCH and PUT alike.
		c.del(upath).want(t, http.StatusNoContent)
		c.patch(upath, patchOp(op("replace", "active", false))).
			wantError(t, http.StatusNotFound, "", uid)
		c.put(upath, newUser("edge@example.com")).wantError(t, http.StatusNotFound, "", uid)
		c.post("/Users", map[string]any{"schemas": []string{scim.UserSchema},
			"userName": "n@example.com", "title": 5}).
			wantError(t, http.StatusBadRequest, invValue, `"title" must be a string`)
	})
}

// Responses with account data are not to be stored by caches on the way,
// and no response is to be sniffed as anything but what it says it is.
func TestResponsesNotStored(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		id := c.post("/Users", newUser("private@example.com")).want(t, 201).str("/id")
		for _, r := range []*response{
			c.get("/Users/"+id).want(t, http.StatusOK),
			c.get("/Users").want(t, http.StatusOK),
			c.get("/Users/missing").want(t, http.StatusNotFound),
			s.clientFor("").get("/Users").want(t, http.StatusUnauthorized),
		} {
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s %s: Cache-Control %q, want no-store", r.method, r.path, got)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s: X-Content-Type-Options %q", r.method, r.path, got)
			}
		}
		r := s.clientFor("").get("/Schemas").want(t, http.StatusOK)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET /Schemas: X-Content-Type-Options %q", got)
		}
	})
}
