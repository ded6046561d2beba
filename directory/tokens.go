package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TokenPrefix starts every SCIM token so that secret scanners and people can
// recognise one. It crosses the wire: never change it.
const TokenPrefix = "scimd_"

// tokenBytes is the token's entropy: 256 bits.
const tokenBytes = 32

// prefixLen is how much of a secret is stored in clear for recognising a
// token in lists: the fixed prefix and six random characters.
const prefixLen = len(TokenPrefix) + 6

// ErrUnauthorized is returned by Authenticate for a missing, unknown,
// revoked or expired token. Its wrapping error says which, for the log and
// for the SCIM error detail.
var ErrUnauthorized = errors.New("unauthorized")

// HashToken returns the digest under which a token secret is stored. The
// secret carries 256 random bits, so a fast hash is enough: nothing can be
// guessed from the digest.
func HashToken(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func newSecret() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateToken makes a new SCIM token for an account and returns its secret,
// which is not stored and cannot be shown again. ttl 0 means it never
// expires.
func (s *Service) CreateToken(ctx context.Context, accountID, label string,
	ttl time.Duration) (string, *Token, error) {
	if _, err := s.store.Account(ctx, accountID); err != nil {
		return "", nil, fmt.Errorf("find account %q: %w", accountID, err)
	}
	secret, err := newSecret()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	t := &Token{
		ID:        uuid.NewString(),
		AccountID: accountID,
		Label:     strings.TrimSpace(label),
		Prefix:    secret[:prefixLen],
		Hash:      HashToken(secret),
		CreatedAt: now,
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	s.log.Info("token created", "account_id", accountID, "token_id", t.ID, "prefix", t.Prefix)
	return secret, t, nil
}

// RotateToken makes a new token with the old one's label and lets the old
// one keep working for overlap (0 stops it at once), so that an identity
// provider can be switched to the new secret without a gap.
func (s *Service) RotateToken(ctx context.Context, accountID, id string,
	overlap time.Duration) (string, *Token, error) {
	old, err := s.store.Token(ctx, accountID, id)
	if err != nil {
		return "", nil, fmt.Errorf("find token %q: %w", id, err)
	}
	secret, t, err := s.CreateToken(ctx, accountID, old.Label, 0)
	if err != nil {
		return "", nil, err
	}
	end := s.now().Add(overlap)
	if old.ExpiresAt == nil || end.Before(*old.ExpiresAt) {
		if err := s.store.SetTokenExpiry(ctx, accountID, id, end); err != nil {
			return "", nil, fmt.Errorf("end overlap of token %q: %w", id, err)
		}
	}
	return secret, t, nil
}

// RevokeToken stops a token at once.
func (s *Service) RevokeToken(ctx context.Context, accountID, id string) error {
	if err := s.store.RevokeToken(ctx, accountID, id, s.now()); err != nil {
		return fmt.Errorf("revoke token %q: %w", id, err)
	}
	s.log.Info("token revoked", "account_id", accountID, "token_id", id)
	return nil
}

// Tokens lists an account's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, accountID string) ([]*Token, error) {
	return s.store.Tokens(ctx, accountID)
}

// Authenticate returns the usable token whose secret is given. Any failure
// wraps ErrUnauthorized with the reason; a database failure is returned as
// it is. addr is the client's address, recorded as the token's last use.
func (s *Service) Authenticate(ctx context.Context, secret, addr string) (*Token, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: no bearer token was sent", ErrUnauthorized)
	}
	hash := HashToken(secret)
	t, err := s.store.TokenByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: the bearer token is not known", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}

	// The lookup went by digest, which leaks nothing of the secret; the
	// comparison is constant-time all the same, so no branch depends on
	// secret bytes.
	if subtle.ConstantTimeCompare(hash, t.Hash) != 1 {
		return nil, fmt.Errorf("%w: the bearer token is not known", ErrUnauthorized)
	}
	now := s.now()
	switch {
	case t.RevokedAt != nil && !now.Before(*t.RevokedAt):
		return nil, fmt.Errorf("%w: the bearer token was revoked", ErrUnauthorized)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, fmt.Errorf("%w: the bearer token expired", ErrUnauthorized)
	}
	s.touch(t, now, addr)
	return t, nil
}

// touch records a token's last use at most once a minute per token, so that
// authentication does not write on every request.
func (s *Service) touch(t *Token, now time.Time, addr string) {
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < time.Minute && t.LastUsedAddr == addr {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.TouchToken(ctx, t.ID, now, addr); err != nil {
		s.log.Warn("record token use", "token_id", t.ID, "error", err)
	}
}

// TokenByID finds a token of any account by id, for operators who hold only
// the id (the command line's token revoke). It returns an error wrapping
// ErrNotFound when no account has it. It is not for anything that acts for
// one account: that reads through Token, which keeps to the account.
func (s *Service) TokenByID(ctx context.Context, id string) (*Token, error) {
	return s.store.TokenByID(ctx, id)
}
