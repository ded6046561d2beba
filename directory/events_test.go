package directory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/patch"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// eventLog follows an account's outbox the way a change-feed reader does.
type eventLog struct {
	t     *testing.T
	store directory.Store
	acct  string
	after int64
}

// next returns the events appended since the last call.
func (l *eventLog) next() []*directory.Event {
	l.t.Helper()
	events, err := l.store.Events(context.Background(), l.acct, l.after, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	if len(events) > 0 {
		l.after = events[len(events)-1].Position
	}
	return events
}

func types(events []*directory.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

func ops(op patch.Kind, path string, value any) *patch.Request {
	return &patch.Request{Operations: []patch.Operation{{Op: op, Path: path, Value: value}}}
}

// TestEvents checks that every change is told by exactly the events the
// change feed and webhooks promise, and that a failed request tells nothing.
func TestEvents(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		ctx := context.Background()
		db := open(t)
		svc := directory.NewService(db, directory.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		acct, err := svc.CreateAccount(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		actor := directory.Actor{AccountID: acct.ID, Client: "Okta"}
		log := &eventLog{t: t, store: db, acct: acct.ID}
		want := func(step string, wantTypes ...string) []*directory.Event {
			t.Helper()
			got := log.next()
			if !slices.Equal(types(got), wantTypes) {
				t.Fatalf("%s: events %v, want %v", step, types(got), wantTypes)
			}
			return got
		}

		u, err := svc.Create(ctx, actor, directory.KindUser, userDoc(1))
		if err != nil {
			t.Fatal(err)
		}
		ev := want("create user", directory.EventUserCreated)
		if ev[0].Client != "Okta" || ev[0].ResourceID != u.ID || ev[0].Version != 1 {
			t.Errorf("create event = %+v", ev[0])
		}
		var data map[string]any
		if err := json.Unmarshal(ev[0].Data, &data); err != nil || data["userName"] != "user1@example.com" {
			t.Errorf("create event data = %s (%v)", ev[0].Data, err)
		}

		// A PUT that changes nothing is no change.
		if _, err := svc.Replace(ctx, actor, directory.KindUser, u.ID, userDoc(1), directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		want("unchanged PUT")

		doc := userDoc(1)
		doc["title"] = "Engineer"
		if _, err := svc.Replace(ctx, actor, directory.KindUser, u.ID, doc, directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		ev = want("PUT with a title", directory.EventUserUpdated)
		if !slices.Equal(ev[0].Changed, []string{"title"}) {
			t.Errorf("changed = %v, want [title]", ev[0].Changed)
		}

		deactivate := ops(patch.Replace, "", map[string]any{"active": false, "title": "Former"})
		if _, err := svc.Patch(ctx, actor, directory.KindUser, u.ID, deactivate, directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		want("deactivate and retitle", directory.EventUserDeactivated, directory.EventUserUpdated)
		if _, err := svc.Patch(ctx, actor, directory.KindUser, u.ID, ops(patch.Replace, "active", "True"), directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		want("reactivate", directory.EventUserReactivated)

		// A failed request leaves no event: the second operation names an
		// unknown attribute, so the first is not applied either.
		bad := &patch.Request{Operations: []patch.Operation{
			{Op: patch.Replace, Path: "title", Value: "Nope"},
			{Op: patch.Replace, Path: "noSuchAttribute", Value: "x"},
		}}
		if _, err := svc.Patch(ctx, actor, directory.KindUser, u.ID, bad, directory.AnyVersion); err == nil {
			t.Fatal("PATCH with an unknown path succeeded")
		}
		if _, err := svc.Create(ctx, actor, directory.KindUser, userDoc(1)); err == nil {
			t.Fatal("second user with the same userName was created")
		}
		want("failed requests")

		// 500 members added in one request: 500 membership events.
		members := make([]any, 500)
		for i := range members {
			m, err := svc.Create(ctx, actor, directory.KindUser, userDoc(100+i))
			if err != nil {
				t.Fatal(err)
			}
			members[i] = map[string]any{"value": m.ID}
		}
		log.next()
		g, err := svc.Create(ctx, actor, directory.KindGroup, map[string]any{
			"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Storage",
		})
		if err != nil {
			t.Fatal(err)
		}
		want("create group", directory.EventGroupCreated)
		if _, err := svc.Patch(ctx, actor, directory.KindGroup, g.ID, ops(patch.Add, "members", members), directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		added := log.next()
		seen := map[string]bool{}
		for _, e := range added {
			var d struct{ Member struct{ Value string } }
			json.Unmarshal(e.Data, &d)
			if e.Type != directory.EventGroupMemberAdded || e.ResourceID != g.ID || seen[d.Member.Value] {
				t.Fatalf("membership event %s %s for %q", e.Type, e.ResourceID, d.Member.Value)
			}
			seen[d.Member.Value] = true
		}
		if len(seen) != 500 {
			t.Fatalf("%d distinct membership events, want 500", len(seen))
		}

		// Adding members again changes nothing and tells nothing.
		if _, err := svc.Patch(ctx, actor, directory.KindGroup, g.ID, ops(patch.Add, "members", members[:3]), directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		want("re-add members")

		remove := ops(patch.Remove, fmt.Sprintf("members[value eq %q]", members[0].(map[string]any)["value"]), nil)
		if _, err := svc.Patch(ctx, actor, directory.KindGroup, g.ID, remove, directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		want("remove a member", directory.EventGroupMemberRemove)

		if err := svc.Delete(ctx, actor, directory.KindGroup, g.ID, directory.AnyVersion); err != nil {
			t.Fatal(err)
		}
		ev = want("delete group", directory.EventGroupDeleted)
		if err := json.Unmarshal(ev[0].Data, &data); err != nil || data["displayName"] != "Storage" {
			t.Errorf("delete event data = %s, want the group as it stood", ev[0].Data)
		}
	})
}
