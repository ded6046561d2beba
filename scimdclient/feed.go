package scimdclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// EventPage is one answer of the change feed. NextAfter is the position to
// ask after next: the last event's, or the one asked after when the page
// is empty.
type EventPage struct {
	Events    []Event `json:"events"`
	NextAfter int64   `json:"next_after"`
}

// Events returns up to limit events of an account after position after,
// in position order. With wait > 0 and nothing to return, the server holds
// the request until an event arrives or wait passes (at most 60s). When
// events after after were deleted by the retention, it returns an *Error
// that matches ErrCursorExpired.
func (c *Client) Events(ctx context.Context, account string, after int64, limit int,
	wait time.Duration) (*EventPage, error) {
	v := url.Values{"after": {strconv.FormatInt(after, 10)}}
	setInt(v, "limit", limit)
	if wait > 0 {
		v.Set("wait", wait.String())
	}
	var p EventPage
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/events", v, nil, &p)
	return &p, err
}

// Follow calls fn with every event of an account after position after, in
// order, long-polling for new ones, until ctx ends or fn fails. It returns
// fn's error, or ctx's. Failed requests are retried with a growing pause;
// answers that cannot succeed on retry (401, 403, 404, 410) end Follow.
//
// fn sees each event once per Follow; to resume after a restart without
// gaps, keep the last position fn handled and pass it as after. A position
// kept longer than scimd's retention ends Follow with an *Error matching
// ErrCursorExpired: read the users and groups lists again, then Follow from
// its MinAfter, applying an event only when its version is above the one
// the lists gave.
func (c *Client) Follow(ctx context.Context, account string, after int64,
	fn func(Event) error) error {
	pause := time.Duration(0)
	for {
		page, err := c.Events(ctx, account, after, 500, 30*time.Second)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) && (e.Status == http.StatusUnauthorized ||
				e.Status == http.StatusForbidden || e.Status == http.StatusNotFound ||
				e.Status == http.StatusGone) {
				return err
			}
			pause = min(max(2*pause, 500*time.Millisecond), 30*time.Second)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		for _, ev := range page.Events {
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Position
		}
	}
}
