// Package directory is scimd's domain: accounts (tenants), SCIM tokens,
// users, groups, memberships and the events that record every change. Its
// Service enforces the rules; its Store interface is implemented by
// package sqlstore on SQLite and PostgreSQL.
package directory

import (
	"encoding/json"
	"errors"
	"time"
)

// Error codes of the store and the service. Adapters map them to HTTP in one
// place; a SCIM-specific failure travels as a *scim.Error instead.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a uniqueness violation enforced by the database.
	ErrConflict = errors.New("conflict")
	// ErrVersionMismatch reports that a resource's version is not the one the
	// writer expected.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrUnavailable reports that the database cannot be reached; the
	// operation may be retried later.
	ErrUnavailable = errors.New("database unavailable")
)

// Account is one customer account (tenant). Every other record belongs to
// exactly one account.
type Account struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Token is a SCIM bearer token. Only a SHA-256 digest of the secret is
// stored; the secret is shown once, when it is created.
type Token struct {
	ID           string
	AccountID    string
	Label        string
	Prefix       string // the first characters of the secret, for recognising it in lists
	Hash         []byte // SHA-256 of the secret
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	RevokedAt    *time.Time
	LastUsedAt   *time.Time
	LastUsedAddr string
}

// Usable reports whether the token may authenticate at time now.
func (t *Token) Usable(now time.Time) bool {
	if t.RevokedAt != nil && !now.Before(*t.RevokedAt) {
		return false
	}
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// Kind is a resource type name as SCIM spells it.
type Kind string

// The resource kinds scimd stores.
const (
	KindUser  Kind = "User"
	KindGroup Kind = "Group"
)

// Resource is a stored SCIM resource: its attribute document plus the
// columns that lookups need. Doc holds the client-writable attributes with
// canonical names (extension attributes under their schema URN); id, meta,
// a user's groups and a group's members are not in Doc: they are computed
// from the columns and the membership table.
type Resource struct {
	AccountID   string
	Kind        Kind
	ID          string
	ExternalID  string // "" when absent
	UserName    string // users only
	DisplayName string
	Email       string // a user's primary (or first) email; "" when none
	Active      bool   // users only; groups are always active
	Version     int64  // starts at 1, grows by one with every change
	Created     time.Time
	Modified    time.Time
	Doc         map[string]any
}

// Member is one member of a group as the membership table holds it.
type Member struct {
	ID      string // the member resource's id
	Kind    Kind   // KindUser or KindGroup
	Display string // the member's userName or displayName at read time
}

// GroupRef is a group that a user belongs to, for the user's groups
// attribute.
type GroupRef struct {
	ID          string
	DisplayName string
}

// Event records one change. Events are appended in the transaction that makes
// the change; Position is assigned by the store and grows with commit order
// within an account (gaps allowed).
type Event struct {
	ID           string // unique; a UUID
	AccountID    string
	Position     int64
	Type         string // EventUserCreated, ...
	Time         time.Time
	Client       string // "Okta", "Entra ID", "console", "api", ...
	ResourceType Kind
	ResourceID   string
	Version      int64           // the resource's version after the change
	Changed      []string        // attribute names, for updates
	Data         json.RawMessage // the resource after the change; before it, for deletions
}

// Event types. They cross the wire to webhooks: append, never rename.
const (
	EventUserCreated       = "user.created"
	EventUserUpdated       = "user.updated"
	EventUserDeactivated   = "user.deactivated"
	EventUserReactivated   = "user.reactivated"
	EventUserDeleted       = "user.deleted"
	EventGroupCreated      = "group.created"
	EventGroupUpdated      = "group.updated"
	EventGroupDeleted      = "group.deleted"
	EventGroupMemberAdded  = "group.member_added"
	EventGroupMemberRemove = "group.member_removed"
)

// EventTypes lists every event type, in the order people read them. A
// webhook endpoint may select any of them.
var EventTypes = []string{
	EventUserCreated, EventUserUpdated, EventUserDeactivated, EventUserReactivated,
	EventUserDeleted, EventGroupCreated, EventGroupUpdated, EventGroupDeleted,
	EventGroupMemberAdded, EventGroupMemberRemove,
}
