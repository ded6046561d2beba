package scimdclient

import (
	"encoding/json"
	"time"
)

// Account is a customer account (tenant).
type Account struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Token is a SCIM bearer token. Secret is set only in the answer that
// created it.
type Token struct {
	ID           string     `json:"id"`
	AccountID    string     `json:"account_id"`
	Label        string     `json:"label"`
	Prefix       string     `json:"prefix"`
	Status       string     `json:"status"` // "active", "expired" or "revoked"
	Created      time.Time  `json:"created"`
	Expires      *time.Time `json:"expires,omitempty"`
	Revoked      *time.Time `json:"revoked,omitempty"`
	LastUsed     *time.Time `json:"last_used,omitempty"`
	LastUsedAddr string     `json:"last_used_addr,omitempty"`
	Secret       string     `json:"secret,omitempty"`
}

// GroupRef names a group a user belongs to.
type GroupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// User is a provisioned user. Attributes holds its SCIM attributes as the
// identity provider sent them, with canonical names.
type User struct {
	ID          string         `json:"id"`
	ExternalID  string         `json:"external_id,omitempty"`
	UserName    string         `json:"user_name"`
	DisplayName string         `json:"display_name,omitempty"`
	Email       string         `json:"email,omitempty"`
	Active      bool           `json:"active"`
	Version     int64          `json:"version"`
	Created     time.Time      `json:"created"`
	Modified    time.Time      `json:"modified"`
	Groups      []GroupRef     `json:"groups"`
	Attributes  map[string]any `json:"attributes"`
}

// Group is a provisioned group, without its members (see Client.Members).
type Group struct {
	ID          string         `json:"id"`
	ExternalID  string         `json:"external_id,omitempty"`
	DisplayName string         `json:"display_name"`
	Version     int64          `json:"version"`
	Created     time.Time      `json:"created"`
	Modified    time.Time      `json:"modified"`
	Attributes  map[string]any `json:"attributes"`
}

// Member is one member of a group.
type Member struct {
	ID      string `json:"id"`
	Type    string `json:"type"` // "User" or "Group"
	Display string `json:"display"`
}

// Event is one change, as the change feed and webhooks carry it.
type Event struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"` // "user.created", ...
	AccountID    string    `json:"account_id"`
	Position     int64     `json:"position"`
	Time         time.Time `json:"time"`
	Client       string    `json:"client"` // "Okta", "Entra ID", "console", "api", ...
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	Version      int64     `json:"version"`
	Changed      []string  `json:"changed"`
	// Data is the resource's SCIM JSON after the change, or before it for
	// a deletion.
	Data json.RawMessage `json:"data"`
}

// Webhook is an endpoint that receives signed events. Secret is set in
// the answer that created it.
type Webhook struct {
	ID           string     `json:"id"`
	AccountID    string     `json:"account_id,omitempty"` // "" for every account
	URL          string     `json:"url"`
	EventTypes   []string   `json:"event_types"`
	Enabled      bool       `json:"enabled"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	Created      time.Time  `json:"created"`
	Secret       string     `json:"secret,omitempty"`
	Streams      []Stream   `json:"streams,omitempty"`
}

// Stream is a webhook's delivery state for one account.
type Stream struct {
	AccountID    string     `json:"account_id"`
	Position     int64      `json:"position"`
	Attempts     int        `json:"attempts"`
	FirstFailure *time.Time `json:"first_failure,omitempty"`
	RetryAt      *time.Time `json:"retry_at,omitempty"`
	// SkippedThrough is set when the retention deleted events before the
	// webhook delivered them and the stream moved past them: the last
	// position skipped. The receiver has missed changes of the account and
	// must resynchronise it; a replay (ReplayWebhook) clears it.
	SkippedThrough int64      `json:"skipped_through,omitempty"`
	SkippedAt      *time.Time `json:"skipped_at,omitempty"`
}

// Delivery is one attempt to deliver an event, or, with Attempt 0, a
// record of events skipped because the retention deleted them before they
// were delivered: Position is the last of them and Error says which.
type Delivery struct {
	ID          int64      `json:"id"`
	EndpointID  string     `json:"endpoint_id"`
	AccountID   string     `json:"account_id,omitempty"`
	EventID     string     `json:"event_id"`
	Position    int64      `json:"position"`
	Attempt     int        `json:"attempt"`
	StatusCode  int        `json:"status_code"`
	Error       string     `json:"error,omitempty"`
	LatencyMS   int64      `json:"latency_ms"`
	Time        time.Time  `json:"time"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}
