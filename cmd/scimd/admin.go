package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
)

// adminCreate makes a console user: an operator over every account, or an
// admin of one account with --account. The password comes from
// SCIMD_ADMIN_PASSWORD, or is asked for without echo on a terminal, or is
// read as one line of standard input.
func (c *command) adminCreate(args []string) error {
	var email, account string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the console user's email (required)")
		fs.StringVar(&account, "account", "", "account name or id; empty makes an operator")
	}
	return c.withStore("admin create", args, extra, func(args []string, store *sqlstore.DB) error {
		if email == "" {
			return fmt.Errorf("--email is required")
		}
		accountID := ""
		if account != "" {
			svc := directory.NewService(store)
			a, err := findAccount(c.ctx, svc, account)
			if err != nil {
				return err
			}
			accountID = a.ID
		}
		password, err := c.password()
		if err != nil {
			return err
		}
		u, err := console.CreateAdmin(c.ctx, store, email, password, accountID)
		if err != nil {
			return err
		}
		role := "operator over all accounts"
		if accountID != "" {
			role = "admin of account " + account
		}
		fmt.Fprintf(c.stdout, "console user %s created (%s)\n", u.Email, role)
		return nil
	})
}

func (c *command) password() (string, error) {
	if pw := os.Getenv("SCIMD_ADMIN_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(pw), nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no password: set SCIMD_ADMIN_PASSWORD or pass it on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
