package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/activity"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/webhook"
)

// Config is scimd's configuration: defaults, then the environment, then
// flags, each overriding the one before.
type Config struct {
	Addr        string // listen address
	DataDir     string // SQLite data directory
	DatabaseURL string // "" for SQLite in DataDir; postgres://... for PostgreSQL
	PublicURL   string // how clients reach scimd, for links and meta.location
	TLSCert     string // PEM certificate file; with TLSKey, scimd serves HTTPS itself
	TLSKey      string // PEM private key file
	LogLevel    string
	LogFormat   string // "text" or "json"

	MaxOpenConns      int
	Limits            httpapi.Limits
	ActivityRetention time.Duration
	EventRetention    time.Duration
	// WebhookAllowPrivate lets webhook endpoints point at loopback, private
	// and link-local addresses, which are refused by default so that
	// whoever configures an endpoint cannot reach scimd's own network.
	WebhookAllowPrivate bool
	// TrustedProxies lists, comma-separated, the ranges (CIDR) of the
	// reverse proxies whose X-Forwarded-For and X-Forwarded-Proto scimd
	// believes; empty believes no one. See package clientip.
	TrustedProxies string
}

// DefaultConfig is the configuration before the environment and flags.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./scimd-data",
		LogLevel:          "info",
		LogFormat:         "text",
		Limits:            httpapi.DefaultLimits,
		ActivityRetention: activity.DefaultMaxAge,
		EventRetention:    webhook.DefaultRetention,
	}
}

// envVar binds one setting to its environment variable and flag.
type envVar struct {
	env, flag, usage string
	str              *string
	num              *int
	num64            *int64
	dur              *time.Duration
	boolean          *bool
}

func (c *Config) vars() []envVar {
	return []envVar{
		{env: "SCIMD_ADDR", flag: "addr", usage: "listen address", str: &c.Addr},
		{env: "SCIMD_DATA", flag: "data", usage: "data directory (SQLite)", str: &c.DataDir},
		{env: "SCIMD_DATABASE_URL", flag: "database",
			usage: "postgres:// URL; empty uses SQLite in the data directory", str: &c.DatabaseURL},
		{env: "SCIMD_PUBLIC_URL", flag: "public-url",
			usage: "external URL, e.g. https://scim.example.com", str: &c.PublicURL},
		{env: "SCIMD_TLS_CERT", flag: "tls-cert",
			usage: "PEM certificate file; serve HTTPS with --tls-key", str: &c.TLSCert},
		{env: "SCIMD_TLS_KEY", flag: "tls-key", usage: "PEM private key file", str: &c.TLSKey},
		{env: "SCIMD_LOG_LEVEL", flag: "log-level", usage: "debug, info, warn or error",
			str: &c.LogLevel},
		{env: "SCIMD_LOG_FORMAT", flag: "log-format", usage: "text or json", str: &c.LogFormat},
		{env: "SCIMD_DB_MAX_CONNS", flag: "db-max-conns",
			usage: "database pool size (0: a default)", num: &c.MaxOpenConns},
		{env: "SCIMD_MAX_BODY_BYTES", flag: "max-body-bytes",
			usage: "largest SCIM request body", num64: &c.Limits.MaxBodyBytes},
		{env: "SCIMD_MAX_FILTER_LENGTH", flag: "max-filter-length",
			usage: "longest SCIM filter, in bytes", num: &c.Limits.MaxFilterLength},
		{env: "SCIMD_MAX_FILTER_DEPTH", flag: "max-filter-depth",
			usage: "deepest SCIM filter nesting", num: &c.Limits.MaxFilterDepth},
		{env: "SCIMD_MAX_PAGE_SIZE", flag: "max-page-size",
			usage: "largest page a list returns", num: &c.Limits.MaxPageSize},
		{env: "SCIMD_DEFAULT_PAGE_SIZE", flag: "default-page-size",
			usage: "page size when a client sends no count", num: &c.Limits.DefaultPageSize},
		{env: "SCIMD_MAX_PATCH_OPERATIONS", flag: "max-patch-operations",
			usage: "operations in one PATCH request", num: &c.Limits.MaxPatchOperations},
		{env: "SCIMD_MAX_BULK_OPERATIONS", flag: "max-bulk-operations",
			usage: "operations in one bulk request", num: &c.Limits.MaxBulkOperations},
		{env: "SCIMD_ACTIVITY_RETENTION", flag: "activity-retention",
			usage: "how long provisioning activity is kept", dur: &c.ActivityRetention},
		{env: "SCIMD_EVENT_RETENTION", flag: "event-retention",
			usage: "how long change events are kept", dur: &c.EventRetention},
		{env: "SCIMD_WEBHOOK_ALLOW_PRIVATE", flag: "webhook-allow-private",
			usage:   "let webhooks go to loopback, private and link-local addresses",
			boolean: &c.WebhookAllowPrivate},
		{env: "SCIMD_TRUSTED_PROXIES", flag: "trusted-proxies",
			usage: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For " +
				"and X-Forwarded-Proto to believe", str: &c.TrustedProxies},
	}
}

// bind reads the environment into c and registers the flags on fs, whose
// defaults are then the environment's values.
func (c *Config) bind(fs *flag.FlagSet, getenv func(string) string) error {
	for _, v := range c.vars() {
		if s := getenv(v.env); s != "" {
			if err := v.set(s); err != nil {
				return fmt.Errorf("%s: %w", v.env, err)
			}
		}
		usage := fmt.Sprintf("%s (env %s)", v.usage, v.env)
		switch {
		case v.str != nil:
			fs.StringVar(v.str, v.flag, *v.str, usage)
		case v.num != nil:
			fs.IntVar(v.num, v.flag, *v.num, usage)
		case v.num64 != nil:
			fs.Int64Var(v.num64, v.flag, *v.num64, usage)
		case v.dur != nil:
			fs.DurationVar(v.dur, v.flag, *v.dur, usage)
		case v.boolean != nil:
			fs.BoolVar(v.boolean, v.flag, *v.boolean, usage)
		}
	}
	return nil
}

func (v envVar) set(s string) error {
	var err error
	switch {
	case v.str != nil:
		*v.str = s
	case v.num != nil:
		*v.num, err = strconv.Atoi(s)
	case v.num64 != nil:
		*v.num64, err = strconv.ParseInt(s, 10, 64)
	case v.dur != nil:
		*v.dur, err = time.ParseDuration(s)
	case v.boolean != nil:
		*v.boolean, err = strconv.ParseBool(s)
	}
	return err
}

// TLS reports whether scimd serves HTTPS itself.
func (c Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// LogValue renders the effective configuration for the start-up log, with
// the database password redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("data", c.DataDir),
		slog.String("database", sqlstore.RedactURL(c.DatabaseURL)),
		slog.String("public_url", c.PublicURL),
		slog.Bool("tls", c.TLS()),
		slog.Int("db_max_conns", c.MaxOpenConns),
		slog.Int64("max_body_bytes", c.Limits.MaxBodyBytes),
		slog.Int("max_filter_length", c.Limits.MaxFilterLength),
		slog.Int("max_filter_depth", c.Limits.MaxFilterDepth),
		slog.Int("max_page_size", c.Limits.MaxPageSize),
		slog.Int("max_bulk_operations", c.Limits.MaxBulkOperations),
		slog.Duration("activity_retention", c.ActivityRetention),
		slog.Duration("event_retention", c.EventRetention),
		slog.Bool("webhook_allow_private", c.WebhookAllowPrivate),
		slog.String("trusted_proxies", c.TrustedProxies),
	)
}

func (c Config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
