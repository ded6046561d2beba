package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/scim/filter"
)

// Store keeps scimd's state. Implementations must be safe for concurrent use
// by many goroutines and by several processes sharing one database: whatever
// must be unique or ordered is enforced by the database.
//
// Every method that reads or writes account data takes the account id and
// never returns or changes another account's records.
type Store interface {
	AccountStore
	TokenStore
	ResourceStore
	EventStore
	WebhookStore
	ConsoleStore
	Close() error
}

// AccountStore keeps accounts.
type AccountStore interface {
	// CreateAccount inserts a. It returns ErrConflict when the name is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns the account with the given id, or ErrNotFound.
	Account(ctx context.Context, id string) (*Account, error)
	// AccountByName returns the account with the given name, or ErrNotFound.
	AccountByName(ctx context.Context, name string) (*Account, error)
	// Accounts lists every account by name.
	Accounts(ctx context.Context) ([]*Account, error)
	// DeleteAccount removes an account and everything that belongs to it.
	DeleteAccount(ctx context.Context, id string) error
}

// TokenStore keeps SCIM bearer tokens.
type TokenStore interface {
	// CreateToken inserts t.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token whose digest is hash, whatever its
	// state, or ErrNotFound. Callers check Usable.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// Token returns one of an account's tokens, or ErrNotFound.
	Token(ctx context.Context, accountID, id string) (*Token, error)
	// TokenByID returns the token with the given id, whatever its account
	// and state, or ErrNotFound. It is an operator's lookup across accounts,
	// for one who holds only the id; whatever acts for an account uses
	// Token, which keeps to that account.
	TokenByID(ctx context.Context, id string) (*Token, error)
	// Tokens lists an account's tokens, newest first.
	Tokens(ctx context.Context, accountID string) ([]*Token, error)
	// SetTokenExpiry sets when a token stops working; revoking sets RevokedAt
	// through RevokeToken instead. It returns ErrNotFound for another
	// account's token.
	SetTokenExpiry(ctx context.Context, accountID, id string, at time.Time) error
	// RevokeToken stops a token at time at. It returns ErrNotFound for
	// another account's token.
	RevokeToken(ctx context.Context, accountID, id string, at time.Time) error
	// TouchToken records a token's last use. It is called often and may be
	// coalesced by the caller.
	TouchToken(ctx context.Context, id string, at time.Time, addr string) error
}

// Query selects and orders resources of one kind.
type Query struct {
	// Filter selects resources; nil selects all. Attribute names in it are
	// canonical (see filter.Resolve).
	Filter filter.Expr
	// SortBy orders the result; nil orders by creation (then id), which keeps
	// paging stable.
	SortBy     *filter.AttrPath
	Descending bool
	// StartIndex is 1-based. Count is the page size; 0 asks only for the
	// total.
	StartIndex int
	Count      int
}

// Page is one page of a listing.
type Page struct {
	Total     int
	Resources []*Resource
}

// ResourceStore reads users and groups. Writes go through Write.
type ResourceStore interface {
	// Resource returns one resource, or ErrNotFound.
	Resource(ctx context.Context, accountID string, kind Kind, id string) (*Resource, error)
	// List returns the page of resources of kind that q selects.
	List(ctx context.Context, accountID string, kind Kind, q Query) (*Page, error)
	// Members returns up to limit members of a group ordered by member id,
	// starting after the member id after ("" for the first page).
	Members(ctx context.Context, accountID, groupID, after string, limit int) ([]Member, error)
	// GroupsOf returns, for each user id, the groups it belongs to directly.
	GroupsOf(ctx context.Context, accountID string, userIDs []string) (map[string][]GroupRef, error)
	// Write runs fn in one transaction on the account's data and commits
	// when fn returns nil. Writes of one account are serialised, so events
	// get positions in commit order. fn may be called again when the
	// database asks for a retry (a serialisation failure), so it must not
	// have effects outside tx.
	Write(ctx context.Context, accountID string, fn func(tx Tx) error) error
}

// Tx is a write transaction on one account's resources.
type Tx interface {
	// Resource reads a resource inside the transaction, or ErrNotFound.
	Resource(kind Kind, id string) (*Resource, error)
	// Insert stores a new resource. It returns ErrConflict when a user's
	// userName is taken, whatever its case.
	Insert(r *Resource) error
	// Update stores r over the stored resource when that one's version is
	// expect, or returns ErrVersionMismatch. It returns ErrConflict as
	// Insert does.
	Update(r *Resource, expect int64) error
	// Delete removes a resource and every membership it takes part in.
	Delete(kind Kind, id string) error
	// Missing returns those of ids that name no resource of kind.
	Missing(kind Kind, ids []string) ([]string, error)
	// AddMembers adds members to a group and returns those that were not
	// members before.
	AddMembers(groupID string, members []Member) ([]Member, error)
	// RemoveMembers removes members from a group and returns those that were
	// members.
	RemoveMembers(groupID string, ids []string) ([]Member, error)
	// MemberIDs returns every member id of a group.
	MemberIDs(groupID string) ([]string, error)
	// Append adds events to the outbox and assigns their positions.
	Append(events ...*Event) error
}

// EventStore reads the outbox.
type EventStore interface {
	// Events returns up to limit events of an account with positions
	// greater than after, in position order. A reader that follows the last
	// returned position never misses an event that committed later with a
	// lower position: positions are assigned in commit order.
	//
	// It returns a *CursorExpiredError, and no events, when the retention
	// deleted an event after after (see WebhookStore.PruneEvents): the
	// reader would otherwise miss it without knowing.
	Events(ctx context.Context, accountID string, after int64, limit int) ([]*Event, error)
}

// ErrCursorExpired is matched by a *CursorExpiredError.
var ErrCursorExpired = errors.New("cursor expired")

// CursorExpiredError reports that events after a reader's cursor were
// deleted by the retention before the reader got them. The reader cannot
// catch up from the outbox: it resynchronises from the current users and
// groups and goes on after PrunedThrough.
type CursorExpiredError struct {
	AccountID string
	After     int64 // the cursor that was asked after
	// PrunedThrough is the highest position the retention deleted in the
	// account, and so the lowest cursor that misses no event still kept.
	PrunedThrough int64
}

// Error implements error.
func (e *CursorExpiredError) Error() string {
	return fmt.Sprintf("events of account %q after position %d were deleted by the "+
		"retention, up to position %d", e.AccountID, e.After, e.PrunedThrough)
}

// Is makes the error match ErrCursorExpired.
func (e *CursorExpiredError) Is(target error) bool { return target == ErrCursorExpired }
