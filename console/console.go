// Package console is scimd's admin web console: account admins generate SCIM
// tokens, copy the values their identity provider asks for, and watch users,
// groups and provisioning activity arrive; operators manage accounts.
//
// Pages are rendered on the server from embedded templates; the only script
// is a small one for copy buttons. Every form is protected against
// cross-origin requests by net/http's CrossOriginProtection and by SameSite
// session cookies.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// ConnectorPath is where scimd serves SCIM for identity providers, relative
// to the public URL. The console shows it as the SCIM connector base URL.
const ConnectorPath = "/api/sso/user_provisioning"

// Session lifetimes: a session ends after IdleTimeout without a request, and
// after MaxSessionAge in any case.
const (
	IdleTimeout   = 30 * time.Minute
	MaxSessionAge = 12 * time.Hour
)

// maxFormBytes bounds a form body; the largest form holds two passwords.
const maxFormBytes = 16 << 10

// Config configures the console. Service is required.
type Config struct {
	Service *directory.Service
	// Store keeps console users, sessions and activity; nil uses the
	// Service's store.
	Store directory.ConsoleStore
	// PublicURL is the scheme and host under which identity providers reach
	// scimd, as in "https://scim.example.com". When empty, it is derived
	// from each request's Host.
	PublicURL string
	// Secure marks the console as served over HTTPS (directly or behind a
	// proxy): cookies get the Secure flag and the __Host- prefix.
	Secure bool
	// ClientAddr returns the address that sign-in throttling counts
	// failures under. The default is the host of the request's RemoteAddr;
	// behind a proxy, pass one that trusts its forwarding header, such as
	// clientip.Resolver.Addr.
	ClientAddr func(*http.Request) string
	// Scheme returns "http" or "https", the scheme a request was made
	// with, for the links the console shows when PublicURL is empty. The
	// default says "https" for a request over TLS; behind a proxy that
	// ends TLS, pass one that trusts its X-Forwarded-Proto, such as
	// clientip.Resolver.Scheme. Secure makes every link https.
	Scheme func(*http.Request) string
	// AllowPrivateWebhooks lets operators, never account admins, add
	// endpoints at loopback, private and other non-public addresses. Set it
	// with the webhook dispatcher's AllowPrivate, which lets deliveries
	// reach them.
	AllowPrivateWebhooks bool
	// Webhooks sends test events and starts delivery at once after an
	// endpoint is added or enabled; nil hides the test button.
	Webhooks Webhooks
	Logger   *slog.Logger
	Now      func() time.Time // for tests; default time.Now
}

// Webhooks is the part of the webhook dispatcher that the console drives.
// *webhook.Dispatcher implements it.
type Webhooks interface {
	// SendTest delivers a test event to e at once and returns the attempt,
	// failed or not. Its error is for an attempt that could not be made or
	// recorded.
	SendTest(ctx context.Context, e *directory.Endpoint) (*directory.Delivery, error)
	// Kick asks for a delivery round now.
	Kick()
}

// server holds the console's parsed templates and configuration.
type server struct {
	svc   *directory.Service
	store directory.Store
	cs    directory.ConsoleStore
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
}

