package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

func testAccounts(t *testing.T, s directory.Store) {
	b := newAccount(t, s, "beta")
	a := newAccount(t, s, "alpha")

	got, err := s.Account(ctx(t), a.ID)
	wantErr(t, "read account", err, nil)
	if got.ID != a.ID || got.Name != "alpha" || !got.CreatedAt.Equal(base) {
		t.Errorf("Account: got %+v, want %+v", got, a)
	}
	got, err = s.AccountByName(ctx(t), "beta")
	wantErr(t, "read account by name", err, nil)
	if got.ID != b.ID {
		t.Errorf("AccountByName(beta): got %s, want %s", got.ID, b.ID)
	}

	_, err = s.Account(ctx(t), uuid.NewString())
	wantErr(t, "read unknown account", err, directory.ErrNotFound)
	_, err = s.AccountByName(ctx(t), "gamma")
	wantErr(t, "read unknown account by name", err, directory.ErrNotFound)

	dup := &directory.Account{ID: uuid.NewString(), Name: "alpha", CreatedAt: base}
	wantErr(t, "create account with a taken name", s.CreateAccount(ctx(t), dup),
		directory.ErrConflict)

	all, err := s.Accounts(ctx(t))
	wantErr(t, "list accounts", err, nil)
	if len(all) != 2 || all[0].Name != "alpha" || all[1].Name != "beta" {
		t.Errorf("Accounts: got %d accounts, want alpha then beta", len(all))
	}

	wantErr(t, "delete unknown account", s.DeleteAccount(ctx(t), uuid.NewString()),
		directory.ErrNotFound)
	err = s.Write(ctx(t), uuid.NewString(), func(directory.Tx) error { return nil })
	wantErr(t, "write to unknown account", err, directory.ErrNotFound)
}

func testDeleteAccount(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "doomed")
	keep := newAccount(t, s, "kept")
	for _, acc := range []*directory.Account{a, keep} {
		u := user(map[string]any{"userName": "u@" + acc.Name}, base)
		g := group("g", base, nil)
		insert(t, s, acc.ID, u, g)
		addMembers(t, s, acc.ID, g.ID, userRef(u))
		appendOne(t, s, acc.ID, u)
		tok := token(acc.ID, "t-"+acc.Name, base)
		wantErr(t, "create token", s.CreateToken(ctx(t), tok), nil)
	}

	wantErr(t, "delete account", s.DeleteAccount(ctx(t), a.ID), nil)
	_, err := s.Account(ctx(t), a.ID)
	wantErr(t, "read deleted account", err, directory.ErrNotFound)
	_, err = s.TokenByHash(ctx(t), digest("t-doomed"))
	wantErr(t, "read token of deleted account", err, directory.ErrNotFound)
	for _, kind := range []directory.Kind{directory.KindUser, directory.KindGroup} {
		page, err := s.List(ctx(t), a.ID, kind, directory.Query{StartIndex: 1, Count: 10})
		wantErr(t, "list deleted account", err, nil)
		if page.Total != 0 {
			t.Errorf("deleted account still has %d %ss", page.Total, kind)
		}
	}
	events, err := s.Events(ctx(t), a.ID, 0, 10)
	wantErr(t, "read events of deleted account", err, nil)
	if len(events) != 0 {
		t.Errorf("deleted account still has %d events", len(events))
	}

	// The other account is untouched.
	page, err := s.List(ctx(t), keep.ID, directory.KindUser, directory.Query{Count: 10})
	wantErr(t, "list kept account", err, nil)
	if page.Total != 1 {
		t.Errorf("kept account has %d users, want 1", page.Total)
	}
	_, err = s.TokenByHash(ctx(t), digest("t-kept"))
	wantErr(t, "read token of kept account", err, nil)
	events, err = s.Events(ctx(t), keep.ID, 0, 10)
	wantErr(t, "read events of kept account", err, nil)
	if len(events) != 1 {
		t.Errorf("kept account has %d events, want 1", len(events))
	}
}

