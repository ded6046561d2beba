package mgmtapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/scimd/scimd/directory"
)

// Bounds of the change feed.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
	// maxWait bounds a long poll. The server's WriteTimeout must be longer.
	maxWait = 60 * time.Second
	// The store is polled while a long poll waits, for writes made by other
	// replicas, from minPoll growing to maxPoll.
	minPoll = 100 * time.Millisecond
	maxPoll = 2 * time.Second
)

// DefaultMaxLongPolls is how many change-feed requests may wait at once in
// one process. Each holds a connection and a goroutine and reads the store
// every few seconds; a follower per account and replica of the vendor's
// application stays far below it.
const DefaultMaxLongPolls = 256

// busyRetrySeconds is what a long poll refused for want of room is told to
// wait; scimdclient's Follow retries after a pause of its own.
const busyRetrySeconds = 5

// parseWait reads the wait parameter: a Go duration ("30s") or seconds
// ("30").
func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, invalid("wait is a duration such as 30s, or seconds, not %q", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || d > maxWait {
		return 0, invalid("wait is 0 to %s, not %s", maxWait, s)
	}
	return d, nil
}

// events serves the change feed: the events after a position, in position
// order. With wait and nothing to return, it holds the request until an
// event commits or wait passes, then answers (possibly with no events).
// next_after is where to ask next.
//
// A position below events that the retention deleted is answered 410 with
// code "cursor_expired" and min_after, the lowest position to ask after:
// the reader has missed changes and must resynchronise from the users and
// groups lists before it goes on from there.
func (a *API) events(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	after := int64(0)
	if s := v.Get("after"); s != "" {
		after, err = strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			return invalid("after is the position of the last event seen (0 for the start), "+
				"not %q", s)
		}
	}
	limit, err := intParam(r, "limit", defaultEventLimit, 1, maxEventLimit)
	if err != nil {
		return err
	}
	wait, err := parseWait(v.Get("wait"))
	if err != nil {
		return err
	}

	evs, err := a.waitEvents(r, acc.ID, after, limit, wait)
	if gap, ok := errors.AsType[*directory.CursorExpiredError](err); ok {
		// Written here rather than by serve, for the field that this error
		// alone carries.
		writeJSON(w, http.StatusGone, map[string]any{"error": map[string]any{
			"code": "cursor_expired",
			"message": fmt.Sprintf("events up to position %d were deleted by the retention, "+
				"so reading after %d would miss some. The oldest position still available "+
				"is %d: resynchronise from the users and groups lists, then read the feed "+
				"with after=%d", gap.PrunedThrough, after, gap.PrunedThrough+1,
				gap.PrunedThrough),
			"min_after": gap.PrunedThrough,
		}})
		return nil
	}
	if err != nil {
		return err
	}
	items := make([]directory.EventPayload, 0, len(evs))
	next := after
	for _, e := range evs {
		items = append(items, directory.NewEventPayload(e))
		next = e.Position
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": items, "next_after": next})
	return nil
}

// waitEvents reads events, and while there are none waits for a
// notification from this process or the next poll of the store, until
// wait passes or the client goes away.
func (a *API) waitEvents(r *http.Request, accountID string, after int64, limit int,
	wait time.Duration) ([]*directory.Event, error) {
	ctx := r.Context()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := minPoll
	held := false // a place among the waiting requests
	for {
		// Subscribe before reading, so that a commit between the read and
		// the wait still wakes it.
		var changed <-chan struct{}
		if a.cfg.Changes != nil {
			changed = a.cfg.Changes.Wait(accountID)
		}
		evs, err := a.cfg.Store.Events(ctx, accountID, after, limit)
		if err != nil || len(evs) > 0 || wait == 0 {
			return evs, err
		}
		if !held {
			select {
			case a.polls <- struct{}{}:
				held = true
				defer func() { <-a.polls }()
			default:
				return nil, &apiError{http.StatusServiceUnavailable, "unavailable",
					fmt.Sprintf("%d change-feed requests are waiting on this server, the "+
						"most it holds; retry in %d seconds", cap(a.polls), busyRetrySeconds)}
			}
		}

		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-deadline.C:
			t.Stop()
			return nil, nil
		case <-changed:
		case <-t.C:
			poll = min(2*poll, maxPoll)
		}
		t.Stop()
	}
}
