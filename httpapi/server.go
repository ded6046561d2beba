// Package httpapi serves the SCIM 2.0 protocol (RFC 7644) over HTTP: the
// resource and discovery endpoints, bearer-token authentication, limits,
// request ids, the access log, metrics and the provisioning activity record.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// Bases are the paths under which the SCIM API is mounted, with identical
// behaviour: the standard one and the one the vendor's console shows as the
// connector base URL.
var Bases = []string{"/scim/v2", "/api/sso/user_provisioning"}

// Limits bounds what one request may ask. Each is advertised where SCIM has a
// place for it (ServiceProviderConfig) and enforced with a SCIM error.
type Limits struct {
	MaxBodyBytes       int64 // a larger body gets 413
	MaxFilterLength    int   // bytes; a longer filter gets 400 invalidFilter
	MaxFilterDepth     int   // nesting of and/or/not/()/[]
	MaxPageSize        int   // a larger count is clamped to it
	DefaultPageSize    int   // the count when a client sends none
	MaxPatchOperations int   // operations in one PATCH request
	MaxBulkOperations  int   // operations in one bulk request; more gets 413
}

// DefaultLimits are the limits used for every zero field of Config.Limits.
var DefaultLimits = Limits{
	MaxBodyBytes:       1 << 20,
	MaxFilterLength:    4096,
	MaxFilterDepth:     16,
	MaxPageSize:        1000,
	DefaultPageSize:    100,
	MaxPatchOperations: 1000,
	MaxBulkOperations:  scim.DefaultMaxBulkOperations,
}

// ActivityRecorder takes a record of each SCIM request. Record must not
// block: it is called on the request path.
type ActivityRecorder interface {
	Record(directory.ActivityEntry)
}

// Config configures the SCIM API.
type Config struct {
	Service *directory.Service
	Limits  Limits
	Logger  *slog.Logger
	// PublicURL is the scheme and host clients reach scimd at
	// ("https://scim.example.com"), for meta.location. Empty: taken from
	// each request.
	PublicURL string
	Activity  ActivityRecorder // nil records nothing
	Metrics   *Metrics         // nil measures nothing
	// ClientAddr returns the address a request came from, for the
	// activity record and a token's last use. The default is the host of
	// RemoteAddr; behind a reverse proxy, pass one that believes the
	// proxy's X-Forwarded-For, such as clientip.Resolver.Addr.
	ClientAddr func(*http.Request) string
	// Scheme returns "http" or "https", the scheme a request was made
	// with, for meta.location when PublicURL is empty. The default says
	// "https" for a request over TLS; behind a proxy that ends TLS, pass
	// one that believes its X-Forwarded-Proto, such as
	// clientip.Resolver.Scheme.
	Scheme func(*http.Request) string
}

// API is the SCIM HTTP API.
type API struct {
	svc      *directory.Service
	limits   Limits
	log      *slog.Logger
	public   string
	activity ActivityRecorder
	metrics  *Metrics
	addr     func(*http.Request) string
	scheme   func(*http.Request) string
}

// New returns the SCIM API described by cfg.
func New(cfg Config) *API {
	l := cfg.Limits
	d := DefaultLimits
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&l.MaxFilterLength, d.MaxFilterLength}, {&l.MaxFilterDepth, d.MaxFilterDepth},
		{&l.MaxPageSize, d.MaxPageSize}, {&l.DefaultPageSize, d.DefaultPageSize},
		{&l.MaxPatchOperations, d.MaxPatchOperations},
		{&l.MaxBulkOperations, d.MaxBulkOperations},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.DefaultPageSize > l.MaxPageSize {
		l.DefaultPageSize = l.MaxPageSize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = remoteHost
	}
	if cfg.Scheme == nil {
		cfg.Scheme = tlsScheme
	}
	return &API{
		svc:      cfg.Service,
		limits:   l,
		log:      log.With("component", "scim"),
		public:   strings.TrimRight(cfg.PublicURL, "/"),
		activity: cfg.Activity,
		metrics:  cfg.Metrics,
		addr:     cfg.ClientAddr,
		scheme:   cfg.Scheme,
	}
}