func digest(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func token(accountID, secret string, created time.Time) *directory.Token {
	return &directory.Token{
		ID: uuid.NewString(), AccountID: accountID, Label: "label " + secret,
		Prefix: secret[:min(len(secret), 8)], Hash: digest(secret), CreatedAt: created,
	}
}

func testTokens(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	b := newAccount(t, s, "b")
	old := token(a.ID, "scimd_old", base)
	exp := base.Add(24 * time.Hour)
	old.ExpiresAt = &exp
	fresh := token(a.ID, "scimd_new", base.Add(time.Hour))
	other := token(b.ID, "scimd_other", base)
	for _, tok := range []*directory.Token{old, fresh, other} {
		wantErr(t, "create token", s.CreateToken(ctx(t), tok), nil)
	}

	got, err := s.TokenByHash(ctx(t), digest("scimd_old"))
	wantErr(t, "read token by hash", err, nil)
	if got.ID != old.ID || got.AccountID != a.ID || got.Label != old.Label ||
		got.Prefix != old.Prefix || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) ||
		got.RevokedAt != nil || got.LastUsedAt != nil || !got.CreatedAt.Equal(base) {
		t.Errorf("TokenByHash: got %+v, want %+v", got, old)
	}
	_, err = s.TokenByHash(ctx(t), digest("scimd_unknown"))
	wantErr(t, "read unknown hash", err, directory.ErrNotFound)

	dup := token(b.ID, "scimd_old", base)
	wantErr(t, "create token with a taken hash", s.CreateToken(ctx(t), dup),
		directory.ErrConflict)
	orphan := token(uuid.NewString(), "scimd_orphan", base)
	if err := s.CreateToken(ctx(t), orphan); err == nil {
		t.Error("created a token for an account that does not exist")
	}

	list, err := s.Tokens(ctx(t), a.ID)
	wantErr(t, "list tokens", err, nil)
	if len(list) != 2 || list[0].ID != fresh.ID || list[1].ID != old.ID {
		t.Errorf("Tokens: got %d tokens, want the new one then the old one", len(list))
	}

	// An operator finds a token by id alone, whatever its account.
	for _, want := range []*directory.Token{old, other} {
		got, err := s.TokenByID(ctx(t), want.ID)
		wantErr(t, "read token by id", err, nil)
		if got.ID != want.ID || got.AccountID != want.AccountID || got.Label != want.Label {
			t.Errorf("TokenByID(%s): got %s of %s, want %s of %s", want.ID, got.ID,
				got.AccountID, want.ID, want.AccountID)
		}
	}
	_, err = s.TokenByID(ctx(t), uuid.NewString())
	wantErr(t, "read unknown token by id", err, directory.ErrNotFound)

	// Account scoping: b cannot read, expire or revoke a's tokens.
	_, err = s.Token(ctx(t), b.ID, old.ID)
	wantErr(t, "read another account's token", err, directory.ErrNotFound)
	wantErr(t, "expire another account's token",
		s.SetTokenExpiry(ctx(t), b.ID, old.ID, base), directory.ErrNotFound)
	wantErr(t, "revoke another account's token",
		s.RevokeToken(ctx(t), b.ID, old.ID, base), directory.ErrNotFound)
	wantErr(t, "touch unknown token", s.TouchToken(ctx(t), uuid.NewString(), base, "x"),
		directory.ErrNotFound)

	now := base.Add(2 * time.Hour)
	wantErr(t, "expire token", s.SetTokenExpiry(ctx(t), a.ID, old.ID, now), nil)
	wantErr(t, "revoke token", s.RevokeToken(ctx(t), a.ID, fresh.ID, now), nil)
	wantErr(t, "touch token", s.TouchToken(ctx(t), old.ID, now, "192.0.2.7"), nil)

	got, err = s.Token(ctx(t), a.ID, old.ID)
	wantErr(t, "read token", err, nil)
	switch {
	case got.ExpiresAt == nil || !got.ExpiresAt.Equal(now):
		t.Errorf("expiry: got %v, want %v", got.ExpiresAt, now)
	case got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) || got.LastUsedAddr != "192.0.2.7":
		t.Errorf("last use: got %v from %q", got.LastUsedAt, got.LastUsedAddr)
	case !got.Usable(now.Add(-time.Minute)) || got.Usable(now):
		t.Error("an expired token is usable, or a token is unusable before its expiry")
	}
	got, err = s.Token(ctx(t), a.ID, fresh.ID)
	wantErr(t, "read revoked token", err, nil)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(now) || got.Usable(now) {
		t.Errorf("revoked token: revoked at %v, usable %v", got.RevokedAt, got.Usable(now))
	}
	other2, err := s.Token(ctx(t), b.ID, other.ID)
	wantErr(t, "read other account's own token", err, nil)
	if other2.RevokedAt != nil || other2.ExpiresAt != nil {
		t.Error("changes to account a's tokens reached account b's")
	}
}
