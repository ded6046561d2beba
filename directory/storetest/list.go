package storetest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

func testFilterUsers(t *testing.T, s directory.Store) {
	f := newFixture(t, s, "a")
	newFixture(t, s, "b") // the same people in another account never show up

	f.check(t, s, directory.KindUser, []filterCase{
		// userName: case-insensitive, every operator.
		{`userName eq "alice@example.com"`, "alice"},
		{`userName eq "ALICE@EXAMPLE.COM"`, "alice"},
		{`userName ne "bob"`, "alice carol dave eve"},
		{`userName co "LIC"`, "alice"},
		{`userName sw "b"`, "bob"},
		{`userName ew "VE"`, "dave eve"},
		{`userName gt "carol"`, "dave eve"},
		{`userName ge "carol"`, "carol dave eve"},
		{`userName lt "b"`, "alice"},
		{`userName le "bob"`, "alice bob"},
		{`userName pr`, "alice bob carol dave eve"},

		// externalId and id: caseExact.
		{`externalId eq "ext-1"`, "alice"},
		{`externalId eq "EXT-1"`, "dave"},
		{`externalId co "xt"`, "alice bob"},
		{`externalId ne "ext-1"`, "bob carol dave eve"},
		{`externalId pr`, "alice bob dave"},
		{`not (externalId pr)`, "carol eve"},
		{`externalId eq null`, "carol eve"},
		{`externalId ne null`, "alice bob dave"},
		{`id eq "{carol}"`, "carol"},
		{`id ne "{carol}"`, "alice bob dave eve"},
		{`displayName eq "alice liddell"`, "alice"},
		{`displayName sw "B"`, "bob"},
		{`displayName pr`, "alice bob carol"},

		// emails.value: every address, through the lookup table.
		{`emails.value eq "alice.home@example.org"`, "alice"},
		{`email eq "BOB@example.com"`, "bob"},
		{`emails eq "dave@example.com"`, "dave"},
		{`emails.value eq "SHARED@example.com"`, "dave"},
		{`emails.value co "example.ORG"`, "alice"},
		{`emails.value ew ".com"`, "alice bob dave eve"},
		{`emails.value sw "E"`, "eve"},
		{`emails.value gt "eve"`, "dave eve"},
		{`emails pr`, "alice bob dave eve"},
		{`not (emails pr)`, "carol"},
		{`emails.value ne "bob@example.com"`, "alice carol dave eve"},

		// Value paths and other sub-attributes of emails.
		{`emails[type eq "work" and value co "alice"]`, "alice"},
		{`emails[type eq "home" and value co "bob"]`, ""},
		{`emails[type eq "other"]`, "dave"},
		{`emails[not (type eq "work")]`, "alice dave"},
		{`emails[type eq "work"].value eq "dave@example.com"`, "dave"},
		{`emails.type eq "WORK"`, "alice bob dave eve"},
		{`emails[primary eq true]`, "alice dave"},
		{`emails.primary eq false`, "eve"},
		{`emails[primary pr]`, "alice dave eve"},
		{`emails.display pr`, ""},

		// Other core attributes, kept in the document.
		{`name.givenName eq "alice"`, "alice"},
		{`name.familyName pr`, "alice"},
		{`name pr`, "alice bob"},
		{`name[givenName sw "b"]`, "bob"},
		{`title co "%"`, "carol"},
		{`title co "_"`, "carol"},
		{`title sw "100%"`, "carol"},
		{`title co "\\"`, "carol"},
		{`title ew "DEAL"`, "carol"},
		{`title gt "f"`, "bob"},
		{`title pr`, "alice bob carol"},
		{`title eq null`, "dave eve"},
		{`nickName pr`, "eve"},
		{`addresses.locality eq "paris"`, "alice"},
		{`addresses[type eq "work" and locality sw "Par"]`, "alice"},
		{`phoneNumbers.value co "555"`, "carol"},
		{`phoneNumbers pr`, "carol"},

		// Booleans.
		{`active eq true`, "alice carol dave eve"},
		{`active eq false`, "bob"},
		{`active ne true`, "bob"},
		{`not (active eq true)`, "bob"},

		// Extension attributes, qualified or not.
		{`{ent}employeeNumber eq "1001"`, "alice"},
		{`employeeNumber eq "1002"`, "bob"},
		{`{ent}department eq "r&d"`, "alice dave"},
		{`{ent}department pr`, "alice bob dave"},
		{`{ent}manager.value eq "{bob}"`, "alice"},
		{`{ent}manager pr`, "alice"},

		// Times, whatever offset and precision the client writes.
		{`meta.created gt "2024-03-01T11:00:00Z"`, "carol dave eve"},
		{`meta.created ge "2024-03-01T11:00:00Z"`, "bob carol dave eve"},
		{`meta.created eq "2024-03-01T12:00:00.000Z"`, "carol"},
		{`meta.lastModified gt "2024-03-01T16:00:00+05:00"`, "bob carol dave eve"},
		{`meta.lastModified lt "2024-03-01T11:30:00Z"`, "alice"},
		{`meta.lastModified le "2024-03-01T11:30:00Z"`, "alice bob"},
		{`meta.resourceType eq "User"`, "alice bob carol dave eve"},
		{`meta.version eq "W/\"1\""`, "alice bob carol dave eve"},

		// A user's groups, from the membership table.
		{`groups.value eq "{engineering}"`, "alice dave"},
		{`groups eq "{sales}"`, "bob"},
		{`groups.display eq "engineering"`, "alice dave"},
		{`groups[display sw "S"]`, "bob"},
		{`groups pr`, "alice bob carol dave"},
		{`not (groups pr)`, "eve"},
		{`groups.type eq "direct"`, "alice bob carol dave"},

		// Logic.
		{`userName eq "bob" or userName eq "carol"`, "bob carol"},
		{`(userName eq "bob" or userName eq "carol") and active eq true`, "carol"},
		{`not (userName eq "bob" or emails pr)`, "carol"},
		{`userName pr and not (title pr)`, "dave eve"},
	})
}

