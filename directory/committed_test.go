package directory_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/patch"
	"github.com/scimd/scimd/sqlstore"
)

// readsFailAfterWrite is a real store whose reads outside transactions fail
// as an unreachable database does from the moment a write commits: the
// window in which PostgreSQL shuts down between a commit and the next query.
type readsFailAfterWrite struct {
	directory.Store
	down atomic.Bool
}

var errDown = fmt.Errorf("read: %w", directory.ErrUnavailable)

func (s *readsFailAfterWrite) Write(ctx context.Context, accountID string,
	fn func(directory.Tx) error) error {
	err := s.Store.Write(ctx, accountID, fn)
	if err == nil {
		s.down.Store(true)
	}
	return err
}

func (s *readsFailAfterWrite) Resource(ctx context.Context, accountID string,
	kind directory.Kind, id string) (*directory.Resource, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Resource(ctx, accountID, kind, id)
}

// TestCommittedWriteSurvivesFailedReadBack checks that a write that
// committed is answered as done even when reading it back fails: a 503
// would make the identity provider retry a change that is already made.
func TestCommittedWriteSurvivesFailedReadBack(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := &readsFailAfterWrite{Store: db}
	svc := directory.NewService(store,
		directory.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	a, err := svc.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{AccountID: a.ID, Client: "Okta"}

	u, err := svc.Create(ctx, actor, directory.KindUser, userDoc(1))
	if err != nil || u.UserName != "user1@example.com" || u.Version != 1 {
		t.Fatalf("Create with a failing read-back = %+v, %v; want the user as written", u, err)
	}

	store.down.Store(false)
	g, err := svc.Create(ctx, actor, directory.KindGroup, map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering", "members": []any{map[string]any{"value": u.ID}}})
	if err != nil || len(g.Members) != 1 || g.Members[0].ID != u.ID {
		t.Fatalf("Create group = %+v, %v; want its member", g, err)
	}

	store.down.Store(false)
	req := &patch.Request{Operations: []patch.Operation{{Op: patch.Replace,
		Path: "displayName", Value: "Ada"}}}
	p, err := svc.Patch(ctx, actor, directory.KindUser, u.ID, req, 1)
	if err != nil || p.DisplayName != "Ada" || p.Version != 2 {
		t.Fatalf("Patch = %+v, %v; want version 2 named Ada", p, err)
	}

	store.down.Store(false)
	doc := userDoc(1)
	doc["displayName"] = "Ada L."
	r, err := svc.Replace(ctx, actor, directory.KindUser, u.ID, doc, 2)
	if err != nil || r.DisplayName != "Ada L." || r.Version != 3 {
		t.Fatalf("Replace = %+v, %v; want version 3", r, err)
	}

	// The writes are stored; reads work again once the database is back.
	store.down.Store(false)
	got, err := svc.Get(ctx, a.ID, directory.KindUser, u.ID, false)
	if err != nil || got.Version != 3 || len(got.Groups) != 1 {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	// A failure before the commit still fails the request.
	store.down.Store(true)
	_, err = svc.Patch(ctx, actor, directory.KindUser, "no-such-id", req, 0)
	if err == nil {
		t.Fatal("Patch of a missing user succeeded")
	}
}