// Register mounts the API under every base path of mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, base := range Bases {
		a.register(mux, base)
	}
}

// call is what a handler knows about its request beyond the request itself.
type call struct {
	base   string // the absolute SCIM base URL the client used, for locations
	prefix string // the base path the route is mounted under
	actor  directory.Actor
	token  *directory.Token
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

func (a *API) register(mux *http.ServeMux, base string) {
	route := func(pattern string, auth bool, h handler) {
		method, path, _ := strings.Cut(pattern, " ")
		if method != "" {
			method += " "
		}
		mux.Handle(method+base+path, a.wrap(base, path, auth, h))
	}
	for _, kind := range []directory.Kind{directory.KindUser, directory.KindGroup} {
		ep := directory.ResourceType(kind).Endpoint
		route("GET "+ep, true, a.list(kind))
		route("POST "+ep, true, a.create(kind))
		route("POST "+ep+"/.search", true, a.search(kind))
		route("GET "+ep+"/{id}", true, a.get(kind))
		route("PUT "+ep+"/{id}", true, a.replace(kind))
		route("PATCH "+ep+"/{id}", true, a.patch(kind))
		route("DELETE "+ep+"/{id}", true, a.delete(kind))
	}
	route("POST /.search", true, a.searchAll)
	route("GET /ServiceProviderConfig", false, a.serviceProviderConfig)
	route("GET /ResourceTypes", false, a.resourceTypes)
	route("GET /ResourceTypes/{id}", false, a.resourceType)
	route("GET /Schemas", false, a.schemas)
	route("GET /Schemas/{id}", false, a.schema)
	route("POST /Bulk", true, a.bulk)
	route(" /Me", true, notSupported("/Me is not supported: a SCIM token acts for an "+
		"account, not for a user"))

	// Everything else under the base answers in the SCIM error schema too:
	// 405 for a known path with another method, 404 for the rest.
	mux.Handle(base+"/", a.wrap(base, "/", false, a.fallback))
}

// wrap runs a handler with the request id, limits, authentication, the
// access log, metrics and the activity record around it.
func (a *API) wrap(base, route string, auth bool, h handler) http.Handler {
	route = base + route
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		st := &state{}
		ctx := context.WithValue(r.Context(), stateKey{}, st)
		ctx = context.WithValue(ctx, requestIDKey{}, id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)

		// Responses carry personal data and echo what clients sent: no
		// cache keeps them, and no browser reads them as anything but JSON.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if auth {
			w.Header().Set("Cache-Control", "no-store")
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		r.Body = http.MaxBytesReader(rec, r.Body, a.limits.MaxBodyBytes)

		c := &call{base: a.baseURL(r, base), prefix: base}
		c.actor.Client = directory.ClientFromUserAgent(r.UserAgent())
		err := a.authenticate(r, c, auth)
		if err == nil {
			err = checkContentType(r)
		}
		if err == nil {
			err = h(rec, r, c)
		}
		if err != nil {
			st.err = writeError(rec, r, a.log, err)
		}
		a.finish(r, rec, c, st, route, start)
	})
}

// finish writes the access log record, the metrics and the activity entry
// of one request.
func (a *API) finish(r *http.Request, rec *recorder, c *call, st *state, route string,
	start time.Time) {
	latency := time.Since(start)
	scimType, detail := "", st.detail
	if st.err != nil {
		scimType, detail = string(st.err.Type), st.err.Detail
	}
	a.log.Info("request",
		"request_id", requestID(r.Context()),
		"method", r.Method,
		"path", r.URL.Path,
		"status", rec.status,
		"scim_type", scimType,
		"bytes", rec.bytes,
		"latency_ms", float64(latency.Microseconds())/1000,
		"account_id", c.actor.AccountID,
		"client", c.actor.Client,
	)
	if a.metrics != nil {
		a.metrics.observe(route, r.Method, rec.status, latency)
	}
	if a.activity != nil && c.actor.AccountID != "" {
		tokenID := ""
		if c.token != nil {
			tokenID = c.token.ID
		}
		a.activity.Record(directory.ActivityEntry{
			AccountID: c.actor.AccountID,
			Time:      start.UTC(),
			Client:    c.actor.Client,
			Method:    r.Method,
			Path:      r.URL.Path,
			Status:    rec.status,
			ScimType:  scimType,
			Latency:   latency,
			Detail:    detail,
			RequestID: requestID(r.Context()),
			TokenID:   tokenID,
			Addr:      a.addr(r),
		})
	}
}

