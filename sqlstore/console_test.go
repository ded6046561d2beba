package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

func consoleUser(email, accountID string) *directory.ConsoleUser {
	return &directory.ConsoleUser{ID: uuid.NewString(), Email: email, AccountID: accountID,
		PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$a2V5", CreatedAt: time.Now()}
}

func TestConsoleUsers(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		acme := mustAccount(t, db, "Acme")

		if has, err := db.HasConsoleUsers(ctx); has || err != nil {
			t.Fatalf("HasConsoleUsers on an empty store = %v, %v", has, err)
		}
		ops := consoleUser("ops@example.com", "")
		admin := consoleUser("Admin@Acme.example", acme.ID)
		for _, u := range []*directory.ConsoleUser{ops, admin} {
			if err := db.CreateConsoleUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			name string
			u    *directory.ConsoleUser
			err  error
		}{
			{"email-taken-any-case", consoleUser("OPS@example.com", ""), directory.ErrConflict},
			{"no-such-account", consoleUser("x@example.com", "nope"), directory.ErrNotFound},
		} {
			if err := db.CreateConsoleUser(ctx, tt.u); !errors.Is(err, tt.err) {
				t.Errorf("%s: CreateConsoleUser = %v, want %v", tt.name, err, tt.err)
			}
		}

		got, err := db.ConsoleUserByEmail(ctx, "admin@ACME.example")
		if err != nil || got.ID != admin.ID || got.AccountID != acme.ID ||
			got.Email != "admin@acme.example" || !got.CreatedAt.Equal(admin.CreatedAt) {
			t.Fatalf("ConsoleUserByEmail = %+v, %v", got, err)
		}
		if got, err := db.ConsoleUser(ctx, ops.ID); err != nil || !got.Operator() {
			t.Errorf("ConsoleUser(operator) = %+v, %v", got, err)
		}
		if _, err := db.ConsoleUser(ctx, "nope"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("ConsoleUser(unknown) = %v", err)
		}
		if list, _ := db.ConsoleUsers(ctx, ""); len(list) != 1 || list[0].ID != ops.ID {
			t.Errorf("ConsoleUsers(operators) = %v", list)
		}
		if list, _ := db.ConsoleUsers(ctx, acme.ID); len(list) != 1 || list[0].ID != admin.ID {
			t.Errorf("ConsoleUsers(acme) = %v", list)
		}

		at := time.Now().Add(time.Minute)
		if err := db.RecordSignIn(ctx, admin.ID, at); err != nil {
			t.Fatal(err)
		}
		got, _ = db.ConsoleUser(ctx, admin.ID)
		if got.LastSignInAt == nil || !got.LastSignInAt.Equal(at.UTC().Truncate(time.Microsecond)) {
			t.Errorf("LastSignInAt = %v, want %v", got.LastSignInAt, at)
		}

		// A new password ends the user's sessions.
		s := &directory.Session{ID: "s1", UserID: admin.ID, CreatedAt: at, LastSeenAt: at,
			ExpiresAt: at.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := db.SetConsolePassword(ctx, admin.ID, "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, "s1"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("a session outlived a password change: %v", err)
		}
		if err := db.SetConsolePassword(ctx, "nope", "x"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("SetConsolePassword(unknown) = %v", err)
		}

		// Deleting the account removes its admins, not the operators.
		if err := db.DeleteAccount(ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConsoleUser(ctx, admin.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("an admin outlived the account: %v", err)
		}

		// Of the operators, any but the last may be removed.
		if err := db.DeleteConsoleUser(ctx, ops.ID); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("DeleteConsoleUser(last operator) = %v, want conflict", err)
		}
		second := consoleUser("ops2@example.com", "")
		if err := db.CreateConsoleUser(ctx, second); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteConsoleUser(ctx, ops.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConsoleUser(ctx, ops.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("a deleted operator is still there: %v", err)
		}
		if err := db.DeleteConsoleUser(ctx, ops.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("DeleteConsoleUser(deleted) = %v, want not found", err)
		}
	})
}

func TestSessions(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		u := consoleUser("ops@example.com", "")
		if err := db.CreateConsoleUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		s := &directory.Session{ID: "abc", UserID: u.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		bad := &directory.Session{ID: "x", UserID: "nope", ExpiresAt: now}
		if err := db.CreateSession(ctx, bad); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("CreateSession for an unknown user = %v", err)
		}
		if err := db.TouchSession(ctx, "abc", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := db.Session(ctx, "abc")
		if err != nil || got.UserID != u.ID || !got.LastSeenAt.Equal(now.Add(time.Minute)) ||
			!got.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		if err := db.TouchSession(ctx, "gone", now); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("TouchSession(unknown) = %v", err)
		}

		// Pruning removes what expired, and nothing else.
		old := &directory.Session{ID: "old", UserID: u.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(-time.Second)}
		if err := db.CreateSession(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := db.PruneConsole(ctx, now, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, "old"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("an expired session survived pruning: %v", err)
		}
		if err := db.DeleteSession(ctx, "abc"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSession(ctx, "abc"); err != nil {
			t.Errorf("deleting a deleted session = %v", err)
		}
	})
}

func TestSetupTokens(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		now := time.Now()
		for _, tok := range []*directory.SetupToken{
			{ID: "tok", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{ID: "other", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{ID: "exp", CreatedAt: now, ExpiresAt: now},
		} {
			if err := db.CreateSetupToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := db.SetupTokenValid(ctx, "tok", now); !ok || err != nil {
			t.Fatalf("SetupTokenValid = %v, %v", ok, err)
		}
		if ok, _ := db.SetupTokenValid(ctx, "tok", now.Add(time.Hour)); ok {
			t.Error("a setup token is valid at its expiry")
		}
		second := consoleUser("second@example.com", "")
		if err := db.RedeemSetupToken(ctx, "exp", now, second); !errors.Is(err,
			directory.ErrNotFound) {
			t.Errorf("redeem of an expired token = %v", err)
		}

		// The token works once.
		first := consoleUser("first@example.com", "")
		if err := db.RedeemSetupToken(ctx, "tok", now, first); err != nil {
			t.Fatal(err)
		}
		if err := db.RedeemSetupToken(ctx, "tok", now, second); !errors.Is(err,
			directory.ErrNotFound) {
			t.Errorf("second redeem = %v, want not found", err)
		}

		// Another token, made before the first user, makes no second one;
		// it is left as it was.
		if err := db.RedeemSetupToken(ctx, "other", now, second); !errors.Is(err,
			directory.ErrNotFound) {
			t.Errorf("redeem once a user exists = %v, want not found", err)
		}
		if ok, _ := db.SetupTokenValid(ctx, "other", now); !ok {
			t.Error("a refused redemption used up the token")
		}
		if _, err := db.ConsoleUser(ctx, second.ID); err == nil {
			t.Error("a setup token created a second user")
		}
	})
}

func TestSignInFailures(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		steps := []struct {
			at   time.Duration
			want int
		}{
			{0, 1}, {time.Minute, 2}, {30 * time.Minute, 3},
			// Quiet for longer than the window: counting starts again.
			{2*time.Hour + time.Second, 1},
			{2*time.Hour + time.Minute, 2},
		}
		for _, s := range steps {
			n, err := db.AddSignInFailure(ctx, "email:a@example.com", t0.Add(s.at), 90*time.Minute)
			if err != nil || n != s.want {
				t.Fatalf("AddSignInFailure at +%s = %d, %v; want %d", s.at, n, err, s.want)
			}
		}
		n, last, err := db.SignInFailures(ctx, "email:a@example.com")
		if err != nil || n != 2 || !last.Equal(t0.Add(2*time.Hour+time.Minute)) {
			t.Errorf("SignInFailures = %d, %v, %v", n, last, err)
		}
		if n, _, _ := db.SignInFailures(ctx, "email:other@example.com"); n != 0 {
			t.Errorf("another key counts %d failures", n)
		}
		if err := db.ClearSignInFailures(ctx, "email:a@example.com"); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := db.SignInFailures(ctx, "email:a@example.com"); n != 0 {
			t.Errorf("%d failures after clearing", n)
		}
		db.AddSignInFailure(ctx, "addr:192.0.2.1", t0, time.Hour)
		if err := db.PruneConsole(ctx, t0, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := db.SignInFailures(ctx, "addr:192.0.2.1"); n != 0 {
			t.Errorf("a stale failure count survived pruning")
		}
	})
}

func TestActivity(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		acme, other := mustAccount(t, db, "Acme"), mustAccount(t, db, "Other")
		t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		var entries []*directory.ActivityEntry
		for i := range 10 {
			e := &directory.ActivityEntry{AccountID: acme.ID, Time: t0.Add(time.Duration(i) *
				time.Minute), Client: "Okta", Method: "GET", Path: fmt.Sprintf("/Users/%d", i),
				Status: 200, Latency: 1500 * time.Microsecond, RequestID: fmt.Sprint("r", i),
				TokenID: "tok", Addr: "192.0.2.1"}
			if i%3 == 0 {
				e.Status, e.ScimType, e.Detail = 400, "invalidFilter", "bad filter"
			}
			entries = append(entries, e)
		}
		entries = append(entries, &directory.ActivityEntry{AccountID: other.ID, Time: t0,
			Method: "GET", Status: 500})
		if err := db.InsertActivity(ctx, entries); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(entries); i++ {
			if entries[i].ID <= entries[i-1].ID {
				t.Fatalf("IDs do not grow: %d after %d", entries[i].ID, entries[i-1].ID)
			}
		}

		got, err := db.Activity(ctx, acme.ID, directory.ActivityQuery{Limit: 4})
		if err != nil || len(got) != 4 || got[0].Path != "/Users/9" {
			t.Fatalf("Activity = %v, %v", got, err)
		}
		e := got[3] // /Users/6, a failure
		if e.Status != 400 || e.ScimType != "invalidFilter" || e.Detail != "bad filter" ||
			e.Latency != time.Millisecond || !e.Time.Equal(t0.Add(6*time.Minute)) ||
			e.TokenID != "tok" || e.Addr != "192.0.2.1" || e.Client != "Okta" {
			t.Errorf("entry read back as %+v", e)
		}
		next, _ := db.Activity(ctx, acme.ID, directory.ActivityQuery{Before: e.ID, Limit: 100})
		if len(next) != 6 || next[0].Path != "/Users/5" {
			t.Errorf("second page = %d entries starting %q", len(next), next[0].Path)
		}
		fails, _ := db.Activity(ctx, acme.ID, directory.ActivityQuery{FailuresOnly: true})
		if len(fails) != 4 || fails[0].Path != "/Users/9" || fails[3].Path != "/Users/0" {
			t.Errorf("failures = %d entries", len(fails))
		}
		if bad := (&directory.ActivityEntry{AccountID: "nope"}); db.InsertActivity(ctx,
			[]*directory.ActivityEntry{bad}) == nil {
			t.Error("activity of an unknown account was stored")
		}

		// Pruning in batches removes the oldest, of every account.
		n, err := db.PruneActivity(ctx, t0.Add(5*time.Minute), 3)
		if err != nil || n != 3 {
			t.Fatalf("PruneActivity = %d, %v; want 3", n, err)
		}
		n, _ = db.PruneActivity(ctx, t0.Add(5*time.Minute), 3)
		if n != 3 {
			t.Errorf("second PruneActivity = %d, want 3", n)
		}
		left, _ := db.Activity(ctx, acme.ID, directory.ActivityQuery{Limit: 100})
		if len(left) != 5 || left[4].Path != "/Users/5" {
			t.Errorf("%d entries left", len(left))
		}
		if o, _ := db.Activity(ctx, other.ID, directory.ActivityQuery{}); len(o) != 0 {
			t.Errorf("the other account's old entry survived")
		}
	})
}

