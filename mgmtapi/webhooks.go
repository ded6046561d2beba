package mgmtapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// EventTypes lists the event types an endpoint may select.
var EventTypes = directory.EventTypes

// maxURL bounds an endpoint's URL.
const maxURL = 2048

type streamJSON struct {
	AccountID      string     `json:"account_id"`
	Position       int64      `json:"position"`
	Attempts       int        `json:"attempts"`
	FirstFailure   *time.Time `json:"first_failure,omitempty"`
	RetryAt        *time.Time `json:"retry_at,omitempty"`
	SkippedThrough int64      `json:"skipped_through,omitempty"`
	SkippedAt      *time.Time `json:"skipped_at,omitempty"`
}

type webhookJSON struct {
	ID           string       `json:"id"`
	AccountID    string       `json:"account_id,omitempty"`
	URL          string       `json:"url"`
	EventTypes   []string     `json:"event_types"`
	Enabled      bool         `json:"enabled"`
	FailingSince *time.Time   `json:"failing_since,omitempty"`
	Created      time.Time    `json:"created"`
	Secret       string       `json:"secret,omitempty"`
	Streams      []streamJSON `json:"streams,omitempty"`
}

func webhookOut(e *directory.Endpoint) webhookJSON {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	return webhookJSON{ID: e.ID, AccountID: e.AccountID, URL: e.URL, EventTypes: types,
		Enabled: e.Enabled, FailingSince: e.FailingSince, Created: e.CreatedAt}
}

// webhookInput is the body of a creation or a change; nil fields are left
// as they are.
type webhookInput struct {
	AccountID  string    `json:"account_id"`
	URL        *string   `json:"url"`
	EventTypes *[]string `json:"event_types"`
	Enabled    *bool     `json:"enabled"`
	Secret     *string   `json:"secret"`
}

