package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/scimd/scimd/directory"
)

// deliveryRows bounds the entries of the delivery log shown per endpoint.
const deliveryRows = 20

// Endpoint states, from the point of view of one account's stream.
const (
	statusDisabled = "disabled" // switched off; events wait until it is enabled
	statusFailing  = "failing"  // FailingSince is set
	statusRetrying = "retrying" // the stream's head event failed; a retry is due
	statusIdle     = "idle"     // no attempt yet
	statusHealthy  = "healthy"
)

type webhooksData struct {
	Own, Global  []endpointRow
	Types        []string // the event types an endpoint may select
	Max          int      // endpoints per account
	Form         endpointForm
	NewSecret    string // the signing secret, in the response that created it only
	NewURL       string
	FailuresOnly bool
	All, Fails   string // links to every attempt and to failed ones only
}

// endpointRow is an endpoint as the page shows it to one account. It copies
// what may be shown rather than embedding the Endpoint, whose Secret no
// page but the creating response may hold.
type endpointRow struct {
	ID      string
	URL     string // scheme and host only for a global endpoint shown to an account admin
	Global  bool
	Types   []string // empty: every type
	Enabled bool
	Created time.Time
	Status  string
	// FailingSince, Attempts, FirstFailure and RetryAt describe this
	// account's stream when deliveries fail.
	FailingSince *time.Time
	Attempts     int
	FirstFailure *time.Time
	RetryAt      *time.Time
	// SkippedThrough and SkippedAt say that the retention deleted events
	// of this account before the endpoint received them (see
	// directory.Stream).
	SkippedThrough int64
	SkippedAt      *time.Time
	LastError      string
	Deliveries     []deliveryRow
	Failures       int  // failed attempts among Deliveries
	Manage         bool // the page may change it: an endpoint of this account
	CanTest        bool
	Base           string // the path its forms post to
}

type deliveryRow struct {
	*directory.Delivery
	EventType string // "" when the event is no longer kept
	Detail    string // why a failed attempt failed
}

// failure sums a failed attempt up for a person: the error, which names the
// status when there was one. With brief, it gives only the status: the
// error of a global endpoint's attempt may hold the service's full URL and
// its response or internal addresses, which are not the account's to see.
func failure(d *directory.Delivery, brief bool) string {
	switch {
	case d.OK():
		return ""
	case d.Skipped():
		return d.Error // scimd's own words, with nothing of the endpoint's
	case brief && d.StatusCode != 0:
		return fmt.Sprintf("endpoint answered %d %s", d.StatusCode,
			http.StatusText(d.StatusCode))
	case brief:
		return "no response; the service's operators see why"
	case d.Error != "" && d.StatusCode != 0:
		return d.Error
	case d.Error != "":
		return "no response: " + d.Error
	case d.StatusCode != 0:
		return fmt.Sprintf("endpoint answered %d", d.StatusCode)
	}
	return "no response"
}

func (s *server) webhooks(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	flash := ""
	switch r.URL.Query().Get("done") {
	case "enable":
		flash = "Endpoint enabled. Events that waited are delivered now, in order."
	case "disable":
		flash = "Endpoint disabled. Its events wait until you enable it again."
	case "delete":
		flash = "Endpoint deleted, with its delivery log."
	}
	return s.renderWebhooks(w, r, a, http.StatusOK, flash, "", endpointForm{}, nil)
}

// renderWebhooks shows the endpoints that receive a's events. A secret is
// passed only by the handler that just created it.
func (s *server) renderWebhooks(w http.ResponseWriter, r *http.Request, a *directory.Account,
	status int, flash, msg string, form endpointForm, created *directory.Endpoint) error {
	ctx := r.Context()
	u, _ := userFrom(r)
	list, err := s.store.EndpointsFor(ctx, a.ID, true)
	if err != nil {
		return fmt.Errorf("list webhook endpoints of %q: %w", a.ID, err)
	}
	base := accountPath(a.ID, "webhooks")
	d := webhooksData{Types: eventTypes, Max: maxEndpoints, Form: form,
		FailuresOnly: r.URL.Query().Get("failures") == "1",
		All:          base, Fails: base + "?failures=1"}
	if created != nil {
		d.NewSecret, d.NewURL = created.Secret, created.URL
	}

	// Every endpoint of the account is sent the same events, so one lookup
	// of an event's type serves them all.
	types := make(map[int64]string)
	for _, e := range list {
		row, err := s.endpointRow(ctx, e, a.ID, u.Operator(), d.FailuresOnly, types)
		if err != nil {
			return err
		}
		if row.Global {
			d.Global = append(d.Global, row)
		} else {
			d.Own = append(d.Own, row)
		}
	}
	s.render(w, r, status, "webhooks", &view{Title: "Webhooks · " + a.Name, Account: a,
		Section: "webhooks", Flash: flash, Error: msg, Data: d})
	return nil
}

