package webhook

import (
	"math/rand/v2"
	"time"
)

// DefaultSchedule is the upper bound of the wait before each retry: the
// wait after the nth failed attempt is drawn uniformly from zero to the
// nth entry ("full jitter", so that the receivers of many streams that
// failed together are not hit again together), and the last entry repeats
// for as long as the endpoint keeps failing. Retries never stop while the
// endpoint is enabled; after DefaultFailingAfter of failures the endpoint
// is marked failing, and the mark is cleared by the next success.
//
// With full jitter the expected wait is half the bound: the first six
// retries come within about 50 minutes on average, the eighth after about
// four hours, then one every two hours on average. With every wait at its
// bound, the 13th retry is the first past the day.
var DefaultSchedule = []time.Duration{
	5 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	1 * time.Hour,
	2 * time.Hour,
	4 * time.Hour,
}

// DefaultFailingAfter is how long the event at the head of a stream must
// have failed before its endpoint is marked failing.
const DefaultFailingAfter = 24 * time.Hour

// minWait keeps a retry from coming at once when the jitter draws zero.
const minWait = time.Second

// Bound returns the schedule's upper bound on the wait after failed attempt
// n (1 for the first); n past the schedule's end gets its last entry.
func Bound(schedule []time.Duration, n int) time.Duration {
	if len(schedule) == 0 {
		return 0
	}
	n = max(n, 1)
	return schedule[min(n, len(schedule))-1]
}

// FullJitter returns a wait drawn uniformly from [0, bound], and at least
// a second when bound is longer than that.
func FullJitter(bound time.Duration) time.Duration {
	if bound <= 0 {
		return 0
	}
	d := time.Duration(rand.Int64N(int64(bound) + 1))
	if bound >= minWait {
		d = max(d, minWait)
	}
	return d
}