func TestResourceEvents(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		ctx := context.Background()
		a := mustAccount(t, db, "Acme")
		appendEvents(t, db, a.ID, 3, time.Now()) // other resources
		err := db.Write(ctx, a.ID, func(tx directory.Tx) error {
			for i, typ := range []string{directory.EventUserCreated, directory.EventUserUpdated,
				directory.EventUserDeactivated} {
				e := &directory.Event{ID: uuid.NewString(), Type: typ, Time: time.Now(),
					Client: "Okta", ResourceType: directory.KindUser, ResourceID: "u1",
					Version: int64(i + 1), Changed: []string{"active"}}
				if err := tx.Append(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.ResourceEvents(ctx, a.ID, directory.KindUser, "u1", 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("ResourceEvents = %v, %v", got, err)
		}
		if got[0].Type != directory.EventUserDeactivated || got[0].Version != 3 ||
			got[0].Client != "Okta" || len(got[0].Changed) != 1 || got[1].Version != 2 {
			t.Errorf("newest event read back as %+v", got[0])
		}
		other := mustAccount(t, db, "Other")
		if got, _ := db.ResourceEvents(ctx, other.ID, directory.KindUser, "u1", 10); len(got) != 0 {
			t.Error("another account sees the resource's events")
		}
	})
}
