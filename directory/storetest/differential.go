package storetest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// testFilterAgrees runs each filter twice over the same data: in the store,
// and with filter.Match over every resource as the SCIM API renders it. The
// two must select the same resources; a store whose SQL reads a filter
// differently from the matcher would answer an identity provider's lookup
// differently from a PATCH value filter, or from another engine.
func testFilterAgrees(t *testing.T, s directory.Store) {
	f := newFixture(t, s, "a")
	f.addOddities(t, s)

	users := []string{
		// Strings without regard to case, every operator, ASCII or not.
		`userName eq "ALICE@example.com"`, `userName ne "bob"`, `userName co "E"`,
		`userName sw "Ä"`, `userName ew "COM"`, `userName gt "d"`, `userName ge "Dave"`,
		`userName lt "Ärger"`, `userName le "äRGER@Example.com"`, `userName pr`,
		`displayName eq "carol"`, `displayName gt "b"`, `displayName pr`,
		`title eq "ÉCOLE"`, `title co "é"`, `title lt "m"`, `title pr`, `title eq null`,
		`nickName pr`, `nickName eq ""`, `nickName ne null`, `not (nickName pr)`,
		`displayName eq ""`, `displayName lt "b"`, `externalId eq ""`, `title gt ""`,
		`title co ""`, `name.givenName pr`, `name.givenName ew ""`,
		`phoneNumbers[value eq ""]`, `phoneNumbers.type eq "work"`,
		`title co "%"`, `title co "_"`, `title sw "100%"`, `title co "\\"`,

		// Case-exact strings: id and externalId.
		`externalId eq "ext-1"`, `externalId eq "EXT-1"`, `externalId gt "F"`,
		`externalId co "xt"`, `externalId ne "ext-1"`, `externalId pr`,
		`externalId eq null`, `id eq "{carol}"`, `id ne "{carol}"`,

		// Multi-valued complex attributes.
		`emails eq "dave@example.com"`, `emails.value eq "ALICE.home@example.org"`,
		`email eq "BOB@example.com"`, `emails.value co "EXAMPLE"`, `emails.value sw "e"`,
		`emails.value ew ".org"`, `emails.value gt "eve"`, `emails.value lt "b"`,
		`emails.value ne "bob@example.com"`, `emails pr`, `not (emails pr)`,
		`emails.type eq "WORK"`, `emails.type ne "work"`, `emails.primary eq true`,
		`emails.primary eq false`, `emails.primary ne true`, `emails.display pr`,
		`emails[type eq "work" and value co "alice"]`, `emails[not (type eq "work")]`,
		`emails[primary eq true or type eq "other"]`, `emails[primary pr]`,
		`emails[value eq "shared@example.com"]`, `emails[type eq "home"] or title pr`,
		`emails[type eq "work"].value eq "dave@example.com"`,
		`emails[type eq "other"].value ew ".COM"`,
		`phoneNumbers.value co "555"`, `phoneNumbers pr`,
		`addresses.locality eq "PARIS"`, `addresses[type eq "work" and locality sw "par"]`,

		// Single-valued complex attributes.
		`name.givenName eq "alice"`, `name.familyName pr`, `name pr`,
		`name[givenName sw "B"]`, `name.givenName gt "b"`,

		// Booleans.
		`active eq true`, `active eq false`, `active ne true`, `active ne false`,
		`not (active eq true)`, `active pr`,

		// The enterprise extension, qualified or not.
		`{ent}employeeNumber eq "1001"`, `employeeNumber gt "1001"`,
		`{ent}department eq "R&D"`, `{ent}department pr`, `{ent}manager.value eq "{bob}"`,
		`{ent}manager pr`, `not ({ent}manager pr)`,

		// Times, whatever offset and precision the filter is written with.
		`meta.created gt "2024-03-01T11:00:00Z"`, `meta.created ge "2024-03-01T11:00:00Z"`,
		`meta.created eq "2024-03-01T12:00:00.000+00:00"`,
		`meta.lastModified gt "2024-03-01T16:00:00+05:00"`,
		`meta.lastModified le "2024-03-01T11:30:00Z"`, `meta.lastModified ne
			"2024-03-01T11:30:00Z"`,
		`meta.resourceType eq "user"`, `meta.version eq "W/\"1\""`, `meta pr`,
		`schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"`, `schemas pr`,
		`schemas eq "` + enterprise + `"`, `schemas co "enterprise"`,
		`schemas ne "` + enterprise + `"`, `schemas sw "URN:"`, `schemas eq null`,

		// A user's groups.
		`groups.value eq "{engineering}"`, `groups eq "{sales}"`,
		`groups.display eq "ENGINEERING"`, `groups[display sw "s"]`, `groups pr`,
		`not (groups pr)`, `groups.type eq "direct"`, `groups.value ne "{sales}"`,

		// Logic.
		`userName eq "bob" or userName eq "carol"`,
		`(userName eq "bob" or userName eq "carol") and active eq true`,
		`not (userName eq "bob" or emails pr)`, `userName pr and not (title pr)`,
		`not (not (active eq false))`,
	}
	groups := []string{
		`displayName eq "ENGINEERING"`, `displayName co "e"`, `displayName sw "A"`,
		`displayName gt "e"`, `displayName ne "sales"`, `displayName pr`,
		`externalId eq "g-ext-1"`, `externalId pr`, `id eq "{empty}"`,
		`members.value eq "{alice}"`, `members eq "{engineering}"`,
		`members[type eq "Group"]`, `members[type eq "user"]`,
		`members[value eq "{carol}" and type eq "User"]`, `members pr`,
		`not (members pr)`, `members.display eq "BOB"`, `members.display sw "a"`,
		`members.value ne "{alice}"`, `members.type ne "User"`,
		`meta.resourceType eq "Group"`, `meta.created lt "2024-03-01T12:00:00Z"`,
		`schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group"`, `schemas pr`,
		`schemas eq "` + enterprise + `"`,
		`meta.lastModified ge "2024-03-01T10:30:00Z"`,
	}
	f.agree(t, s, directory.KindUser, users)
	f.agree(t, s, directory.KindGroup, groups)
}

