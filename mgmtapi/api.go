// Package mgmtapi is scimd's management API under /api/v1: plain JSON (not
// SCIM) for the SaaS vendor's own application and operators. It manages
// accounts, SCIM tokens, webhook endpoints and API keys, reads users and
// groups, and serves the change feed with long polling. Every route but
// the OpenAPI document needs an operator API key.
package mgmtapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Store is what the API reads and writes beyond the Service.
type Store interface {
	directory.ResourceStore
	directory.EventStore
	directory.WebhookStore
}

// Webhooks is the part of the webhook dispatcher that the API drives.
type Webhooks interface {
	// SendTest delivers a test event to an endpoint at once.
	SendTest(ctx context.Context, e *directory.Endpoint) (*directory.Delivery, error)
	// Kick asks for a delivery round now.
	Kick()
}

// Config configures the API.
type Config struct {
	Service *directory.Service // required: accounts and SCIM tokens
	Store   Store              // required
	// Changes wakes long polls of the change feed at once for writes made
	// in this process; others are seen by polling.
	Changes *directory.Changes
	// Webhooks, when set, sends test events and is kicked after changes to
	// endpoints. Without it the test route answers 503.
	Webhooks Webhooks
	// AllowPrivateWebhooks accepts endpoint URLs that name a loopback,
	// private or other non-public address, or localhost; see
	// directory.CheckWebhookHost. Pair it with webhook.Config.AllowPrivate.
	AllowPrivateWebhooks bool
	// MaxLongPolls bounds the change-feed requests that wait at once in
	// this process; one more is answered 503 at once. Default
	// DefaultMaxLongPolls.
	MaxLongPolls int
	// ClientAddr returns the address a request came from, for the log of
	// refused requests. The default is RemoteAddr as it is; behind a
	// reverse proxy, pass one that believes the proxy's X-Forwarded-For,
	// such as clientip.Resolver.Addr.
	ClientAddr func(*http.Request) string
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now
}

// API serves the management API. It is an http.Handler for paths under
// Prefix; mount it with mux.Handle(mgmtapi.Prefix+"/", api).
type API struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	// polls holds one token per change-feed request waiting now.
	polls chan struct{}
}

// handlerFunc is a route's handler. An error it returns is written by
// serve as the JSON error body; it must not have written anything then.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the API, the single list that both the mux and
// the OpenAPI test read.
type route struct {
	method, path string // path below Prefix, with {wildcards}
	public       bool   // served without an API key
	h            handlerFunc
}

