package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// CreateAccount makes an account. Names are unique; ErrConflict otherwise.
func (s *Service) CreateAccount(ctx context.Context, name string) (*Account, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("%w: an account needs a name", ErrInvalid)
	}
	a := &Account{ID: uuid.NewString(), Name: name, CreatedAt: s.now()}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return nil, fmt.Errorf("create account %q: %w", name, err)
	}
	s.log.Info("account created", "account_id", a.ID, "name", name)
	return a, nil
}

// Account returns the account with the given id, or ErrNotFound.
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	return s.store.Account(ctx, id)
}

// AccountByName returns the account with the given name, or ErrNotFound.
func (s *Service) AccountByName(ctx context.Context, name string) (*Account, error) {
	return s.store.AccountByName(ctx, name)
}

// FindAccount returns the account whose id or name is ref.
func (s *Service) FindAccount(ctx context.Context, ref string) (*Account, error) {
	a, err := s.store.AccountByName(ctx, ref)
	if err == nil {
		return a, nil
	}
	return s.store.Account(ctx, ref)
}

// Accounts lists every account by name.
func (s *Service) Accounts(ctx context.Context) ([]*Account, error) {
	return s.store.Accounts(ctx)
}

// DeleteAccount removes an account with all its tokens, users, groups and
// events.
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	if err := s.store.DeleteAccount(ctx, id); err != nil {
		return fmt.Errorf("delete account %q: %w", id, err)
	}
	s.log.Info("account deleted", "account_id", id)
	return nil
}
