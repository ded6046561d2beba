package directory

import (
	"context"
	"strings"
	"time"
)

// ConsoleUser is a person who signs in to the admin console. An operator
// (AccountID "") sees and manages every account; an account admin sees only
// the account named by AccountID.
type ConsoleUser struct {
	ID           string
	Email        string // case-folded; unique among console users
	AccountID    string // "" for an operator
	PasswordHash string // PHC-style encoded argon2id hash; never the password
	CreatedAt    time.Time
	LastSignInAt *time.Time
}

// Operator reports whether u may see every account.
func (u *ConsoleUser) Operator() bool { return u.AccountID == "" }

// Session is a signed-in console visit. The cookie carries a random secret;
// only its digest is stored, as ID, so a copy of the database cannot be used
// to take over a session.
type Session struct {
	ID         string // hex SHA-256 of the cookie secret
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // the absolute end, whatever the activity
}

// SetupToken lets the first visitor of a fresh installation create the first
// operator. Like a session, only the digest of its secret is stored.
type SetupToken struct {
	ID        string // hex SHA-256 of the secret in the setup link
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ActivityEntry records one SCIM request for the provisioning activity page.
// It never holds a token secret or a request body.
type ActivityEntry struct {
	ID        int64 // assigned by the store; grows with insertion order
	AccountID string
	Time      time.Time
	Client    string // "Okta", "Entra ID", ...: see ClientFromUserAgent
	Method    string
	Path      string
	Status    int
	ScimType  string        // the scimType of an error response; "" otherwise
	Latency   time.Duration // stored with millisecond precision
	Detail    string        // the error detail sent to the client; "" on success
	RequestID string
	TokenID   string // the id of the token that authenticated; never the secret
	Addr      string // the client's address
}

// Failed reports whether the request was answered with an error.
func (e *ActivityEntry) Failed() bool { return e.Status >= 400 }

// ActivityQuery selects a page of an account's activity, newest first.
type ActivityQuery struct {
	FailuresOnly bool
	// Before pages backwards: only entries with an ID below it are returned.
	// 0 starts at the newest entry.
	Before int64
	Limit  int
}

// ConsoleStore keeps the admin console's state and the provisioning
// activity. Like Store, implementations are safe for concurrent use by
// several processes sharing one database.
type ConsoleStore interface {
	// CreateConsoleUser inserts u. It returns ErrConflict when the email is
	// taken.
	CreateConsoleUser(ctx context.Context, u *ConsoleUser) error
	// ConsoleUser returns the console user with the given id, or ErrNotFound.
	ConsoleUser(ctx context.Context, id string) (*ConsoleUser, error)
	// ConsoleUserByEmail returns the console user with the given
	// (case-folded) email, or ErrNotFound.
	ConsoleUserByEmail(ctx context.Context, email string) (*ConsoleUser, error)
	// ConsoleUsers lists the console users of an account by email; accountID
	// "" lists the operators.
	ConsoleUsers(ctx context.Context, accountID string) ([]*ConsoleUser, error)
	// HasConsoleUsers reports whether any console user exists.
	HasConsoleUsers(ctx context.Context) (bool, error)
	// SetConsolePassword replaces a user's password hash and ends all of the
	// user's sessions. It returns ErrNotFound for an unknown user.
	SetConsolePassword(ctx context.Context, id, hash string) error
	// RecordSignIn sets a user's last sign-in time.
	RecordSignIn(ctx context.Context, id string, at time.Time) error
	// DeleteConsoleUser removes a user and the user's sessions, or returns
	// ErrNotFound. It returns ErrConflict, deleting nothing, for the last
	// operator; concurrent deletions are serialised, so that two operators
	// removing each other at once leave one.
	DeleteConsoleUser(ctx context.Context, id string) error

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with the given id, expired or not, or
	// ErrNotFound. Callers check the expiry.
	Session(ctx context.Context, id string) (*Session, error)
	// TouchSession records activity in a session. It is called often and may
	// be coalesced by the caller.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends a session; ending an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error

	// CreateSetupToken inserts t.
	CreateSetupToken(ctx context.Context, t *SetupToken) error
	// SetupTokenValid reports whether the setup token id exists and has not
	// expired at now.
	SetupTokenValid(ctx context.Context, id string, now time.Time) (bool, error)
	// RedeemSetupToken deletes the setup token id and inserts u in one
	// transaction, so that a token creates at most one user, provided that
	// no console user exists in that transaction: of several tokens redeemed
	// at once, one succeeds. It returns ErrNotFound when the token is
	// unknown, used or expired at now, or when a console user exists (the
	// token then stays as it was).
	RedeemSetupToken(ctx context.Context, id string, now time.Time, u *ConsoleUser) error

	// AddSignInFailure counts a failed sign-in under key (an email or a
	// client address) and returns the number of failures counted so far. A
	// count whose last failure is older than window starts again at one.
	AddSignInFailure(ctx context.Context, key string, at time.Time,
		window time.Duration) (int, error)
	// SignInFailures returns the failure count under key and the time of the
	// last failure; 0 and the zero time when none is counted.
	SignInFailures(ctx context.Context, key string) (int, time.Time, error)
	// ClearSignInFailures forgets the failures counted under key.
	ClearSignInFailures(ctx context.Context, key string) error

	// PruneConsole deletes sessions and setup tokens expired at now and
	// sign-in failure counts last changed before failuresBefore.
	PruneConsole(ctx context.Context, now, failuresBefore time.Time) error

	// InsertActivity stores entries and assigns their IDs.
	InsertActivity(ctx context.Context, entries []*ActivityEntry) error
	// Activity returns a page of an account's activity, newest first.
	Activity(ctx context.Context, accountID string, q ActivityQuery) ([]*ActivityEntry, error)
	// PruneActivity deletes up to limit entries older than before and
	// returns how many it deleted, so that callers prune in small batches.
	PruneActivity(ctx context.Context, before time.Time, limit int) (int, error)

	// ResourceEvents returns up to limit of the events about one resource,
	// newest first, without their Data: pages show what changed, not the
	// documents.
	ResourceEvents(ctx context.Context, accountID string, kind Kind, id string,
		limit int) ([]*Event, error)
}

// clients maps User-Agent substrings (lower case) to identity provider
// names, first match wins. Entra ID sends "Microsoft Azure AD SCIM
// provisioning" or similar; Okta "Okta SCIM Client 1.0.0".
var clients = []struct{ sub, name string }{
	{"okta", "Okta"},
	{"azure", "Entra ID"},
	{"microsoft", "Entra ID"},
	{"entra", "Entra ID"},
	{"onelogin", "OneLogin"},
	{"jumpcloud", "JumpCloud"},
	{"google", "Google Workspace"},
	{"pingone", "PingOne"},
	{"pingfederate", "PingFederate"},
	{"rippling", "Rippling"},
	{"authentik", "authentik"},
	{"keycloak", "Keycloak"},
}

// maxClientLen bounds the name derived from an unknown User-Agent.
const maxClientLen = 40

// ClientFromUserAgent names the SCIM client that sent a request: the
// identity provider when the User-Agent is one scimd recognises, otherwise
// the first product token of the header ("python-requests", say), and
// "unknown" when the header is empty. It never fails.
func ClientFromUserAgent(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return "unknown"
	}
	lower := strings.ToLower(ua)
	for _, c := range clients {
		if strings.Contains(lower, c.sub) {
			return c.name
		}
	}

	// An unknown client: keep its product name without the version, which
	// groups the activity of one client together.
	name, _, _ := strings.Cut(ua, " ")
	name, _, _ = strings.Cut(name, "/")
	if len(name) > maxClientLen {
		name = name[:maxClientLen]
	}
	return strings.ToValidUTF8(name, "")
}
