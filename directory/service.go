package directory

import (
	"errors"
	"log/slog"
	"time"
)

// ErrInvalid reports input that breaks a rule of the directory outside SCIM
// (an empty account name, say). SCIM input errors are *scim.Error values.
var ErrInvalid = errors.New("invalid")

// Service enforces the directory's rules over a Store. It is safe for
// concurrent use and keeps no state of its own beyond its configuration, so
// any number of processes may serve one database.
type Service struct {
	store          Store
	log            *slog.Logger
	now            func() time.Time
	maxListMembers int
}

// DefaultMaxListMembers is how many group members one list of groups may
// carry between its groups. Identity providers list groups without their
// members (excludedAttributes=members) and read a group's members from the
// group, which this does not bound.
const DefaultMaxListMembers = 100_000

// Option configures a Service.
type Option func(*Service)

// WithLogger sets the service's logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithMaxListMembers sets how many members a list of groups may carry
// between its groups; n <= 0 keeps DefaultMaxListMembers.
func WithMaxListMembers(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxListMembers = n
		}
	}
}

// WithClock sets the service's clock, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:          store,
		log:            slog.Default(),
		now:            func() time.Time { return time.Now().UTC() },
		maxListMembers: DefaultMaxListMembers,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store returns the service's store, for adapters that read directly.
func (s *Service) Store() Store { return s.store }
