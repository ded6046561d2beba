package console

import (
	"context"
	"fmt"
	"time"
)

// Sign-in throttling. After emailLimit failures for one email address, or
// addrLimit from one client address, sign-in under that key is refused for
// lockBase, doubling with every further failure up to lockMax. Counts live
// in the database, so every replica sees them; a count whose last failure is
// older than failureWindow starts again. The address limit is higher because
// many people may share one address behind a NAT.
const (
	emailLimit    = 5
	addrLimit     = 20
	lockBase      = time.Minute
	lockMax       = time.Hour
	failureWindow = 2 * time.Hour
)

type throttleKey struct {
	key   string
	limit int
	who   string // how the message names the key
}

// lockFor returns how long sign-in stays refused after the last of n
// failures under a key with the given limit.
func lockFor(n, limit int) time.Duration {
	if n < limit {
		return 0
	}
	d := lockBase
	for i := limit; i < n && d < lockMax; i++ {
		d *= 2
	}
	return min(d, lockMax)
}

// locked returns how long k stays locked, 0 when it is not.
func (s *server) locked(ctx context.Context, k throttleKey) (time.Duration, error) {
	n, last, err := s.cs.SignInFailures(ctx, k.key)
	if err != nil {
		return 0, fmt.Errorf("read sign-in failures: %w", err)
	}
	wait := last.Add(lockFor(n, k.limit)).Sub(s.cfg.Now())
	return max(wait, 0), nil
}

func (s *server) countFailure(ctx context.Context, k throttleKey) error {
	_, err := s.cs.AddSignInFailure(ctx, k.key, s.cfg.Now().UTC(), failureWindow)
	if err != nil {
		return fmt.Errorf("count sign-in failure: %w", err)
	}
	return nil
}

// roundWait says a wait the way a person would.
func roundWait(d time.Duration) string {
	if d <= time.Minute {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
}
