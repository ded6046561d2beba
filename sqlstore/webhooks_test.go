package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

const testSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func mustAccount(t *testing.T, db *sqlstore.DB, name string) *directory.Account {
	t.Helper()
	a := &directory.Account{ID: uuid.NewString(), Name: name, CreatedAt: time.Now()}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

// appendEvents appends n events to an account at time at and returns the
// last position.
func appendEvents(t *testing.T, db *sqlstore.DB, accountID string, n int, at time.Time) int64 {
	t.Helper()
	var last int64
	err := db.Write(context.Background(), accountID, func(tx directory.Tx) error {
		for range n {
			e := &directory.Event{Type: directory.EventUserCreated, Time: at, Client: "test",
				ResourceType: directory.KindUser, ResourceID: uuid.NewString(), Version: 1}
			if err := tx.Append(e); err != nil {
				return err
			}
			last = e.Position
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append events: %v", err)
	}
	return last
}

func mustEndpoint(t *testing.T, db *sqlstore.DB, accountID string,
	created time.Time) *directory.Endpoint {
	t.Helper()
	e := &directory.Endpoint{ID: uuid.NewString(), AccountID: accountID,
		URL: "https://vendor.example/hook", Secret: testSecret, Enabled: true, CreatedAt: created}
	if err := db.CreateEndpoint(context.Background(), e); err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return e
}

func TestAPIKeys(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		k := &directory.APIKey{ID: "k1", Label: "ci", Prefix: "scimd_key_abcdef",
			Hash: directory.HashToken("s1"), CreatedAt: now}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		dup := *k
		dup.ID = "k2"
		if err := db.CreateAPIKey(ctx, &dup); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("same digest twice: got %v, want ErrConflict", err)
		}

		got, err := db.APIKeyByHash(ctx, directory.HashToken("s1"))
		if err != nil || got.ID != "k1" || got.Label != "ci" || !got.CreatedAt.Equal(now) ||
			got.RevokedAt != nil {
			t.Fatalf("by hash: got %+v, %v", got, err)
		}
		_, err = db.APIKeyByHash(ctx, directory.HashToken("s2"))
		if !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("unknown digest: got %v, want ErrNotFound", err)
		}

		if err := db.RevokeAPIKey(ctx, "k1", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeAPIKey(ctx, "k1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := db.APIKeys(ctx)
		if err != nil || len(list) != 1 || list[0].RevokedAt == nil ||
			!list[0].RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("list after revoking twice: got %+v, %v; want the first revocation", list, err)
		}
		if err := db.RevokeAPIKey(ctx, "nope", now); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("revoke unknown: got %v, want ErrNotFound", err)
		}
	})
}

func TestEndpoints(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		acc := mustAccount(t, db, "a")
		now := time.Now()
		global := mustEndpoint(t, db, "", now)
		own := mustEndpoint(t, db, acc.ID, now.Add(time.Second))
		operators := &directory.Endpoint{ID: uuid.NewString(), URL: "http://10.0.0.5/hook",
			Secret: testSecret, AllowPrivate: true, CreatedAt: now.Add(2 * time.Second)}
		if err := db.CreateEndpoint(ctx, operators); err != nil {
			t.Fatal(err)
		}

		bad := &directory.Endpoint{ID: "x", AccountID: "no-such-account", URL: "https://x",
			Secret: testSecret, CreatedAt: now}
		if err := db.CreateEndpoint(ctx, bad); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("endpoint of a missing account: got %v, want ErrNotFound", err)
		}

		own.URL, own.EventTypes, own.Enabled = "https://vendor.example/v2",
			[]string{directory.EventUserDeleted}, false
		if err := db.UpdateEndpoint(ctx, own); err != nil {
			t.Fatal(err)
		}
		since := now.UTC().Truncate(time.Microsecond)
		if err := db.SetEndpointFailing(ctx, own.ID, &since); err != nil {
			t.Fatal(err)
		}
		got, err := db.Endpoint(ctx, own.ID)
		if err != nil || got.URL != own.URL || got.Enabled || len(got.EventTypes) != 1 ||
			got.AccountID != acc.ID || got.FailingSince == nil || !got.FailingSince.Equal(since) {
			t.Fatalf("after update: got %+v, %v", got, err)
		}
		if err := db.SetEndpointFailing(ctx, own.ID, nil); err != nil {
			t.Fatal(err)
		}

		// An update leaves alone whether the endpoint may reach private
		// addresses: who made it decides that.
		own.AllowPrivate = true
		if err := db.UpdateEndpoint(ctx, own); err != nil {
			t.Fatal(err)
		}

		list, err := db.Endpoints(ctx)
		if err != nil || len(list) != 3 || list[0].ID != global.ID || list[0].AccountID != "" ||
			list[1].FailingSince != nil || list[0].AllowPrivate || list[1].AllowPrivate ||
			!list[2].AllowPrivate {
			t.Fatalf("list: got %+v, %v", list, err)
		}
		for _, op := range []func() error{
			func() error { _, err := db.Endpoint(ctx, "nope"); return err },
			func() error { return db.UpdateEndpoint(ctx, &directory.Endpoint{ID: "nope"}) },
			func() error { return db.SetEndpointFailing(ctx, "nope", nil) },
			func() error { return db.DeleteEndpoint(ctx, "nope") },
		} {
			if err := op(); !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("unknown endpoint: got %v, want ErrNotFound", err)
			}
		}

		// Deleting the account takes its endpoint, not the global ones.
		if err := db.DeleteAccount(ctx, acc.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.Endpoints(ctx); len(list) != 2 || list[0].ID != global.ID ||
			list[1].ID != operators.ID {
			t.Errorf("after deleting the account: got %d endpoints, want the global ones",
				len(list))
		}
	})
}

// TestEndpointsForPlan checks that one account's endpoints, with or without
// the global ones, are read through the index on account_id rather than by
// reading every account's.
func TestEndpointsForPlan(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		var first string
		for i := range 30 {
			acc := mustAccount(t, db, fmt.Sprintf("a%d", i))
			if i == 0 {
				first = acc.ID
			}
			for j := range 3 {
				mustEndpoint(t, db, acc.ID, now.Add(time.Duration(j)*time.Second))
			}
		}
		mustEndpoint(t, db, "", now)

		for _, withGlobal := range []bool{false, true} {
			plan, err := db.ExplainEndpointsFor(ctx, first, withGlobal)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("with global %v:\n%s", withGlobal, plan)
			if !strings.Contains(plan, "webhook_endpoints_account") {
				t.Errorf("with global %v: the plan does not use webhook_endpoints_account:\n%s",
					withGlobal, plan)
			}
			if strings.Contains(plan, "SCAN webhook_endpoints") ||
				strings.Contains(plan, "Seq Scan") {
				t.Errorf("with global %v: the plan scans the table:\n%s", withGlobal, plan)
			}
		}
	})
}
