package directory

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventWebhookTest is the type of the event that the management API sends
// to check an endpoint. It is never stored in the outbox.
const EventWebhookTest = "webhook.test"

// WebhookSecretPrefix starts every webhook signing secret, as Standard
// Webhooks spells it.
const WebhookSecretPrefix = "whsec_"

// Bounds on the key bytes of a signing secret: Standard Webhooks asks for
// 24 to 64 bytes; scimd makes 32.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
	newSecretBytes = 32
)

// ErrLeaseLost is returned by the stream methods of DeliveryStore when the
// caller no longer holds the stream's lease: it expired and another replica
// took it, or an operator reset the stream's cursor. The caller stops
// working on that stream; whatever it delivered meanwhile may be delivered
// again, which at-least-once delivery allows.
var ErrLeaseLost = errors.New("lease lost")

// APIKey is an operator key for the management API. Like a SCIM token, only
// a SHA-256 digest of the secret is stored and the secret is shown once.
type APIKey struct {
	ID        string
	Label     string
	Prefix    string // the first characters of the secret, for recognising it
	Hash      []byte // SHA-256 of the secret
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Endpoint is a URL of the vendor's application that receives signed
// webhooks.
type Endpoint struct {
	ID string
	// AccountID limits the endpoint to one account's events; "" sends the
	// events of every account, each account in its own ordered stream.
	AccountID string
	URL       string
	// Secret signs deliveries as Standard Webhooks says: "whsec_" followed
	// by the base64 of the key bytes. It is stored in clear because signing
	// needs it.
	Secret string
	// EventTypes selects the event types to send; empty sends every type.
	EventTypes []string
	Enabled    bool
	// AllowPrivate lets deliveries reach loopback, private and link-local
	// addresses when the server allows them at all (scimd serve
	// --webhook-allow-private). Only endpoints that operators make get it:
	// an account admin's endpoint is held to public addresses whatever its
	// name resolves to at delivery time.
	AllowPrivate bool
	// FailingSince is set when deliveries have failed for longer than the
	// retry window and cleared by the next success.
	FailingSince *time.Time
	CreatedAt    time.Time
}

// Wants reports whether the endpoint takes events of type t.
func (e *Endpoint) Wants(t string) bool {
	if len(e.EventTypes) == 0 {
		return true
	}
	for _, w := range e.EventTypes {
		if w == t {
			return true
		}
	}
	return false
}

// Stream is the delivery state of one endpoint for one account: the events
// of the account are delivered to the endpoint one at a time in position
// order, so that the receiver never sees a change before the one it
// follows. The row doubles as the lease that keeps replicas from working on
// the same stream at once.
type Stream struct {
	EndpointID string
	AccountID  string
	// Position is the last position delivered or skipped (an event type the
	// endpoint does not take).
	Position int64
	// Attempts counts failed attempts at the event after Position.
	Attempts int
	// FirstFailure is when the first of those attempts failed.
	FirstFailure *time.Time
	// RetryAt is when the next attempt is due; nil means now.
	RetryAt    *time.Time
	LeaseOwner string
	LeaseUntil *time.Time
	// SkippedThrough is set when the retention deleted events of the
	// account before the stream delivered them, and the stream moved past
	// them: the highest position skipped. The receiver has missed changes
	// and must resynchronise the account. ResetStream clears it.
	SkippedThrough int64
	// SkippedAt is when the stream moved past deleted events.
	SkippedAt *time.Time
}

// Delivery is one attempt to deliver an event to an endpoint, kept in a log
// that operators read through the management API.
type Delivery struct {
	ID         int64 // assigned by the store
	EndpointID string
	AccountID  string
	EventID    string
	Position   int64 // 0 for a test event
	// Attempt is 1 for the first attempt at this event, and 0 when the
	// entry records skipped events rather than an attempt (see Skipped).
	Attempt    int
	StatusCode int // 0 when no response arrived
	Error      string
	Latency    time.Duration
	Time       time.Time
	// NextAttempt is when the event will be tried again; nil after a
	// success.
	NextAttempt *time.Time
}

// OK reports whether the attempt succeeded: the endpoint answered 2xx.
func (d *Delivery) OK() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// Skipped reports whether the entry records events that were never sent
// because the retention deleted them first, rather than an attempt:
// Position is then the last of them, EventID is empty and Error says what
// happened and what to do.
func (d *Delivery) Skipped() bool { return d.Attempt == 0 }

// DeliveryQuery selects entries of one endpoint's delivery log about one
// account's events.
type DeliveryQuery struct {
	EndpointID string
	AccountID  string
	// Before keeps the entries with ids below it; 0 starts at the newest.
	Before int64
	// Limit bounds the entries returned; it must be positive.
	Limit int
	// FailedOnly keeps the entries that are not successes: failed
	// attempts and skipped events.
	FailedOnly bool
}

// WebhookStore keeps what the management API and webhook delivery need.
type WebhookStore interface {
	APIKeyStore
	EndpointStore
	DeliveryStore
	// PruneEvents deletes up to batch events older than olderThan and
	// returns how many it deleted. Callers loop with small batches so that
	// no transaction holds the outbox for long. In the same transaction it
	// records, per account, the highest position deleted, against which
	// Events checks cursors (see CursorExpiredError).
	PruneEvents(ctx context.Context, olderThan time.Time, batch int) (int, error)
}

// APIKeyStore keeps operator API keys.
type APIKeyStore interface {
	// CreateAPIKey inserts k. It returns ErrConflict when the digest exists.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeyByHash returns the key whose digest is hash, whatever its state,
	// or ErrNotFound.
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// APIKeys lists every key, newest first.
	APIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey stops a key at time at, or returns ErrNotFound.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
}

// EndpointStore keeps webhook endpoints.
type EndpointStore interface {
	// CreateEndpoint inserts e. It returns ErrNotFound when e.AccountID
	// names no account.
	CreateEndpoint(ctx context.Context, e *Endpoint) error
	// Endpoint returns one endpoint, or ErrNotFound.
	Endpoint(ctx context.Context, id string) (*Endpoint, error)
	// Endpoints lists every endpoint, oldest first. Only what works for
	// every account needs them all (the webhook dispatcher, an operator's
	// unfiltered list); the rest use EndpointsFor.
	Endpoints(ctx context.Context) ([]*Endpoint, error)
	// EndpointsFor lists the endpoints of one account, and with withGlobal
	// the global ones too, oldest first; never another account's. An
	// account that does not exist has no endpoints of its own, which is not
	// an error. It reads no other account's rows, however many there are.
	EndpointsFor(ctx context.Context, accountID string, withGlobal bool) ([]*Endpoint, error)
	// UpdateEndpoint stores e's URL, secret, event types and enabled flag,
	// or returns ErrNotFound.
	UpdateEndpoint(ctx context.Context, e *Endpoint) error
	// SetEndpointFailing sets or, with nil, clears FailingSince, or returns
	// ErrNotFound.
	SetEndpointFailing(ctx context.Context, id string, since *time.Time) error
	// DeleteEndpoint removes an endpoint with its streams and its delivery
	// log, or returns ErrNotFound.
	DeleteEndpoint(ctx context.Context, id string) error
}

// DeliveryStore keeps the delivery streams and the attempts log. The lease
// methods are what lets several replicas share the work: a stream is
// worked on by the replica that holds its lease, and a lease that is not
// renewed expires, so a replica that dies gives its streams up.
type DeliveryStore interface {
	// EnsureStreams creates the missing streams of enabled endpoints: one
	// per account for a global endpoint, one for an account's endpoint. A
	// new stream starts after the last event older than its endpoint, so an
	// endpoint receives the changes made since it was created; and after
	// the events the retention deleted when they were all older than the
	// endpoint, so that a new endpoint does not count them as missed.
	EnsureStreams(ctx context.Context) error
	// DueStreams returns up to limit streams of enabled endpoints that have
	// an event after their position, or whose position the retention has
	// passed, with no live lease and no retry pending after now, the
	// longest waiting first.
	DueStreams(ctx context.Context, now time.Time, limit int) ([]*Stream, error)
	// Streams returns an endpoint's streams by account.
	Streams(ctx context.Context, endpointID string) ([]*Stream, error)
	// LeaseStream gives the stream to owner until until when its lease is
	// free or expired at now, and returns the stream; it returns
	// ErrLeaseLost when someone else holds it and ErrNotFound when there is
	// no such stream.
	LeaseStream(ctx context.Context, endpointID, accountID, owner string,
		now, until time.Time) (*Stream, error)
	// AdvanceStream records that s.LeaseOwner delivered or skipped every
	// event up to position: it clears the attempts, extends the lease to
	// until and updates s to match. It returns ErrLeaseLost when
	// s.LeaseOwner no longer holds the lease.
	AdvanceStream(ctx context.Context, s *Stream, position int64, until time.Time) error
	// SkipStream moves s past events that the retention deleted before
	// s.LeaseOwner delivered them: as AdvanceStream does to through, and it
	// sets SkippedThrough to through and SkippedAt to at. It returns
	// ErrLeaseLost when s.LeaseOwner no longer holds the lease.
	SkipStream(ctx context.Context, s *Stream, through int64, at, until time.Time) error
	// RetryStream records a failed attempt: it stores s.Position,
	// s.Attempts, s.FirstFailure and s.RetryAt and ends owner's lease. It
	// returns ErrLeaseLost when s.LeaseOwner no longer holds the lease.
	RetryStream(ctx context.Context, s *Stream) error
	// ReleaseStream ends s.LeaseOwner's lease, if it still holds it.
	ReleaseStream(ctx context.Context, s *Stream) error
	// ResetStream moves a stream's cursor to position, so that the events
	// after it are delivered again (a replay), clears its attempts and its
	// SkippedThrough and breaks any lease. A position below the events the
	// retention deleted is raised to the last of them, so that a replay
	// from 0 replays every event still kept. It creates the stream when it
	// does not exist and returns ErrNotFound when the endpoint does not
	// exist or does not take the account's events.
	ResetStream(ctx context.Context, endpointID, accountID string, position int64) error
	// RecordDelivery appends d to the attempts log and sets d.ID.
	RecordDelivery(ctx context.Context, d *Delivery) error
	// Deliveries returns up to limit attempts of an endpoint with ids below
	// before (0 for the newest), newest first.
	Deliveries(ctx context.Context, endpointID string, before int64, limit int) ([]*Delivery, error)
	// AccountDeliveries returns the entries of q.EndpointID's log about
	// q.AccountID's events (test events of an account's endpoint included)
	// that q selects, newest first. The entries of the endpoint's other
	// accounts are not read, however many there are.
	AccountDeliveries(ctx context.Context, q DeliveryQuery) ([]*Delivery, error)
	// PruneDeliveries deletes up to batch attempts older than olderThan and
	// returns how many it deleted.
	PruneDeliveries(ctx context.Context, olderThan time.Time, batch int) (int, error)
}

// EventPayload is an event as webhooks and the change feed send it. Its
// names cross the wire: append, never rename.
type EventPayload struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	AccountID    string          `json:"account_id"`
	Position     int64           `json:"position"`
	Time         time.Time       `json:"time"`
	Client       string          `json:"client"`
	ResourceType Kind            `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Version      int64           `json:"version"`
	Changed      []string        `json:"changed"`
	Data         json.RawMessage `json:"data"`
}

// NewEventPayload returns e as it crosses the wire. Changed is an empty
// list rather than null, and Data is null when the event has none.
func NewEventPayload(e *Event) EventPayload {
	changed := e.Changed
	if changed == nil {
		changed = []string{}
	}
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	return EventPayload{
		ID: e.ID, Type: e.Type, AccountID: e.AccountID, Position: e.Position,
		Time: e.Time.UTC(), Client: e.Client, ResourceType: e.ResourceType,
		ResourceID: e.ResourceID, Version: e.Version, Changed: changed, Data: data,
	}
}

// NewWebhookSecret returns a random signing secret of 256 bits in the
// Standard Webhooks form "whsec_" + base64. It fails only when the system's
// random source does.
func NewWebhookSecret() (string, error) {
	b := make([]byte, newSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// WebhookSecretKey returns the HMAC key bytes of a signing secret. It
// returns an error wrapping ErrInvalid, saying what is wrong, when secret
// lacks the "whsec_" prefix, is not base64 or holds fewer than 24 or more
// than 64 bytes.
func WebhookSecretKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, WebhookSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: a webhook secret starts with %q", ErrInvalid,
			WebhookSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: a webhook secret is %q followed by standard base64",
			ErrInvalid, WebhookSecretPrefix)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("%w: a webhook secret holds %d to %d bytes, not %d",
			ErrInvalid, minSecretBytes, maxSecretBytes, len(key))
	}
	return key, nil
}
