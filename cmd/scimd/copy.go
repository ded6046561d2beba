package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/scimd/scimd/sqlstore"
)

// copyData moves a SQLite installation into an empty PostgreSQL database:
//
//	scimd copy --from ./scimd-data --to postgres://...
//
// Stop scimd before copying: writes after the copy's snapshot stay behind.
func (c *command) copyData(args []string) error {
	fs := flag.NewFlagSet("scimd copy", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	from := fs.String("from", "", "SQLite data directory (or its scimd.db file) to copy")
	to := fs.String("to", "", "postgres:// URL of an empty database or schema")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: give --from DIR --to URL", fs.Arg(0))
	}
	src, err := sqliteSource(*from)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		return errors.New("--to must be the postgres:// URL of an empty database " +
			"(add ?search_path=NAME to copy into a schema)")
	}
	cfg := c.cfg
	cfg.LogLevel = *level
	log := cfg.logger(c.stderr)

	// The source is migrated as scimd serve would; the target is left to
	// Copy, which first makes sure it is empty.
	fromDB, err := sqlstore.Open(c.ctx, sqlstore.Config{URL: "sqlite:" + src, Migrate: true,
		Logger: log})
	if err != nil {
		return fmt.Errorf("open source %s: %w", src, err)
	}
	defer fromDB.Close()
	toDB, err := sqlstore.Open(c.ctx, sqlstore.Config{URL: *to, MaxOpenConns: 2, Logger: log})
	if err != nil {
		return fmt.Errorf("open target: %w", err)
	}
	defer toDB.Close()

	stats, err := sqlstore.Copy(c.ctx, fromDB, toDB)
	if err != nil {
		return err
	}
	log.Info("copy done", "rows", stats.Rows(), "from", src, "to", sqlstore.RedactURL(*to))
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\t")
	for _, t := range stats.Tables {
		fmt.Fprintf(tw, "%s\t%d\t\n", t.Name, t.Rows)
	}
	fmt.Fprintf(tw, "total\t%d\t\n", stats.Rows())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "copied to %s; start scimd with --database pointing there\n",
		sqlstore.RedactURL(*to))
	return nil
}

// sqliteSource returns the SQLite file that --from names: a data directory
// holding scimd.db, or the file itself. It never creates one, so that a
// mistyped path fails instead of copying an empty installation.
func sqliteSource(from string) (string, error) {
	if from == "" {
		return "", errors.New("--from is required: the data directory scimd serve used " +
			"(--data, default ./scimd-data)")
	}
	info, err := os.Stat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("--from %q does not exist: give the data directory scimd "+
			"serve used (--data)", from)
	}
	if err != nil {
		return "", fmt.Errorf("read --from %q: %w", from, err)
	}
	path := from
	if info.IsDir() {
		path = filepath.Join(from, "scimd.db")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no scimd database in %q: expected %s", from, path)
	} else if err != nil {
		return "", fmt.Errorf("read %q: %w", path, err)
	}
	return path, nil
}