// apply checks in and copies its fields onto e. allowPrivate lets the URL
// name a non-public address (see directory.CheckWebhookHost).
func (in *webhookInput) apply(e *directory.Endpoint, allowPrivate bool) error {
	if in.URL != nil {
		if err := checkURL(*in.URL, allowPrivate); err != nil {
			return err
		}
		e.URL = *in.URL
	}
	if in.EventTypes != nil {
		for _, t := range *in.EventTypes {
			if !slices.Contains(EventTypes, t) {
				return invalid("event type %q is not one of %v", t, EventTypes)
			}
		}
		e.EventTypes = slices.Clone(*in.EventTypes)
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	if in.Secret != nil {
		if _, err := directory.WebhookSecretKey(*in.Secret); err != nil {
			return err
		}
		e.Secret = *in.Secret
	}
	return nil
}

func checkURL(s string, allowPrivate bool) error {
	u, err := url.Parse(s)
	switch {
	case len(s) > maxURL:
		return invalid("url is longer than %d bytes", maxURL)
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return invalid("url is an absolute http or https URL, not %q", s)
	case u.User != nil:
		return invalid("url carries no credentials; the signature authenticates scimd")
	}
	if err := directory.CheckWebhookHost(u.Hostname(), allowPrivate); err != nil {
		return invalid("url: %s", strings.TrimPrefix(err.Error(),
			directory.ErrInvalid.Error()+": "))
	}
	return nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.URL == nil {
		return invalid("url is required")
	}
	if in.AccountID != "" {
		if _, err := a.cfg.Service.Account(r.Context(), in.AccountID); err != nil {
			return fmt.Errorf("find account %q: %w", in.AccountID, err)
		}
	}
	// Only operators hold API keys, so an endpoint made here may reach
	// non-public addresses where the server allows them at all.
	e := &directory.Endpoint{ID: uuid.NewString(), AccountID: in.AccountID, Enabled: true,
		AllowPrivate: true, CreatedAt: a.cfg.Now().UTC()}
	if err := in.apply(e, a.cfg.AllowPrivateWebhooks); err != nil {
		return err
	}
	if e.Secret == "" {
		secret, err := directory.NewWebhookSecret()
		if err != nil {
			return err
		}
		e.Secret = secret
	}
	if err := a.cfg.Store.CreateEndpoint(r.Context(), e); err != nil {
		return err
	}
	a.log.Info("webhook endpoint created", "endpoint_id", e.ID, "account_id", e.AccountID,
		"url", e.URL)
	a.kick()
	out := webhookOut(e)
	out.Secret = e.Secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) kick() {
	if a.cfg.Webhooks != nil {
		a.cfg.Webhooks.Kick()
	}
}

// listWebhooks lists every endpoint or, given account_id, the account's own
// endpoints only: the global ones are listed unfiltered.
func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	var (
		list []*directory.Endpoint
		err  error
	)
	if account := r.URL.Query().Get("account_id"); account != "" {
		list, err = a.cfg.Store.EndpointsFor(r.Context(), account, false)
	} else {
		list, err = a.cfg.Store.Endpoints(r.Context())
	}
	if err != nil {
		return err
	}
	items := make([]webhookJSON, 0, len(list))
	for _, e := range list {
		items = append(items, webhookOut(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	e, err := a.cfg.Store.Endpoint(r.Context(), r.PathValue("webhook"))
	if err != nil {
		return err
	}
	streams, err := a.cfg.Store.Streams(r.Context(), e.ID)
	if err != nil {
		return err
	}
	out := webhookOut(e)
	for _, s := range streams {
		out.Streams = append(out.Streams, streamJSON{AccountID: s.AccountID,
			Position: s.Position, Attempts: s.Attempts, FirstFailure: s.FirstFailure,
			RetryAt: s.RetryAt, SkippedThrough: s.SkippedThrough, SkippedAt: s.SkippedAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := a.cfg.Store.Endpoint(r.Context(), r.PathValue("webhook"))
	if err != nil {
		return err
	}
	if in.AccountID != "" && in.AccountID != e.AccountID {
		return invalid("account_id of an endpoint cannot change; create another endpoint")
	}
	if err := in.apply(e, a.cfg.AllowPrivateWebhooks); err != nil {
		return err
	}
	if err := a.cfg.Store.UpdateEndpoint(r.Context(), e); err != nil {
		return err
	}
	a.log.Info("webhook endpoint updated", "endpoint_id", e.ID, "url", e.URL,
		"enabled", e.Enabled)
	a.kick()
	writeJSON(w, http.StatusOK, webhookOut(e))
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("webhook")
	if err := a.cfg.Store.DeleteEndpoint(r.Context(), id); err != nil {
		return err
	}
	a.log.Info("webhook endpoint deleted", "endpoint_id", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.Webhooks == nil {
		return &apiError{http.StatusServiceUnavailable, "unavailable",
			"webhook delivery is not running on this server"}
	}
	e, err := a.cfg.Store.Endpoint(r.Context(), r.PathValue("webhook"))
	if err != nil {
		return err
	}
	d, err := a.cfg.Webhooks.SendTest(r.Context(), e)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryOut(d))
	return nil
}

type deliveryJSON struct {
	ID          int64      `json:"id"`
	EndpointID  string     `json:"endpoint_id"`
	AccountID   string     `json:"account_id,omitempty"`
	EventID     string     `json:"event_id"`
	Position    int64      `json:"position"`
	Attempt     int        `json:"attempt"`
	StatusCode  int        `json:"status_code"`
	Error       string     `json:"error,omitempty"`
	LatencyMS   int64      `json:"latency_ms"`
	Time        time.Time  `json:"time"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

func deliveryOut(d *directory.Delivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, EndpointID: d.EndpointID, AccountID: d.AccountID,
		EventID: d.EventID, Position: d.Position, Attempt: d.Attempt, StatusCode: d.StatusCode,
		Error: d.Error, LatencyMS: d.Latency.Milliseconds(), Time: d.Time,
		NextAttempt: d.NextAttempt}
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	e, err := a.cfg.Store.Endpoint(r.Context(), r.PathValue("webhook"))
	if err != nil {
		return err
	}
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		before, err = strconv.ParseInt(s, 10, 64)
		if err != nil || before < 1 {
			return invalid("before is a delivery id, not %q", s)
		}
	}
	limit, err := intParam(r, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	list, err := a.cfg.Store.Deliveries(r.Context(), e.ID, before, limit)
	if err != nil {
		return err
	}
	items := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		items = append(items, deliveryOut(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// resetStream moves an endpoint's cursor for an account: the events after
// the given position are delivered again, in order.
func (a *API) resetStream(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Position *int64 `json:"position"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Position == nil || *in.Position < 0 {
		return invalid("position is required: the last position not to deliver again " +
			"(0 replays every event still kept)")
	}
	id, account := r.PathValue("webhook"), r.PathValue("account")
	if _, err := a.cfg.Service.Account(r.Context(), account); err != nil {
		return fmt.Errorf("find account %q: %w", account, err)
	}
	err := a.cfg.Store.ResetStream(r.Context(), id, account, *in.Position)
	if errors.Is(err, directory.ErrNotFound) {
		return &apiError{http.StatusNotFound, "not_found",
			fmt.Sprintf("webhook %q does not exist or does not take account %q", id, account)}
	}
	if err != nil {
		return err
	}
	a.log.Info("webhook stream reset", "endpoint_id", id, "account_id", account,
		"position", *in.Position)
	a.kick()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
