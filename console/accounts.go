package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/scimd/scimd/directory"
)

// Input limits of the account and token forms.
const (
	maxAccountNameLen = 100
	maxLabelLen       = 100
)

// overlaps are the choices for how long a regenerated token's predecessor
// keeps working. The default gives an identity provider admin a day to
// paste the new token.
var overlaps = []struct {
	Value, Label string
	D            time.Duration
}{
	{"0s", "Stop the old token now", 0},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
	{"168h", "7 days", 7 * 24 * time.Hour},
}

const defaultOverlap = "24h"

type accountsData struct {
	Accounts []*directory.Account
	Name     string
}

func (s *server) accounts(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccounts(w, r, http.StatusOK, "", "")
}

func (s *server) renderAccounts(w http.ResponseWriter, r *http.Request, status int, msg,
	name string) error {
	if u, _ := userFrom(r); !u.Operator() {
		return notFound("Only operators see the list of accounts.")
	}
	list, err := s.svc.Accounts(r.Context())
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	s.render(w, r, status, "accounts", &view{Title: "Accounts", Error: msg,
		Data: accountsData{Accounts: list, Name: name}})
	return nil
}

func (s *server) createAccount(w http.ResponseWriter, r *http.Request) error {
	if u, _ := userFrom(r); !u.Operator() {
		return notFound("Only operators create accounts.")
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := r.PostFormValue("name")
	if utf8.RuneCountInString(name) > maxAccountNameLen {
		return s.renderAccounts(w, r, http.StatusBadRequest, fmt.Sprintf(
			"Choose a name of at most %d characters.", maxAccountNameLen), name)
	}
	a, err := s.svc.CreateAccount(r.Context(), name)
	switch {
	case errors.Is(err, directory.ErrInvalid):
		return s.renderAccounts(w, r, http.StatusBadRequest,
			"Enter a name for the account.", name)
	case errors.Is(err, directory.ErrConflict):
		return s.renderAccounts(w, r, http.StatusConflict,
			"An account with this name exists. Choose another name.", name)
	case err != nil:
		return err
	}
	http.Redirect(w, r, accountPath(a.ID, "sso"), http.StatusSeeOther)
	return nil
}

func accountPath(id, page string) string {
	return "/accounts/" + url.PathEscape(id) + "/" + page
}

func (s *server) accountHome(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, accountPath(a.ID, "sso"), http.StatusSeeOther)
	return nil
}

// tokenRow is a token as the token list shows it.
type tokenRow struct {
	*directory.Token
	Status string
	Usable bool
}

type ssoData struct {
	ConnectorURL  string
	Tokens        []tokenRow
	NewToken      string // the secret, in the response that created it only
	NewTokenLabel string
	Overlaps      any
	Default       string
	Users, Groups int
	Last          *directory.ActivityEntry
}

func (s *server) sso(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Has("revoked") {
		flash = "Token revoked. Requests that present it are refused from now on."
	}
	return s.renderSSO(w, r, a, http.StatusOK, flash, "", nil)
}

// renderSSO shows the single sign-on settings. A secret is passed only by
// the handler that just created it: it is in that response and nowhere else.
func (s *server) renderSSO(w http.ResponseWriter, r *http.Request, a *directory.Account,
	status int, flash, msg string, created *createdToken) error {
	ctx := r.Context()
	tokens, err := s.svc.Tokens(ctx, a.ID)
	if err != nil {
		return fmt.Errorf("list tokens of %q: %w", a.ID, err)
	}
	now := s.cfg.Now()
	d := ssoData{
		ConnectorURL: s.publicURL(r) + ConnectorPath,
		Overlaps:     overlaps,
		Default:      defaultOverlap,
	}
	for _, t := range tokens {
		d.Tokens = append(d.Tokens, tokenRow{t, tokenStatus(t, now), t.Usable(now)})
	}
	if created != nil {
		d.NewToken, d.NewTokenLabel = created.secret, created.token.Label
	}

	// The counts and the last request show at a glance whether the identity
	// provider is connected.
	for kind, n := range map[directory.Kind]*int{directory.KindUser: &d.Users,
		directory.KindGroup: &d.Groups} {
		p, err := s.store.List(ctx, a.ID, kind, directory.Query{StartIndex: 1})
		if err != nil {
			return fmt.Errorf("count %s resources of %q: %w", kind, a.ID, err)
		}
		*n = p.Total
	}
	last, err := s.cs.Activity(ctx, a.ID, directory.ActivityQuery{Limit: 1})
	if err != nil {
		return fmt.Errorf("read activity of %q: %w", a.ID, err)
	}
	if len(last) > 0 {
		d.Last = last[0]
	}

	s.render(w, r, status, "sso", &view{Title: "Single Sign-On (SSO) · " + a.Name,
		Account: a, Section: "sso", Flash: flash, Error: msg, Data: d})
	return nil
}

type createdToken struct {
	secret string
	token  *directory.Token
}

func tokenStatus(t *directory.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil && !now.Before(*t.RevokedAt):
		return "Revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "Expired"
	case t.ExpiresAt != nil:
		return "Active, ends " + t.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return "Active"
}

func (s *server) generateToken(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	label := r.PostFormValue("label")
	if utf8.RuneCountInString(label) > maxLabelLen {
		return s.renderSSO(w, r, a, http.StatusBadRequest, "", fmt.Sprintf(
			"Choose a label of at most %d characters.", maxLabelLen), nil)
	}
	secret, t, err := s.svc.CreateToken(r.Context(), a.ID, label, 0)
	if err != nil {
		return err
	}
	s.audit(r, "token generated", a.ID, t.ID)
	return s.renderSSO(w, r, a, http.StatusOK, "", "", &createdToken{secret, t})
}

func (s *server) regenerateToken(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	choice := r.PostFormValue("overlap")
	if choice == "" {
		choice = defaultOverlap
	}
	overlap := time.Duration(-1)
	for _, o := range overlaps {
		if o.Value == choice {
			overlap = o.D
		}
	}
	if overlap < 0 {
		return badRequest("Choose how long the old token keeps working from the list.")
	}
	id := r.PathValue("tid")
	secret, t, err := s.svc.RotateToken(r.Context(), a.ID, id, overlap)
	if errors.Is(err, directory.ErrNotFound) {
		return notFound("This account has no such token.")
	}
	if err != nil {
		return err
	}
	s.audit(r, "token regenerated", a.ID, t.ID, "old_token_id", id, "overlap", overlap.String())
	return s.renderSSO(w, r, a, http.StatusOK, "", "", &createdToken{secret, t})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	id := r.PathValue("tid")
	err = s.svc.RevokeToken(r.Context(), a.ID, id)
	if errors.Is(err, directory.ErrNotFound) {
		return notFound("This account has no such token.")
	}
	if err != nil {
		return err
	}
	s.audit(r, "token revoked", a.ID, id)
	http.Redirect(w, r, accountPath(a.ID, "sso")+"?revoked=1", http.StatusSeeOther)
	return nil
}

// audit logs a change made in the console with who made it.
func (s *server) audit(r *http.Request, msg, accountID, tokenID string, kv ...any) {
	u, _ := userFrom(r)
	args := append([]any{"account_id", accountID, "token_id", tokenID, "by", u.Email}, kv...)
	s.log.Info(msg, args...)
}
