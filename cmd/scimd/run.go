package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/sqlstore"
)

const usage = `scimd: a SCIM 2.0 provisioning service

Usage:
  scimd serve [flags]                       run the server (SQLite in ./scimd-data by default)
  scimd migrate [flags]                     apply database migrations and exit
  scimd copy --from DIR --to postgres://... move a SQLite installation to PostgreSQL
  scimd account create NAME                 create an account; prints its id
  scimd account list                        list accounts
  scimd token create --account NAME [--label L] [--expires DURATION]
                                            create a SCIM token; prints it once
  scimd token list --account NAME           list an account's tokens (never the secrets)
  scimd token revoke ID                     stop a token at once
  scimd apikey create [--label L]           create a management API key; prints it once
  scimd admin create --email E [--account NAME]
                                            create a console user (no --account: an operator);
                                            password from SCIMD_ADMIN_PASSWORD or a prompt

Every command takes the database flags (--data, --database); "scimd serve -h"
lists all settings. Settings also come from SCIMD_* environment variables.
`

// Run carries out one command line and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd := &command{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, cfg: DefaultConfig()}
	name := args[0]
	args = args[1:]
	grouped := name == "account" || name == "token" || name == "apikey" || name == "admin"
	if grouped && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name += " " + args[0]
		args = args[1:]
	}
	run, ok := cmd.commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "scimd: unknown command %q\n\n%s", name, usage)
		return 2
	}
	if err := run(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "scimd %s: %v\n", name, err)
		return 1
	}
	return 0
}

type command struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            Config
}

func (c *command) commands() map[string]func([]string) error {
	return map[string]func([]string) error{
		"serve":          c.serve,
		"migrate":        c.migrate,
		"copy":           c.copyData,
		"account create": c.accountCreate,
		"account list":   c.accountList,
		"token create":   c.tokenCreate,
		"token list":     c.tokenList,
		"token revoke":   c.tokenRevoke,
		"apikey create":  c.apikeyCreate,
		"admin create":   c.adminCreate,
	}
}

// flags returns a flag set with the configuration bound to it; more flags
// may be added before parse.
func (c *command) flags(name string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("scimd "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if err := c.cfg.bind(fs, os.Getenv); err != nil {
		return nil, err
	}
	return fs, nil
}

// parse parses flags wherever they stand among the positional arguments,
// so that "scimd account create acme --data /srv/scimd" works as written.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = fs.Args()[1:]
	}
}

func (c *command) logger() *slog.Logger {
	return c.cfg.logger(c.stderr)
}

func (c *command) serve(args []string) error {
	fs, err := c.flags("serve")
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	m := &Main{Config: c.cfg, Logger: c.logger()}
	if err := m.Open(c.ctx); err != nil {
		return err
	}
	err = m.Wait(c.ctx)
	m.Logger.Info("shutting down")
	return errors.Join(err, m.Close())
}

func (c *command) migrate(args []string) error {
	fs, err := c.flags("migrate")
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := openStore(c.ctx, c.cfg, c.logger(), true)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "migrations applied")
	return store.Close()
}

// withService parses flags and runs fn with a service over the configured
// database; the server may be running at the same time.
func (c *command) withService(name string, args []string, extra func(*flag.FlagSet),
	fn func(args []string, svc *directory.Service) error) error {
	return c.withStore(name, args, extra, func(args []string, store *sqlstore.DB) error {
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		return fn(args, directory.NewService(store, directory.WithLogger(quiet)))
	})
}

// withStore parses flags and runs fn with the configured database, migrated.
func (c *command) withStore(name string, args []string, extra func(*flag.FlagSet),
	fn func(args []string, store *sqlstore.DB) error) error {
	fs, err := c.flags(name)
	if err != nil {
		return err
	}
	if extra != nil {
		extra(fs)
	}
	args, err = parse(fs, args)
	if err != nil {
		return err
	}
	// Commands print their result on stdout; only problems go to the log.
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(c.ctx, c.cfg, log, true)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(args, store)
}

func (c *command) accountCreate(args []string) error {
	run := func(args []string, svc *directory.Service) error {
		if len(args) != 1 {
			return fmt.Errorf("give the account's name: scimd account create NAME")
		}
		a, err := svc.CreateAccount(c.ctx, args[0])
		if errors.Is(err, directory.ErrConflict) {
			return fmt.Errorf("an account named %q exists already", args[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, a.ID)
		return nil
	}
	return c.withService("account create", args, nil, run)
}

func (c *command) accountList(args []string) error {
	return c.withService("account list", args, nil, func(args []string, svc *directory.Service) error {
		accounts, err := svc.Accounts(c.ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, a := range accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, a.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func (c *command) tokenCreate(args []string) error {
	var account, label string
	var expires time.Duration
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&account, "account", "", "account name or id (required)")
		fs.StringVar(&label, "label", "", "a label to recognise the token by")
		fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 8760h; 0 never expires")
	}
	run := func(args []string, svc *directory.Service) error {
		a, err := findAccount(c.ctx, svc, account)
		if err != nil {
			return err
		}
		secret, _, err := svc.CreateToken(c.ctx, a.ID, label, expires)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, secret)
		return nil
	}
	return c.withService("token create", args, extra, run)
}

func (c *command) tokenList(args []string) error {
	var account string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&account, "account", "", "account name or id (required)")
	}
	return c.withService("token list", args, extra, func(args []string, svc *directory.Service) error {
		a, err := findAccount(c.ctx, svc, account)
		if err != nil {
			return err
		}
		tokens, err := svc.Tokens(c.ctx, a.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tPREFIX\tCREATED\tLAST USED\tEXPIRES\tSTATUS")
		now := time.Now()
		for _, t := range tokens {
			status := "active"
			if !t.Usable(now) {
				status = "revoked or expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Label), t.Prefix,
				t.CreatedAt.Format(time.RFC3339), lastUse(t), timeOrDash(t.ExpiresAt), status)
		}
		return tw.Flush()
	})
}

func (c *command) tokenRevoke(args []string) error {
	return c.withService("token revoke", args, nil, func(args []string, svc *directory.Service) error {
		if len(args) != 1 {
			return fmt.Errorf("give the token's id: scimd token revoke ID")
		}
		t, err := svc.TokenByID(c.ctx, args[0])
		if err != nil {
			return fmt.Errorf("find token %q: %w", args[0], err)
		}
		if err := svc.RevokeToken(c.ctx, t.AccountID, t.ID); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "token %s revoked\n", t.ID)
		return nil
	})
}

func (c *command) apikeyCreate(args []string) error {
	var label string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&label, "label", "", "a label to recognise the key by")
	}
	return c.withStore("apikey create", args, extra, func(args []string, store *sqlstore.DB) error {
		secret, _, err := mgmtapi.CreateAPIKey(c.ctx, store, label, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, secret)
		return nil
	})
}

func findAccount(ctx context.Context, svc *directory.Service,
	ref string) (*directory.Account, error) {
	if ref == "" {
		return nil, fmt.Errorf("--account is required")
	}
	a, err := svc.FindAccount(ctx, ref)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, fmt.Errorf("no account named %q; create it with: scimd account create %s", ref, ref)
	}
	return a, err
}

func lastUse(t *directory.Token) string {
	if t.LastUsedAt == nil {
		return "never"
	}
	return t.LastUsedAt.Format(time.RFC3339) + " from " + t.LastUsedAddr
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