func testFilterGroups(t *testing.T, s directory.Store) {
	f := newFixture(t, s, "a")
	newFixture(t, s, "b")
	f.check(t, s, directory.KindGroup, []filterCase{
		{`displayName eq "engineering"`, "engineering"},
		{`displayName co "E"`, "engineering sales empty"},
		{`displayName sw "a"`, "all"},
		{`externalId eq "g-ext-1"`, "engineering"},
		{`id eq "{empty}"`, "empty"},
		{`members.value eq "{alice}"`, "engineering"},
		{`members eq "{engineering}"`, "all"},
		{`members[type eq "Group"]`, "all"},
		{`members[value eq "{carol}" and type eq "User"]`, "all"},
		{`members[type eq "user"]`, "engineering sales all"},
		{`members pr`, "engineering sales all"},
		{`not (members pr)`, "empty"},
		{`members.display eq "BOB"`, "sales"},
		{`members.value ne "{alice}"`, "sales empty all"},
		{`meta.resourceType eq "Group"`, "engineering sales empty all"},
		{`meta.created lt "2024-03-01T12:00:00Z"`, "engineering sales"},
	})
}

// testFilterErrors checks that a filter the store cannot apply is refused
// with a SCIM error, also when it did not pass through filter.Resolve.
func testFilterErrors(t *testing.T, s directory.Store) {
	f := newFixture(t, s, "a")
	at := func(name, sub string) filter.AttrPath { return filter.AttrPath{Name: name, Sub: sub} }
	for i, tc := range []struct {
		kind directory.Kind
		expr filter.Expr
	}{
		{directory.KindUser, &filter.Compare{Attr: at("noSuchThing", ""), Op: filter.Eq,
			Value: "x"}},
		{directory.KindUser, &filter.Compare{Attr: at("name", ""), Op: filter.Eq, Value: "x"}},
		{directory.KindUser, &filter.Compare{Attr: at("active", ""), Op: filter.Gt,
			Value: true}},
		{directory.KindUser, &filter.Compare{Attr: at("userName", ""), Op: filter.Eq,
			Value: true}},
		{directory.KindUser, &filter.Compare{Attr: at("meta", "created"), Op: filter.Gt,
			Value: "yesterday"}},
		{directory.KindUser, &filter.Compare{Attr: at("meta", "created"), Op: filter.Co,
			Value: "2024"}},
		{directory.KindGroup, &filter.Compare{Attr: at("members", "$ref"), Op: filter.Eq,
			Value: "x"}},
		{directory.KindUser, &filter.Compare{Attr: at("meta", "location"), Op: filter.Eq,
			Value: "https://example.com/Users/1"}},
		{directory.KindUser, &filter.ValuePath{Attr: at("userName", ""),
			Filter: &filter.Present{Attr: at("value", "")}}},
		{directory.KindUser, &filter.ValuePath{Attr: at("emails", ""),
			Filter: &filter.Present{Attr: at("nope", "")}}},
	} {
		q := directory.Query{Filter: tc.expr, StartIndex: 1, Count: 10}
		_, err := s.List(ctx(t), f.account, tc.kind, q)
		scimError(t, fmt.Sprintf("filter %d", i), err, http.StatusBadRequest,
			scim.ErrInvalidFilter)
	}

	for _, by := range []filter.AttrPath{at("members", ""), at("noSuchThing", ""), at("name", "")} {
		kind := directory.KindUser
		if by.Name == "members" {
			kind = directory.KindGroup
		}
		q := directory.Query{SortBy: &by, StartIndex: 1, Count: 10}
		_, err := s.List(ctx(t), f.account, kind, q)
		scimError(t, "sort by "+by.Name, err, http.StatusBadRequest, scim.ErrInvalidValue)
	}
}

func testSort(t *testing.T, s directory.Store) {
	f := newFixture(t, s, "a")
	f.checkSort(t, s, directory.KindUser, []sortCase{
		{"userName", false, "alice bob carol dave eve"},
		{"userName", true, "eve dave carol bob alice"},
		// No value sorts last ascending and first descending, then by
		// creation.
		{"name.givenName", false, "alice bob carol dave eve"},
		{"name.givenName", true, "carol dave eve bob alice"},
		{"displayName", true, "dave eve carol bob alice"},
		{"title", false, "carol alice bob dave eve"},
		// A multi-valued attribute sorts by its primary value, else its
		// first.
		{"emails.value", false, "alice bob eve dave carol"},
		{"emails", false, "alice bob eve dave carol"},
		{"emails.type", false, "dave alice bob eve carol"},
		{"active", false, "bob alice carol dave eve"},
		{"meta.lastModified", true, "eve dave carol bob alice"},
		{"meta.created", false, "alice bob carol dave eve"},
		{enterprise + ":employeeNumber", false, "alice bob carol dave eve"},
		{enterprise + ":employeeNumber", true, "carol dave eve bob alice"},
	})
	f.checkSort(t, s, directory.KindGroup, []sortCase{
		{"displayName", false, "all empty engineering sales"},
		{"displayName", true, "sales engineering empty all"},
		{"externalId", false, "engineering sales empty all"},
	})
}