// New returns the API. It returns an error when cfg lacks the service or
// the store.
func New(cfg Config) (*API, error) {
	if cfg.Service == nil || cfg.Store == nil {
		return nil, errors.New("new management api: service and store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = func(r *http.Request) string { return r.RemoteAddr }
	}
	if cfg.MaxLongPolls <= 0 {
		cfg.MaxLongPolls = DefaultMaxLongPolls
	}
	a := &API{cfg: cfg, log: cfg.Logger.With("component", "mgmtapi"), mux: http.NewServeMux(),
		polls: make(chan struct{}, cfg.MaxLongPolls)}
	for _, rt := range a.routes() {
		h := rt.h
		if !rt.public {
			h = a.authenticated(h)
		}
		a.mux.Handle(rt.method+" "+Prefix+rt.path, a.serve(h))
	}
	a.mux.Handle(Prefix+"/", a.serve(func(http.ResponseWriter, *http.Request) error {
		return &apiError{http.StatusNotFound, "not_found",
			"no such route; the routes are listed at " + Prefix + "/openapi.json"}
	}))
	return a, nil
}

func (a *API) routes() []route {
	return []route{
		{"GET", "/openapi.json", true, a.openAPI},

		{"GET", "/api-keys", false, a.listAPIKeys},
		{"POST", "/api-keys", false, a.createAPIKey},
		{"DELETE", "/api-keys/{id}", false, a.revokeAPIKey},

		{"GET", "/accounts", false, a.listAccounts},
		{"POST", "/accounts", false, a.createAccount},
		{"GET", "/accounts/{account}", false, a.getAccount},
		{"DELETE", "/accounts/{account}", false, a.deleteAccount},

		{"GET", "/accounts/{account}/tokens", false, a.listTokens},
		{"POST", "/accounts/{account}/tokens", false, a.createToken},
		{"POST", "/accounts/{account}/tokens/{token}/rotate", false, a.rotateToken},
		{"DELETE", "/accounts/{account}/tokens/{token}", false, a.revokeToken},

		{"GET", "/accounts/{account}/users", false, a.listUsers},
		{"GET", "/accounts/{account}/users/{user}", false, a.getUser},
		{"GET", "/accounts/{account}/groups", false, a.listGroups},
		{"GET", "/accounts/{account}/groups/{group}", false, a.getGroup},
		{"GET", "/accounts/{account}/groups/{group}/members", false, a.listMembers},

		{"GET", "/accounts/{account}/events", false, a.events},

		{"GET", "/webhooks", false, a.listWebhooks},
		{"POST", "/webhooks", false, a.createWebhook},
		{"GET", "/webhooks/{webhook}", false, a.getWebhook},
		{"PATCH", "/webhooks/{webhook}", false, a.updateWebhook},
		{"DELETE", "/webhooks/{webhook}", false, a.deleteWebhook},
		{"POST", "/webhooks/{webhook}/test", false, a.testWebhook},
		{"GET", "/webhooks/{webhook}/deliveries", false, a.listDeliveries},
		{"PUT", "/webhooks/{webhook}/streams/{account}", false, a.resetStream},
	}
}

// Routes lists the API's routes as "METHOD /api/v1/path" patterns, for
// documentation and tests.
func Routes() []string {
	var out []string
	for _, rt := range (&API{}).routes() {
		out = append(out, rt.method+" "+Prefix+rt.path)
	}
	return out
}

// Handler returns the handler and the mux pattern that r reaches.
func (a *API) Handler(r *http.Request) (http.Handler, string) { return a.mux.Handler(r) }

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// apiError is an error with the status and code the client sees.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func invalid(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "invalid", fmt.Sprintf(format, args...)}
}

// serve runs h and writes its error, if any, in the API's error shape.
// Errors of no known kind are logged with their cause and reach the client
// as "internal" without it.
func (a *API) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := a.classify(err)
		if e.status >= 500 {
			a.log.Error("management api request failed", "method", r.Method,
				"path", r.URL.Path, "status", e.status, "error", err)
		}
		switch e.status {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
		case http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", strconv.Itoa(busyRetrySeconds))
		}
		writeJSON(w, e.status, map[string]any{
			"error": map[string]string{"code": e.code, "message": e.message},
		})
	})
}

func (a *API) classify(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	if se, ok := scim.AsError(err); ok {
		code := "invalid"
		if se.Status == http.StatusNotFound {
			code = "not_found"
		}
		return &apiError{se.Status, code, se.Detail}
	}
	for _, m := range []struct {
		target error
		status int
		code   string
	}{
		{directory.ErrNotFound, http.StatusNotFound, "not_found"},
		{directory.ErrConflict, http.StatusConflict, "conflict"},
		{directory.ErrVersionMismatch, http.StatusConflict, "conflict"},
		{directory.ErrInvalid, http.StatusBadRequest, "invalid"},
		{directory.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
		{directory.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	} {
		if errors.Is(err, m.target) {
			return &apiError{m.status, m.code, err.Error()}
		}
	}
	if errors.Is(err, context.Canceled) {
		return &apiError{499, "canceled", "the request was canceled"}
	}
	return &apiError{http.StatusInternalServerError, "internal",
		"the server failed; the cause is in its log"}
}

// writeJSON writes v with status. Encoding happens before the header is
// sent, so that a value that cannot be encoded yields a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// maxBody bounds a request body.
const maxBody = 64 << 10

// decode reads a JSON object into v, refusing unknown fields so that a
// misspelt field is an error rather than silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return &apiError{http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("the request body is over %d bytes", maxBody)}
		case errors.Is(err, io.EOF):
			return invalid("the request needs a JSON object body")
		}
		return invalid("the request body is not the JSON object expected: %s",
			strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return invalid("the request body holds more than one JSON value")
	}
	return nil
}