// addOddities stores users whose values test the edges of matching:
// non-ASCII letters in lookup columns and in the document, and empty
// strings, objects and lists where a client may send them. Their documents
// are normalized as the service normalizes what a client sends.
func (f *fixture) addOddities(t *testing.T, s directory.Store) {
	at := base.Add(6 * time.Hour)
	docs := map[string]map[string]any{
		"umlaut": {
			"userName": "Ärger@Example.com", "displayName": "Ärger", "title": "École",
			"nickName": "Ä", "name": map[string]any{"givenName": "Ärger"},
			"emails": []any{map[string]any{"value": "Ärger@Example.com", "type": "Work"}},
		},
		"blank": {
			"userName": "blank", "displayName": "", "externalId": "", "title": "",
			"nickName": "", "name": map[string]any{"givenName": ""}, "emails": []any{},
			"phoneNumbers": []any{map[string]any{"value": "", "type": "work"}},
		},
	}
	var rs []*directory.Resource
	for label, doc := range docs {
		doc, _, err := scim.NormalizeAttributes(scim.UserResourceType, doc)
		if err != nil {
			t.Fatalf("normalize %s: %v", label, err)
		}
		r := user(doc, at)
		at = at.Add(time.Hour)
		f.byLabel[label], f.labels[r.ID] = r, label
		rs = append(rs, r)
	}
	insert(t, s, f.account, rs...)
}

// agree checks each filter on resources of kind, by the store and by
// filter.Match.
func (f *fixture) agree(t *testing.T, s directory.Store, kind directory.Kind,
	filters []string) {
	t.Helper()
	rendered := f.rendered(t, s, kind)
	rt := directory.ResourceType(kind)
	for _, text := range filters {
		text = strings.Join(strings.Fields(text), " ")
		e := parse(t, kind, f.ids.Replace(text))
		var want []string
		for label, doc := range rendered {
			if filter.Match(e, rt, doc) {
				want = append(want, label)
			}
		}
		slices.Sort(want)
		got := f.names(list(t, s, f.account, kind, f.ids.Replace(text)))
		slices.Sort(got)
		if !equal(got, want) {
			t.Errorf("%s: the store selects [%s], filter.Match [%s]", text,
				strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

// rendered returns every resource of kind in the fixture's account as the
// SCIM API shows it, computed attributes included, by label.
func (f *fixture) rendered(t *testing.T, s directory.Store,
	kind directory.Kind) map[string]map[string]any {
	t.Helper()
	rs := list(t, s, f.account, kind, "")
	userIDs := ids(rs)
	groupsOf, err := s.GroupsOf(ctx(t), f.account, userIDs)
	if err != nil {
		t.Fatalf("groups of users: %v", err)
	}
	out := make(map[string]map[string]any, len(rs))
	for _, r := range rs {
		v := &directory.View{Resource: r}
		if kind == directory.KindUser {
			v.Groups = groupsOf[r.ID]
		} else if v.Members, err = s.Members(ctx(t), f.account, r.ID, "", 1000); err != nil {
			t.Fatalf("members of %s: %v", r.ID, err)
		}
		// Through JSON, as a client reads it: lists are []any and numbers
		// json.Number, the shapes filter.Match takes.
		doc := directory.Render(v, "https://scim.example.com/scim/v2")
		out[f.labels[r.ID]] = decoded(t, doc)
	}
	return out
}

// decoded returns doc as encoding/json decodes it, with UseNumber.
func decoded(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode %v: %v", doc, err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}
