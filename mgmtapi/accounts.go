package mgmtapi

import (
	"net/http"
	"time"

	"github.com/scimd/scimd/directory"
)

// Bounds on durations a client asks for.
const (
	maxTokenTTL    = 5 * 365 * 24 * time.Hour
	maxOverlap     = 30 * 24 * time.Hour
	defaultOverlap = 24 * time.Hour
)

type accountJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func accountOut(a *directory.Account) accountJSON {
	return accountJSON{ID: a.ID, Name: a.Name, Created: a.CreatedAt}
}

func (a *API) listAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := a.cfg.Service.Accounts(r.Context())
	if err != nil {
		return err
	}
	items := make([]accountJSON, 0, len(list))
	for _, acc := range list {
		items = append(items, accountOut(acc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	acc, err := a.cfg.Service.CreateAccount(r.Context(), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, accountOut(acc))
	return nil
}

// account returns the account the path names, or an error for 404.
func (a *API) account(r *http.Request) (*directory.Account, error) {
	return a.cfg.Service.Account(r.Context(), r.PathValue("account"))
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountOut(acc))
	return nil
}

func (a *API) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Service.DeleteAccount(r.Context(), r.PathValue("account")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tokenJSON struct {
	ID           string     `json:"id"`
	AccountID    string     `json:"account_id"`
	Label        string     `json:"label"`
	Prefix       string     `json:"prefix"`
	Status       string     `json:"status"`
	Created      time.Time  `json:"created"`
	Expires      *time.Time `json:"expires,omitempty"`
	Revoked      *time.Time `json:"revoked,omitempty"`
	LastUsed     *time.Time `json:"last_used,omitempty"`
	LastUsedAddr string     `json:"last_used_addr,omitempty"`
	Secret       string     `json:"secret,omitempty"`
}

func tokenOut(t *directory.Token, now time.Time) tokenJSON {
	status := "active"
	switch {
	case t.RevokedAt != nil && !now.Before(*t.RevokedAt):
		status = "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		status = "expired"
	}
	return tokenJSON{ID: t.ID, AccountID: t.AccountID, Label: t.Label, Prefix: t.Prefix,
		Status: status, Created: t.CreatedAt, Expires: t.ExpiresAt, Revoked: t.RevokedAt,
		LastUsed: t.LastUsedAt, LastUsedAddr: t.LastUsedAddr}
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	list, err := a.cfg.Service.Tokens(r.Context(), acc.ID)
	if err != nil {
		return err
	}
	now := a.cfg.Now()
	items := make([]tokenJSON, 0, len(list))
	for _, t := range list {
		items = append(items, tokenOut(t, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Label      string `json:"label"`
		TTLSeconds int64  `json:"ttl_seconds"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	// Seconds are compared before they become a Duration, whose nanoseconds
	// would overflow into a small or negative value for a huge input.
	if in.TTLSeconds < 0 || in.TTLSeconds > int64(maxTokenTTL/time.Second) {
		return invalid("ttl_seconds is 0 (never expires) or up to %d, not %d",
			int64(maxTokenTTL/time.Second), in.TTLSeconds)
	}
	ttl := time.Duration(in.TTLSeconds) * time.Second
	secret, t, err := a.cfg.Service.CreateToken(r.Context(), r.PathValue("account"), in.Label, ttl)
	if err != nil {
		return err
	}
	out := tokenOut(t, a.cfg.Now())
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) rotateToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	overlap := defaultOverlap
	if n := in.OverlapSeconds; n != nil {
		if *n < 0 || *n > int64(maxOverlap/time.Second) {
			return invalid("overlap_seconds is 0 (the old token stops at once) to %d, not %d",
				int64(maxOverlap/time.Second), *n)
		}
		overlap = time.Duration(*n) * time.Second
	}
	secret, t, err := a.cfg.Service.RotateToken(r.Context(), r.PathValue("account"),
		r.PathValue("token"), overlap)
	if err != nil {
		return err
	}
	out := tokenOut(t, a.cfg.Now())
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	err := a.cfg.Service.RevokeToken(r.Context(), r.PathValue("account"), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