// baseURL is the absolute SCIM base the client used.
func (a *API) baseURL(r *http.Request, base string) string {
	if a.public != "" {
		return a.public + base
	}
	return a.scheme(r) + "://" + r.Host + base
}

// tlsScheme is the scheme of a request that reached scimd directly.
func tlsScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func (a *API) fallback(w http.ResponseWriter, r *http.Request, c *call) error {
	rest := strings.TrimPrefix(r.URL.Path, c.prefix)
	allow := allowed(rest)
	switch {
	case allow != "" && strings.HasSuffix(rest, "/"):
		// The routes end without a slash: "GET /Users/" is no other method
		// on a known endpoint but a path that names none.
		return scim.NotFound("no SCIM endpoint at %s; the endpoint is %s, without the "+
			"trailing slash", r.URL.Path, strings.TrimRight(r.URL.Path, "/"))
	case allow != "":
		w.Header().Set("Allow", allow)
		return scim.Errorf(http.StatusMethodNotAllowed, scim.ErrNone,
			"%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow)
	}
	return scim.NotFound("no SCIM endpoint at %s", r.URL.Path)
}

// allowed returns the methods a path below the base answers, or "" when it
// names no endpoint.
func allowed(rest string) string {
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(parts) == 1 && (parts[0] == "Users" || parts[0] == "Groups"):
		return "GET, POST"
	case len(parts) == 1 && (parts[0] == "ServiceProviderConfig" ||
		parts[0] == "ResourceTypes" || parts[0] == "Schemas"):
		return "GET"
	case len(parts) == 1 && (parts[0] == ".search" || parts[0] == "Bulk"),
		len(parts) == 2 && parts[1] == ".search" && (parts[0] == "Users" || parts[0] == "Groups"):
		return "POST"
	case len(parts) == 2 && (parts[0] == "Users" || parts[0] == "Groups"):
		return "GET, PUT, PATCH, DELETE"
	case len(parts) == 2 && (parts[0] == "ResourceTypes" || parts[0] == "Schemas"):
		return "GET"
	}
	return ""
}

func notSupported(detail string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		return scim.Errorf(http.StatusNotImplemented, scim.ErrNone, "%s", detail)
	}
}

// checkContentType accepts the two media types SCIM clients send; a body of
// another type is refused before it is read.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || r.ContentLength == 0 && r.Method != http.MethodPost {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "application/json", "application/scim+json":
		return nil
	}
	return scim.Errorf(http.StatusUnsupportedMediaType, scim.ErrNone,
		"Content-Type %q is not accepted; send application/scim+json or application/json", ct)
}

type (
	stateKey     struct{}
	requestIDKey struct{}
)

// state carries what the response wrapper learned back to the access log.
type state struct {
	err    *scim.Error
	detail string // what a successful response still wants recorded
}

// noteDetail records a detail for the activity entry of a request that
// succeeded as a whole but not in every part, such as a bulk request.
func noteDetail(ctx context.Context, detail string) {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		st.detail = detail
	}
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// validRequestID accepts a caller's request id when it is short and plain,
// so that it can be logged safely.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.'
		if !plain {
			return false
		}
	}
	return true
}

// remoteHost returns the host part of r.RemoteAddr, or all of it when it is
// not host:port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}
