package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// Limits of the endpoint form. maxEndpoints counts an account's own
// endpoints, whoever made them; the check and the insert are not one
// transaction, so two forms sent at once may pass it together.
const (
	maxEndpointURL = 2048
	maxEndpoints   = 10
	lookupTimeout  = 3 * time.Second
)

// eventTypes are the event types an endpoint may select, in the order the
// form lists them.
var eventTypes = directory.EventTypes

// endpointForm holds the creation form's values, to show them again when
// they are refused.
type endpointForm struct {
	URL   string
	Types []string
}

// createEndpoint adds an endpoint of the account and shows its signing
// secret, in this response only.
func (s *server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	u, _ := userFrom(r)
	f := endpointForm{URL: strings.TrimSpace(r.PostFormValue("url")), Types: r.PostForm["types"]}
	refuse := func(status int, msg string) error {
		return s.renderWebhooks(w, r, a, status, "", msg, f, nil)
	}
	for _, t := range f.Types {
		if !slices.Contains(eventTypes, t) {
			return refuse(http.StatusBadRequest, "Choose the event types from the list.")
		}
	}
	if msg := s.checkEndpointURL(ctx, f.URL, u.Operator()); msg != "" {
		return refuse(http.StatusBadRequest, msg)
	}

	own, err := s.store.EndpointsFor(ctx, a.ID, false)
	if err != nil {
		return fmt.Errorf("list webhook endpoints of %q: %w", a.ID, err)
	}
	if n := len(own); n >= maxEndpoints {
		return refuse(http.StatusConflict, fmt.Sprintf("This account has %d endpoints, "+
			"the most it may have. Delete one you no longer use first.", n))
	}

	secret, err := directory.NewWebhookSecret()
	if err != nil {
		return err
	}
	types := slices.Compact(slices.Sorted(slices.Values(f.Types)))
	// An operator's endpoint may reach private addresses where the server
	// allows them; an account admin's never, whatever its name resolves to.
	e := &directory.Endpoint{ID: uuid.NewString(), AccountID: a.ID, URL: f.URL,
		Secret: secret, EventTypes: types, Enabled: true, AllowPrivate: u.Operator(),
		CreatedAt: s.cfg.Now().UTC()}
	if err := s.store.CreateEndpoint(ctx, e); err != nil {
		return fmt.Errorf("create webhook endpoint for %q: %w", a.ID, err)
	}
	s.endpointAudit(r, "webhook endpoint created", e, "host", hostOnly(e.URL))
	s.kick()
	return s.renderWebhooks(w, r, a, http.StatusOK, "", "", endpointForm{}, e)
}

// endpointAction enables, disables, deletes or tests one of the account's
// own endpoints. Global endpoints are managed through the management API,
// not from an account's page.
func (s *server) endpointAction(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	action := r.PathValue("action")
	switch action {
	case "enable", "disable", "delete", "test":
	default:
		return notFound("There is no page at this address.")
	}
	e, err := s.store.Endpoint(ctx, r.PathValue("wid"))
	if errors.Is(err, directory.ErrNotFound) || (err == nil && e.AccountID != a.ID) {
		return notFound("This account has no such webhook endpoint.")
	}
	if err != nil {
		return fmt.Errorf("read webhook endpoint %q: %w", r.PathValue("wid"), err)
	}

	switch action {
	case "test":
		return s.testEndpoint(w, r, a, e)
	case "delete":
		err = s.store.DeleteEndpoint(ctx, e.ID)
	default:
		e.Enabled = action == "enable"
		err = s.store.UpdateEndpoint(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("%s webhook endpoint %q: %w", action, e.ID, err)
	}
	s.endpointAudit(r, "webhook endpoint "+action+"d", e)
	if action == "enable" {
		s.kick()
	}
	http.Redirect(w, r, accountPath(a.ID, "webhooks")+"?done="+action, http.StatusSeeOther)
	return nil
}

// testEndpoint sends a test event and shows how the endpoint answered.
func (s *server) testEndpoint(w http.ResponseWriter, r *http.Request, a *directory.Account,
	e *directory.Endpoint) error {
	if s.cfg.Webhooks == nil {
		return &httpError{http.StatusServiceUnavailable,
			"Webhook delivery is not running on this server, so no test event can be sent."}
	}
	d, err := s.cfg.Webhooks.SendTest(r.Context(), e)
	if err != nil {
		return fmt.Errorf("send test event to endpoint %q: %w", e.ID, err)
	}
	s.endpointAudit(r, "webhook test event sent", e, "status", d.StatusCode)
	if d.OK() {
		return s.renderWebhooks(w, r, a, http.StatusOK, fmt.Sprintf(
			"Test event delivered: %s answered %d in %s.", hostOnly(e.URL), d.StatusCode,
			latency(d.Latency)), "", endpointForm{}, nil)
	}
	return s.renderWebhooks(w, r, a, http.StatusOK, "", fmt.Sprintf(
		"The test event failed: %s. Check that %s accepts signed POST requests.",
		failure(d, false), hostOnly(e.URL)), endpointForm{}, nil)
}

// checkEndpointURL returns what is wrong with raw as a webhook URL, for a
// person, or "" when it will do. The policy on addresses is
// directory.CheckWebhookHost's, with one difference: an account admin is a
// customer, and may never aim scimd at a non-public address, even where
// the operator allows them for the service's own receivers
// (Config.AllowPrivateWebhooks). The dispatcher enforces that at each
// connection (Endpoint.AllowPrivate is false for an account admin's
// endpoint); resolving the host here as well refuses a private or
// misspelt name at once, rather than letting every delivery fail.
func (s *server) checkEndpointURL(ctx context.Context, raw string, operator bool) string {
	if raw == "" {
		return "Enter the URL that receives the events."
	}
	if len(raw) > maxEndpointURL {
		return fmt.Sprintf("Use a URL of at most %d characters.", maxEndpointURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.Opaque != "":
		return "Enter an absolute URL that starts with https:// (or http://)."
	case u.User != nil:
		return "Leave the user name and password out of the URL: every delivery is " +
			"signed with the endpoint's secret, which tells your receiver it comes from scimd."
	case u.Fragment != "":
		return "Leave out the part after #: it is never sent to the receiver."
	}
	host := u.Hostname()
	allow := operator && s.cfg.AllowPrivateWebhooks
	if err := directory.CheckWebhookHost(host, allow); err != nil {
		if operator {
			return personMessage(err) + "."
		}
		return fmt.Sprintf("%s is a local or private address. Enter a URL that is "+
			"reachable from the internet.", host)
	}
	if operator {
		return "" // the dispatcher checks each address it connects to
	}

	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Sprintf("scimd cannot find the host %s. Check its spelling; "+
			"the name must resolve in public DNS.", host)
	}
	for _, ip := range addrs {
		if !directory.PublicAddr(ip) {
			return fmt.Sprintf("%s resolves to %s, which is not a public internet "+
				"address. Enter a URL that is reachable from the internet.", host, ip.Unmap())
		}
	}
	return ""
}

func (s *server) kick() {
	if s.cfg.Webhooks != nil {
		s.cfg.Webhooks.Kick()
	}
}

// endpointAudit logs a change to an endpoint with who made it. The URL is
// logged by host only and the secret never.
func (s *server) endpointAudit(r *http.Request, msg string, e *directory.Endpoint, kv ...any) {
	u, _ := userFrom(r)
	args := append([]any{"account_id", e.AccountID, "endpoint_id", e.ID, "by", u.Email}, kv...)
	s.log.Info(msg, args...)
}