// New returns the console's handler, to be mounted at "/" beside the SCIM
// routes; it answers every path it does not know with a 404 page. It returns
// an error when cfg has no Service. The handler is safe for concurrent use.
func New(cfg Config) (http.Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("console: a Service is required")
	}
	if cfg.Store == nil {
		cfg.Store = cfg.Service.Store()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = remoteHost
	}
	if cfg.Scheme == nil {
		cfg.Scheme = tlsScheme
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &server{
		svc:   cfg.Service,
		store: cfg.Service.Store(),
		cs:    cfg.Store,
		cfg:   cfg,
		log:   cfg.Logger.With("component", "console"),
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	return cop.Handler(s.routes()), nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(assetFS, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler(assets)))

	mux.Handle("GET /signin", s.handle(s.signInPage))
	mux.Handle("POST /signin", s.handle(s.signIn))
	mux.Handle("POST /signout", s.handle(s.signOut))
	mux.Handle("GET /setup/{token}", s.handle(s.setupPage))
	mux.Handle("POST /setup/{token}", s.handle(s.setup))

	mux.Handle("GET /{$}", s.authed(s.home))
	mux.Handle("GET /accounts", s.authed(s.accounts))
	mux.Handle("POST /accounts", s.authed(s.createAccount))
	mux.Handle("GET /accounts/{id}", s.authed(s.accountHome))
	mux.Handle("GET /accounts/{id}/sso", s.authed(s.sso))
	mux.Handle("POST /accounts/{id}/tokens", s.authed(s.generateToken))
	mux.Handle("POST /accounts/{id}/tokens/{tid}/regenerate", s.authed(s.regenerateToken))
	mux.Handle("POST /accounts/{id}/tokens/{tid}/revoke", s.authed(s.revokeToken))
	mux.Handle("GET /accounts/{id}/users", s.authed(s.users))
	mux.Handle("GET /accounts/{id}/users/{uid}", s.authed(s.user))
	mux.Handle("GET /accounts/{id}/groups", s.authed(s.groups))
	mux.Handle("GET /accounts/{id}/groups/{gid}", s.authed(s.group))
	mux.Handle("GET /accounts/{id}/activity", s.authed(s.activity))
	mux.Handle("GET /accounts/{id}/webhooks", s.authed(s.webhooks))
	mux.Handle("POST /accounts/{id}/webhooks", s.authed(s.createEndpoint))
	mux.Handle("POST /accounts/{id}/webhooks/{wid}/{action}", s.authed(s.endpointAction))
	mux.Handle("GET /accounts/{id}/admins", s.authed(s.admins))
	mux.Handle("POST /accounts/{id}/admins", s.authed(s.addAdmin))
	mux.Handle("POST /accounts/{id}/admins/{uid}/remove", s.authed(s.removeAdmin))
	mux.Handle("GET /operators", s.authed(s.operators))
	mux.Handle("POST /operators", s.authed(s.addOperator))
	mux.Handle("POST /operators/{uid}/remove", s.authed(s.removeOperator))
	mux.Handle("GET /password", s.authed(s.passwordPage))
	mux.Handle("POST /password", s.authed(s.changePassword))

	mux.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return notFound("There is no page at this address.")
	}))
	return headers(mux)
}

// headers sets the headers every console response carries. Pages hold
// secrets and personal data: nothing is cached, framed or sent on as a
// referrer to another site.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; "+
			"script-src 'self'; img-src 'self'; form-action 'self'; "+
			"frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

func assetHandler(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// httpError is an error a person should read: its message is shown as it
// is, with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.msg) }

func notFound(msg string) error { return &httpError{http.StatusNotFound, msg} }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// handle adapts a handler that returns an error. Errors meant for people are
// shown with their status; any other is logged with its cause and shown as
// an internal error without it.
func (s *server) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var he *httpError
		switch {
		case errors.As(err, &he):
		case errors.Is(err, directory.ErrNotFound):
			he = &httpError{http.StatusNotFound, "There is nothing here, or it was deleted."}
		case errors.Is(err, directory.ErrUnavailable):
			s.log.Error("database unavailable", "method", r.Method, "path", r.URL.Path,
				"error", err)
			he = &httpError{http.StatusServiceUnavailable,
				"The database cannot be reached. Try again in a minute."}
		default:
			s.log.Error("console request failed", "method", r.Method, "path", r.URL.Path,
				"error", err)
			he = &httpError{http.StatusInternalServerError,
				"Something went wrong on our side. It was logged; try again."}
		}
		s.render(w, r, he.status, "error", &view{Title: http.StatusText(he.status),
			Error: he.msg})
	})
}

// crossOrigin answers a form posted from another site.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	s.render(w, r, http.StatusForbidden, "error", &view{Title: "Forbidden",
		Error: "This form was sent from another site, so it was refused. " +
			"Open the console directly and try again."})
}

// publicURL returns the scheme and host identity providers use.
func (s *server) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := s.cfg.Scheme(r)
	if s.cfg.Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tlsScheme is the scheme of a request that reached scimd directly.
func tlsScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// remoteHost returns the host part of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// parseForm reads a form body of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("The form is larger than %d bytes.", maxFormBytes)}
		}
		return badRequest("The form could not be read: %v.", err)
	}
	return nil
}
