package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/webhook"
)

const secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// receiver is a vendor's endpoint: a real HTTP server that verifies each
// delivery with scimdclient, which shares no code with the signer, and
// records what it accepted.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	got      []scimdclient.Event
	attempts int
	// status answers attempt n (1-based); nil accepts everything.
	status func(n int, ev scimdclient.Event) int
	delay  time.Duration
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := scimdclient.VerifyWebhook(secret, req.Header, body, time.Minute); err != nil {
		r.t.Errorf("delivery does not verify: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev scimdclient.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("delivery is not an event: %v", err)
	}
	if got := req.Header.Get("webhook-id"); got != ev.ID {
		r.t.Errorf("webhook-id %q is not the event id %q", got, ev.ID)
	}

	r.mu.Lock()
	r.attempts++
	n, status, delay := r.attempts, r.status, r.delay
	r.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return
		}
	}
	code := http.StatusNoContent
	if status != nil {
		code = status(n, ev)
	}
	if code < 300 {
		r.mu.Lock()
		r.got = append(r.got, ev)
		r.mu.Unlock()
	}
	w.WriteHeader(code)
}

func (r *receiver) events() []scimdclient.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]scimdclient.Event(nil), r.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// start runs a dispatcher on db with test timings until the test ends.
func start(t *testing.T, db *sqlstore.DB, changes *directory.Changes,
	tweak func(*webhook.Config)) *webhook.Dispatcher {
	t.Helper()
	cfg := webhook.Config{
		Store: db, Changes: changes, Poll: 20 * time.Millisecond, Timeout: time.Second,
		AllowPrivate: true, // the receivers listen on 127.0.0.1
		Logger:       slog.New(slog.DiscardHandler),
		Schedule:     []time.Duration{10 * time.Millisecond},
		Jitter:       func(d time.Duration) time.Duration { return d },
	}
	if tweak != nil {
		tweak(&cfg)
	}
	d, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return d
}

func account(t *testing.T, db *sqlstore.DB, name string) string {
	t.Helper()
	a := &directory.Account{ID: uuid.NewString(), Name: name, CreatedAt: time.Now()}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func endpoint(t *testing.T, db *sqlstore.DB, accountID, url string,
	types ...string) *directory.Endpoint {
	t.Helper()
	// Created a moment ago, so that events appended from now on are its.
	e := &directory.Endpoint{ID: uuid.NewString(), AccountID: accountID, URL: url,
		Secret: secret, EventTypes: types, Enabled: true, AllowPrivate: true,
		CreatedAt: time.Now().Add(-time.Second)}
	if err := db.CreateEndpoint(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// write appends one event of type typ per resource id, each in its own
// transaction as the directory service does, and tells changes.
func write(t *testing.T, db *sqlstore.DB, changes *directory.Changes, accountID, typ string,
	ids ...string) {
	t.Helper()
	for _, id := range ids {
		err := db.Write(context.Background(), accountID, func(tx directory.Tx) error {
			data, _ := json.Marshal(map[string]any{"id": id, "userName": id + "@example.com"})
			return tx.Append(&directory.Event{Type: typ, Client: "Okta",
				ResourceType: directory.KindUser, ResourceID: id, Version: 1, Data: data})
		})
		if err != nil {
			t.Fatal(err)
		}
		if changes != nil {
			changes.Notify(accountID)
		}
	}
}