// endpointRow describes e as account sees it: its stream of account's
// events, and its recent attempts at them.
func (s *server) endpointRow(ctx context.Context, e *directory.Endpoint, account string,
	operator, failuresOnly bool, types map[int64]string) (endpointRow, error) {
	row := endpointRow{ID: e.ID, URL: e.URL, Global: e.AccountID == "", Types: e.EventTypes,
		Enabled: e.Enabled, Created: e.CreatedAt, FailingSince: e.FailingSince,
		Manage: e.AccountID == account, Base: accountPath(account, "webhooks/"+e.ID)}
	row.CanTest = row.Manage && s.cfg.Webhooks != nil

	// A global endpoint is the service provider's own receiver: its path
	// and query may carry a key of theirs, so an account admin sees where
	// events go but not the whole address, nor the errors that may hold it.
	brief := row.Global && !operator
	if brief {
		row.URL = hostOnly(e.URL)
	}

	streams, err := s.store.Streams(ctx, e.ID)
	if err != nil {
		return row, fmt.Errorf("read streams of endpoint %q: %w", e.ID, err)
	}
	for _, st := range streams {
		if st.AccountID == account {
			row.Attempts, row.FirstFailure, row.RetryAt = st.Attempts, st.FirstFailure,
				st.RetryAt
			row.SkippedThrough, row.SkippedAt = st.SkippedThrough, st.SkippedAt
		}
	}

	dels, err := s.store.AccountDeliveries(ctx, directory.DeliveryQuery{EndpointID: e.ID,
		AccountID: account, Limit: deliveryRows, FailedOnly: failuresOnly})
	if err != nil {
		return row, fmt.Errorf("list deliveries of endpoint %q: %w", e.ID, err)
	}
	for _, del := range dels {
		t := ""
		if !del.Skipped() {
			if t, err = s.eventType(ctx, account, del.Position, types); err != nil {
				return row, err
			}
		}
		row.Deliveries = append(row.Deliveries, deliveryRow{del, t, failure(del, brief)})
		if !del.OK() && !del.Skipped() {
			row.Failures++
		}
	}
	if len(dels) > 0 {
		row.LastError = failure(dels[0], brief)
	}

	switch {
	case !e.Enabled:
		row.Status = statusDisabled
	case e.FailingSince != nil:
		row.Status = statusFailing
	case row.Attempts > 0:
		row.Status = statusRetrying
	case len(dels) == 0 && !failuresOnly:
		row.Status = statusIdle
	default:
		row.Status = statusHealthy
	}
	return row, nil
}

// eventType returns the type of account's event at position, "" when the
// event is no longer kept. Position 0 is a test event.
func (s *server) eventType(ctx context.Context, account string, position int64,
	cache map[int64]string) (string, error) {
	if position == 0 {
		return directory.EventWebhookTest, nil
	}
	if t, ok := cache[position]; ok {
		return t, nil
	}
	events, err := s.store.Events(ctx, account, position-1, 1)
	if errors.Is(err, directory.ErrCursorExpired) {
		// The event, or one before it, was pruned: the page says it is no
		// longer kept either way.
		err = nil
	}
	if err != nil {
		return "", fmt.Errorf("read event %d of %q: %w", position, account, err)
	}
	t := ""
	if len(events) == 1 && events[0].Position == position {
		t = events[0].Type
	}
	cache[position] = t
	return t, nil
}

// hostOnly returns the scheme and host of a URL, followed by "/…" when
// the rest is hidden.
func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(hidden)"
	}
	short := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		short += "/…"
	}
	return short
}
