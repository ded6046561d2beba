package httpapi

import (
	"net/http"
	"strings"

	"github.com/scimd/scimd/directory"
)

// authenticate resolves the request's bearer token to its account. Routes
// that need no token (discovery) still learn the account when one is sent,
// so that their activity is recorded.
func (a *API) authenticate(r *http.Request, c *call, required bool) error {
	secret := bearer(r.Header.Get("Authorization"))
	if secret == "" && !required {
		return nil
	}
	t, err := a.svc.Authenticate(r.Context(), secret, a.addr(r))
	if err != nil {
		if required {
			return err
		}
		return nil
	}
	c.token = t
	c.actor.AccountID = t.AccountID
	return nil
}

// bearer extracts the token from an Authorization header. Besides the
// standard "Bearer TOKEN" it takes a bare scimd token, which some identity
// providers send when told to use "HTTP Header" authentication.
func bearer(h string) string {
	h = strings.TrimSpace(h)
	scheme, rest, ok := strings.Cut(h, " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest)
	}
	if strings.HasPrefix(h, directory.TokenPrefix) {
		return h
	}
	return ""
}
