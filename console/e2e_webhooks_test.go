package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scimdclient"
	"github.com/scimd/scimd/sqlstore"
)

// receiver is a webhook endpoint of the vendor's application: it answers
// every delivery with one status and keeps what it was sent.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

type delivery struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int, reply string) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Clone(), body})
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(r.Close)
	return r
}

// verified returns the event types of the deliveries, failing the test
// unless each carries a valid signature under secret.
func (r *receiver) verified(t *testing.T, secret string) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var types []string
	for _, d := range r.got {
		if err := scimdclient.VerifyWebhook(secret, d.header, d.body, 0); err != nil {
			t.Errorf("a delivery does not verify with the secret the page showed: %v", err)
		}
		var ev struct{ Type string }
		if err := json.Unmarshal(d.body, &ev); err != nil {
			t.Errorf("delivery body: %v", err)
		}
		types = append(types, ev.Type)
	}
	return types
}

// webhooks adds two endpoints on the account's Webhooks page, one whose
// receiver takes deliveries and one whose receiver is down, makes changes
// with change (an endpoint receives those made after it was added), waits
// until they reach the first and fail at the second, sends a test event,
// and returns the two signing secrets the page showed once.
func (x *run) webhooks(page string, change func()) []string {
	t := x.t
	up := newReceiver(t, http.StatusNoContent, "")
	down := newReceiver(t, http.StatusServiceUnavailable, "down for maintenance")

	var secrets []string
	for _, r := range []*receiver{up, down} {
		x.do("open webhooks", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#url")))
		x.do("add an endpoint", chromedp.SendKeys(chromedp.CSS("#url"), r.URL+"/scim-events"),
			chromedp.Click(chromedp.CSS("form[action$='/webhooks'] button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#new-secret")),
			chromedp.Click(chromedp.CSS("button[data-copy='new-secret']")))
		secret := x.value("#new-secret")
		if _, err := directory.WebhookSecretKey(secret); err != nil {
			t.Fatalf("the page shows %q as the signing secret: %v", secret, err)
		}
		secrets = append(secrets, secret)
	}

	// The dispatcher delivers the changes in the background.
	change()
	for i := 0; ; i++ {
		x.do("reload webhooks", chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.CSS("#url")))
		s := x.text("main")
		if strings.Contains(s, "group.member_added") && strings.Contains(s, "Retrying") &&
			strings.Contains(s, "down for maintenance") {
			break
		}
		if i == 60 {
			t.Fatalf("the webhooks page lacks the deliveries:\n%s\nserver log:\n%s", s,
				x.srv.log())
		}
		time.Sleep(250 * time.Millisecond)
	}
	html, err := chromedp.Run(x.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(html, s) {
			t.Error("the webhooks page shows a signing secret again")
		}
	}

	// The first endpoint's test button; its section comes first.
	x.do("send a test event", chromedp.Click(chromedp.CSS("form[action$='/test'] button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if s := x.text("p.flash"); !strings.Contains(s, "Test event delivered") {
		t.Fatalf("after the test button: %q", s)
	}
	x.shot("webhooks")

	got := up.verified(t, secrets[0])
	for _, want := range []string{directory.EventUserCreated, directory.EventGroupCreated,
		directory.EventGroupMemberAdded, directory.EventWebhookTest} {
		if !slices.Contains(got, want) {
			t.Errorf("the receiver got %v, which lacks %s", got, want)
		}
	}
	if got := down.verified(t, secrets[1]); len(got) == 0 {
		t.Error("the receiver that is down was never tried")
	}
	return secrets
}

// checkNoSecrets stops the server and fails the test if its log or any of
// the account's activity entries holds one of secrets.
func checkNoSecrets(t *testing.T, srv *server, accountID string, secrets ...string) {
	t.Helper()
	srv.stop() // the log and the activity are complete once it has exited
	log := srv.log()
	if !strings.Contains(log, "/Users") {
		t.Errorf("the server log has no SCIM requests; is it the whole log?\n%s", log)
	}

	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: srv.data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := db.Activity(ctx, accountID, directory.ActivityQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 8 {
		t.Errorf("%d activity entries, want one per authenticated SCIM request (8)",
			len(entries))
	}
	for i, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the server log holds secret %d", i)
		}
		for _, e := range entries {
			if strings.Contains(fmt.Sprintf("%+v", *e), s) {
				t.Errorf("activity entry %d (%s %s) holds secret %d", e.ID, e.Method, e.Path, i)
			}
		}
	}
}
