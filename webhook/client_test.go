package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
	"github.com/scimd/scimd/webhook"
)

// TestRefusesPrivateAddresses checks the default delivery policy: nothing
// is sent to a loopback address, whether the URL names it or a name
// resolves to it, and the attempts log keeps neither the URL's query nor
// anything the address answered.
func TestRefusesPrivateAddresses(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	rcv := newReceiver(t)
	port := rcv.srv.URL[strings.LastIndex(rcv.srv.URL, ":")+1:]
	d, err := webhook.New(webhook.Config{Store: db, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, url, addr string }{
		{"address", rcv.srv.URL + "/hook", "127.0.0.1"},
		// localhost resolves at connect time: the resolved address is
		// what is checked, as it is for a name re-pointed by DNS.
		{"name", "http://localhost:" + port + "/hook?key=s3cret", "is not a public"},
		{"unspecified", "http://0.0.0.0:" + port + "/", "0.0.0.0"},
		{"mapped", "http://[::ffff:127.0.0.1]:" + port + "/", "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ep := endpoint(t, db, "", tt.url)
			del, err := d.SendTest(context.Background(), ep)
			if err != nil {
				t.Fatal(err)
			}
			if del.OK() || del.StatusCode != 0 ||
				!strings.Contains(del.Error, "is not a public internet address") ||
				!strings.Contains(del.Error, tt.addr) {
				t.Errorf("delivery to %s: status %d, error %q; want refused before "+
					"connecting, naming %s", tt.url, del.StatusCode, del.Error, tt.addr)
			}
			if strings.Contains(del.Error, "s3cret") || strings.Contains(del.Error, "/hook") {
				t.Errorf("attempts log shows the URL: %q", del.Error)
			}
		})
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.attempts != 0 {
		t.Errorf("the loopback receiver got %d requests, want none", rcv.attempts)
	}
}

// TestAccountAdminsEndpointsStayPublic checks that allowing private
// addresses lets through only the endpoints that may use it (those
// operators make), not those account admins make, whatever their URL's
// name resolves to when a delivery is made.
func TestAccountAdminsEndpointsStayPublic(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	rcv := newReceiver(t)
	d, err := webhook.New(webhook.Config{Store: db, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	acc := account(t, db, "acme")

	admins := endpoint(t, db, acc, rcv.srv.URL)
	admins.AllowPrivate = false
	del, err := d.SendTest(context.Background(), admins)
	if err != nil {
		t.Fatal(err)
	}
	if del.OK() || !strings.Contains(del.Error, "is not a public internet address") {
		t.Errorf("account admin's endpoint on loopback: status %d, error %q; want refused",
			del.StatusCode, del.Error)
	}

	operators := endpoint(t, db, acc, rcv.srv.URL)
	if del, err := d.SendTest(context.Background(), operators); err != nil || !del.OK() {
		t.Errorf("operator's endpoint on loopback: %+v, %v; want delivered", del, err)
	}
	if n := len(rcv.events()); n != 1 {
		t.Errorf("receiver got %d events, want the operator endpoint's one", n)
	}
}

// TestRefusedStreamRetries checks that a stream to a refused address is
// retried like any failed attempt, and delivers nothing.
func TestRefusedStreamRetries(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	changes := &directory.Changes{}
	rcv := newReceiver(t)
	acc := account(t, db, "acme")
	ep := endpoint(t, db, acc, rcv.srv.URL)
	start(t, db, changes, func(c *webhook.Config) { c.AllowPrivate = false })
	write(t, db, changes, acc, directory.EventUserCreated, "u1")

	waitFor(t, "a failed attempt", 5*time.Second, func() bool {
		dels, err := db.Deliveries(context.Background(), ep.ID, 0, 10)
		return err == nil && len(dels) > 0 && !dels[0].OK() && dels[0].NextAttempt != nil
	})
	if n := len(rcv.events()); n != 0 {
		t.Errorf("receiver got %d events, want none", n)
	}
}

// TestDoesNotFollowRedirects checks that a receiver cannot send scimd on
// to another address: a 3xx is a failed attempt.
func TestDoesNotFollowRedirects(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	var hit atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hit.Add(1)
	}))
	t.Cleanup(target.Close)
	bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(bounce.Close)

	d, err := webhook.New(webhook.Config{Store: db, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	del, err := d.SendTest(context.Background(), endpoint(t, db, "", bounce.URL))
	if err != nil {
		t.Fatal(err)
	}
	if del.OK() || del.StatusCode != http.StatusTemporaryRedirect || hit.Load() != 0 {
		t.Errorf("redirect: status %d, target hit %d times; want 307 reported, no hit",
			del.StatusCode, hit.Load())
	}
}

// TestRecordsAnyResponseText checks that whatever bytes a receiver answers
// with, the attempt is recorded: PostgreSQL refuses NUL and invalid UTF-8
// in text.
func TestRecordsAnyResponseText(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("bad\x00gate\xffway"))
		}))
		t.Cleanup(srv.Close)
		d, err := webhook.New(webhook.Config{Store: db, AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		del, err := d.SendTest(context.Background(), endpoint(t, db, "", srv.URL))
		if err != nil {
			t.Fatalf("record the attempt: %v", err)
		}
		if want := "endpoint answered 502 Bad Gateway: badgate\uFFFDway"; del.Error != want {
			t.Errorf("error %q, want %q", del.Error, want)
		}
	})
}
