package mgmtapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestFeedWithConcurrentWriters follows the change feed while several
// writers create users at once: the follower sees every event exactly
// once, in position order, on both engines.
func TestFeedWithConcurrentWriters(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		e := newEnv(t, open(t))
		acc := e.account("acme")
		const writers, each = 4, 15

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		seen := map[string]int{}
		var last int64
		done := errors.New("done")
		var wg sync.WaitGroup
		var followErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			followErr = e.client.Follow(ctx, acc, 0, func(ev scimdclient.Event) error {
				if ev.Position <= last {
					return fmt.Errorf("position %d after %d", ev.Position, last)
				}
				last = ev.Position
				seen[ev.ResourceID]++
				if len(seen) == writers*each {
					return done
				}
				return nil
			})
		}()

		var ws sync.WaitGroup
		for w := range writers {
			ws.Add(1)
			go func() {
				defer ws.Done()
				for i := range each {
					e.create(acc, directory.KindUser, user(fmt.Sprintf("u%d-%d@acme.test", w, i), true))
				}
			}()
		}
		ws.Wait()
		wg.Wait()
		if !errors.Is(followErr, done) {
			t.Fatalf("follow: %v (saw %d of %d)", followErr, len(seen), writers*each)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("user %s seen %d times", id, n)
			}
		}
	})
}

func TestFeedLongPoll(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	acc := e.account("acme")
	e.create(acc, directory.KindUser, user("first@acme.test", true))

	p, err := e.client.Events(ctx, acc, 0, 10, 0)
	if err != nil || len(p.Events) != 1 || p.NextAfter != p.Events[0].Position ||
		p.Events[0].Type != directory.EventUserCreated || p.Events[0].Client != "Okta" {
		t.Fatalf("first page: %+v, %v", p, err)
	}

	// Nothing new: the request waits, and a write wakes it at once.
	after := p.NextAfter
	go func() {
		time.Sleep(300 * time.Millisecond)
		e.create(acc, directory.KindUser, user("second@acme.test", true))
	}()
	began := time.Now()
	p, err = e.client.Events(ctx, acc, after, 10, 20*time.Second)
	took := time.Since(began)
	if err != nil || len(p.Events) != 1 || p.Events[0].Position <= after {
		t.Fatalf("long poll: %+v, %v", p, err)
	}
	if took < 250*time.Millisecond || took > 5*time.Second {
		t.Errorf("long poll answered after %s, want soon after the write at 300ms", took)
	}

	// Nothing arrives: an empty page after the wait, with the same cursor.
	began = time.Now()
	p, err = e.client.Events(ctx, acc, p.NextAfter, 10, 300*time.Millisecond)
	if err != nil || len(p.Events) != 0 || p.NextAfter == 0 {
		t.Fatalf("timed-out poll: %+v, %v", p, err)
	}
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("answered after %s, before the wait", took)
	}

	for _, tt := range []struct{ query, code string }{
		{"after=-1", "invalid"},
		{"after=x", "invalid"},
		{"limit=0", "invalid"},
		{"wait=forever", "invalid"},
		{"wait=61s", "invalid"},
		{"wait=-1s", "invalid"},
	} {
		status, body := e.call("GET", "/accounts/"+acc+"/events?"+tt.query, "")
		if status != 400 || errCode(body) != tt.code {
			t.Errorf("%s: got %d %v", tt.query, status, body)
		}
	}
	if status, body := e.call("GET", "/accounts/"+acc+"/events?wait=1&limit=5000", ""); status != 200 ||
		len(body["events"].([]any)) != 2 {
		t.Errorf("wait in seconds with a clamped limit: %d %v", status, body)
	}
	if status, _ := e.call("GET", "/accounts/nope/events", ""); status != 404 {
		t.Errorf("feed of an unknown account: %d", status)
	}
}

// TestFeedLongPollBound checks that the long polls one process holds are
// bounded: one more is refused at once with 503 and Retry-After, a request
// that does not wait still works, and room comes back when a poll ends.
func TestFeedLongPollBound(t *testing.T) {
	e := sqliteEnv(t)
	acc := e.account("acme")
	api, err := mgmtapi.New(mgmtapi.Config{Service: e.svc, Store: e.db, MaxLongPolls: 1,
		Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	get := func(ctx context.Context, wait string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+mgmtapi.Prefix+
			"/accounts/"+acc+"/events?wait="+wait, nil)
		req.Header.Set("Authorization", "Bearer "+e.key)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	probe := func(wait string) *http.Response {
		resp, err := get(context.Background(), wait)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	// The holder waits up to 30s; while a probe holds the place for a
	// moment, the holder is refused and tries again.
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan struct{})
	go func() {
		defer close(held)
		for ctx.Err() == nil {
			resp, err := get(ctx, "30s")
			if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()

	var resp *http.Response
	for range 50 {
		if resp = probe("200ms"); resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a second long poll: %d, Retry-After %q; want 503 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := probe("0"); resp.StatusCode != http.StatusOK {
		t.Errorf("a request that does not wait: %d, want 200", resp.StatusCode)
	}

	cancel()
	<-held
	var status int
	for range 50 { // the server sees the holder leave a moment later
		if status = probe("10ms").StatusCode; status == http.StatusOK {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status != http.StatusOK {
		t.Errorf("a long poll after the first ended: %d, want 200", status)
	}
}

// TestFeedAfterPruning reads the feed from before events the retention
// deleted: 410 with the lowest position to go on from, which scimdclient
// turns into ErrCursorExpired, and Follow gives up at once rather than
// retrying an answer that cannot change.
func TestFeedAfterPruning(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		acc := e.account("acme")
		for _, name := range []string{"a", "b", "c"} {
			e.create(acc, directory.KindUser, user(name+"@acme.test", true))
		}
		if n, err := e.db.PruneEvents(ctx, time.Now().Add(time.Minute), 100); err != nil ||
			n != 3 {
			t.Fatalf("prune: %d, %v; want the 3 events", n, err)
		}
		e.create(acc, directory.KindUser, user("d@acme.test", true))

		status, body := e.call("GET", "/accounts/"+acc+"/events?after=1", "")
		msg, _ := body["error"].(map[string]any)
		if status != http.StatusGone || errCode(body) != "cursor_expired" ||
			msg["min_after"] != 3.0 {
			t.Fatalf("after a pruned position: %d %v; want 410 cursor_expired, min_after 3",
				status, body)
		}
		for _, want := range []string{"up to position 3", "after 1", "resynchronise",
			"users and groups", "after=3"} {
			if text, _ := msg["message"].(string); !strings.Contains(text, want) {
				t.Errorf("message %q does not say %q", text, want)
			}
		}
		if status, body := e.call("GET", "/accounts/"+acc+"/events?after=3", ""); status != 200 ||
			len(body["events"].([]any)) != 1 {
			t.Errorf("at the mark: %d %v; want the one event kept", status, body)
		}

		_, err := e.client.Events(ctx, acc, 0, 10, 0)
		var ae *scimdclient.Error
		if !errors.Is(err, scimdclient.ErrCursorExpired) || !errors.As(err, &ae) ||
			ae.MinAfter != 3 {
			t.Errorf("client: %v; want ErrCursorExpired with MinAfter 3", err)
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err = e.client.Follow(fctx, acc, 2, func(scimdclient.Event) error {
			return errors.New("no event may reach fn")
		})
		if !errors.Is(err, scimdclient.ErrCursorExpired) {
			t.Errorf("follow: %v; want ErrCursorExpired at once", err)
		}
	})
}
