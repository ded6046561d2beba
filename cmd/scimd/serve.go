package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scimd/scimd/activity"
	"github.com/scimd/scimd/clientip"
	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/webhook"
)

// maxHeaderBytes bounds a request's headers: identity providers send a few
// hundred bytes, browsers a few kilobytes of cookies; net/http's default of
// 1 MiB per request only helps a flood.
const maxHeaderBytes = 64 << 10

// Main is a running scimd server: the store, the service and the HTTP
// listener, wired together. Tests start it on port 0 and use Addr.
type Main struct {
	Config Config
	Logger *slog.Logger

	store   *sqlstore.DB
	service *directory.Service
	changes *directory.Changes
	ln      net.Listener
	server  *http.Server
	done    chan error
	closers []func(context.Context) error
	// dispatcher delivers webhooks; the console sends test events with it.
	dispatcher *webhook.Dispatcher
}

// Open opens the store, applies migrations and starts serving in the
// background. Close stops it.
func (m *Main) Open(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	if (m.Config.TLSCert == "") != (m.Config.TLSKey == "") {
		return fmt.Errorf("serve HTTPS: give both --tls-cert and --tls-key")
	}
	proxies, err := m.proxies()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, m.Config, m.Logger, true)
	if err != nil {
		return err
	}
	m.store = store
	m.changes = &directory.Changes{}
	m.service = directory.NewService(directory.NotifyWrites(store, m.changes),
		directory.WithLogger(m.Logger.With("component", "directory")))

	rec := activity.NewRecorder(store, activity.Config{Logger: m.Logger})
	m.closers = append(m.closers, rec.Close)
	pctx, stopPruner := context.WithCancel(context.Background())
	go activity.NewPruner(store, activity.PrunerConfig{
		MaxAge: m.Config.ActivityRetention, Logger: m.Logger}).Run(pctx)
	m.closers = append(m.closers, func(context.Context) error { stopPruner(); return nil })

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	api := httpapi.New(httpapi.Config{
		Service:    m.service,
		Limits:     m.Config.Limits,
		Logger:     m.Logger,
		PublicURL:  m.Config.PublicURL,
		Metrics:    httpapi.NewMetrics(reg),
		Activity:   rec,
		ClientAddr: proxies.Addr,
		Scheme:     proxies.Scheme,
	})
	api.Register(mux)
	if err := m.startEvents(mux, proxies); err != nil {
		m.Close()
		return err
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	ui, err := console.New(console.Config{
		Service:    m.service,
		PublicURL:  m.Config.PublicURL,
		Secure:     m.Config.TLS() || strings.HasPrefix(m.Config.PublicURL, "https://"),
		ClientAddr: proxies.Addr,
		Scheme:     proxies.Scheme,
		Logger:     m.Logger,
		Webhooks:   m.dispatcher,
		// Operators may add private endpoints when deliveries may reach them.
		AllowPrivateWebhooks: m.Config.WebhookAllowPrivate,
	})
	if err != nil {
		m.Close()
		return fmt.Errorf("start console: %w", err)
	}
	mux.Handle("/", ui)

	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		store.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	m.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.done = make(chan error, 1)
	go func() {
		if m.Config.TLS() {
			m.done <- m.server.ServeTLS(ln, m.Config.TLSCert, m.Config.TLSKey)
			return
		}
		m.done <- m.server.Serve(ln)
	}()
	m.announce(ctx)
	return nil
}

// proxies reads the trusted proxies of the configuration. Trusting every
// address is allowed, for a scimd that only its proxies can reach, but
// logged: where clients reach scimd directly, it lets each choose the
// address that sign-in throttling counts it under.
func (m *Main) proxies() (*clientip.Resolver, error) {
	r, err := clientip.Parse(m.Config.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	for _, p := range r.Prefixes() {
		if p.Bits() == 0 {
			m.Logger.Warn("every address is a trusted proxy: clients that reach scimd "+
				"directly choose the address they are counted under", "range", p.String())
		}
	}
	return r, nil
}

// startEvents mounts the management API and starts webhook delivery and
// event retention, which stop at Close.
func (m *Main) startEvents(mux *http.ServeMux, proxies *clientip.Resolver) error {
	d, err := webhook.New(webhook.Config{Store: m.store, Changes: m.changes, Logger: m.Logger,
		AllowPrivate: m.Config.WebhookAllowPrivate})
	if err != nil {
		return err
	}
	d.Start()
	m.closers = append(m.closers, d.Stop)
	m.dispatcher = d

	ret := &webhook.Retention{Store: m.store, Age: m.Config.EventRetention, Logger: m.Logger}
	ret.Start()
	m.closers = append(m.closers, func(context.Context) error { ret.Stop(); return nil })

	api, err := mgmtapi.New(mgmtapi.Config{
		Service:              m.service,
		Store:                m.store,
		Changes:              m.changes,
		Webhooks:             d,
		AllowPrivateWebhooks: m.Config.WebhookAllowPrivate,
		ClientAddr:           proxies.Addr,
		Logger:               m.Logger,
	})
	if err != nil {
		return err
	}
	mux.Handle(mgmtapi.Prefix+"/", api)
	return nil
}

// URL is the base URL the server answers at.
func (m *Main) URL() string {
	if m.Config.PublicURL != "" {
		return strings.TrimRight(m.Config.PublicURL, "/")
	}
	if m.Config.TLS() {
		return "https://" + m.ln.Addr().String()
	}
	return "http://" + m.ln.Addr().String()
}

// Service returns the running directory service.
func (m *Main) Service() *directory.Service { return m.service }

// announce tells the operator where everything is and, while no console
// user exists, how to create the first one.
func (m *Main) announce(ctx context.Context) {
	base := m.URL()
	where := m.Config.DataDir
	if m.Config.DatabaseURL != "" {
		where = sqlstore.RedactURL(m.Config.DatabaseURL)
	}
	m.Logger.Info("scimd started",
		"console", base+"/",
		"scim_connector_base_url", base+httpapi.Bases[1],
		"scim_base_url", base+httpapi.Bases[0],
		"database", where,
		"config", m.Config)

	link, err := console.SetupLink(ctx, m.store)
	if err != nil {
		m.Logger.Error("make console setup link", "error", err)
		return
	}
	if link != "" {
		m.Logger.Warn("no console user yet: open this link within an hour to create the "+
			"first operator, then generate a SCIM token under Settings > Single Sign-On (SSO)",
			"setup_url", base+link)
	} else {
		m.Logger.Info("sign in to the console to generate a SCIM token under "+
			"Settings > Single Sign-On (SSO), or run: scimd token create --account NAME",
			"console", base+"/")
	}
}

// Wait blocks until the server fails or ctx ends.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case err := <-m.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops accepting requests, lets running ones finish for up to 20
// seconds, stops the background workers and closes the store.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errs []error
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i](ctx))
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

func openStore(ctx context.Context, cfg Config, log *slog.Logger,
	migrate bool) (*sqlstore.DB, error) {
	store, err := sqlstore.Open(ctx, sqlstore.Config{
		URL:          cfg.DatabaseURL,
		DataDir:      cfg.DataDir,
		MaxOpenConns: cfg.MaxOpenConns,
		Migrate:      migrate,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return store, nil
}
