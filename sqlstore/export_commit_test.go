package sqlstore

import (
	"testing"
	"time"
)

// FaultPoint names a point of the commit path where FailCommit injects
// errors.
type FaultPoint = faultPoint

// The points of the commit path; see faultPoint.
const (
	FaultBeforeCommit = faultBeforeCommit
	FaultAfterCommit  = faultAfterCommit
	FaultStatus       = faultStatus
)

// FailCommit makes the commit path of d call fail at each FaultPoint and
// take an error it returns for what happened there, and bounds the check of
// a commit's outcome to limit, until tb ends. Tests that call it must not
// run in parallel with other tests of the package.
func (d *DB) FailCommit(tb testing.TB, limit time.Duration, fail func(FaultPoint) error) {
	tb.Helper()
	if !commitFaults.CompareAndSwap(nil, &faultHook{db: d, fail: fail}) {
		tb.Fatal("FailCommit: another test's fault hook is installed")
	}
	old := commitCheckLimit
	commitCheckLimit = limit
	tb.Cleanup(func() {
		commitCheckLimit = old
		commitFaults.Store(nil)
	})
}
