package mgmtapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// KeyPrefix starts every operator API key, so that people and secret
// scanners can tell one from a SCIM token. It crosses the wire: never
// change it.
const KeyPrefix = "scimd_key_"

// keyPrefixLen is how much of a key is kept in clear for recognising it.
const keyPrefixLen = len(KeyPrefix) + 6

// CreateAPIKey makes an operator API key and returns its secret, which is
// stored only as a SHA-256 digest and cannot be shown again. It is what
// `scimd apikey create [--label L]` calls. Errors are the store's.
func CreateAPIKey(ctx context.Context, keys directory.APIKeyStore, label string,
	now time.Time) (string, *directory.APIKey, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read random: %w", err)
	}
	secret := KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	k := &directory.APIKey{
		ID:        uuid.NewString(),
		Label:     strings.TrimSpace(label),
		Prefix:    secret[:keyPrefixLen],
		Hash:      directory.HashToken(secret),
		CreatedAt: now.UTC(),
	}
	if err := keys.CreateAPIKey(ctx, k); err != nil {
		return "", nil, fmt.Errorf("create api key: %w", err)
	}
	return secret, k, nil
}

// authenticate returns the usable API key that r carries. Any failure
// wraps directory.ErrUnauthorized with a reason the caller can act on; a
// store failure is returned as it is.
func (a *API) authenticate(r *http.Request) (*directory.APIKey, error) {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return nil, fmt.Errorf("%w: send the header \"Authorization: Bearer %s...\" "+
			"with an API key from `scimd apikey create`", directory.ErrUnauthorized, KeyPrefix)
	}
	hash := directory.HashToken(secret)
	k, err := a.cfg.Store.APIKeyByHash(r.Context(), hash)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, fmt.Errorf("%w: the API key is not known", directory.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	// The lookup went by digest; the comparison is constant-time all the
	// same, so that no branch depends on secret bytes.
	if subtle.ConstantTimeCompare(hash, k.Hash) != 1 {
		return nil, fmt.Errorf("%w: the API key is not known", directory.ErrUnauthorized)
	}
	if k.RevokedAt != nil && !a.cfg.Now().Before(*k.RevokedAt) {
		return nil, fmt.Errorf("%w: the API key %s... was revoked", directory.ErrUnauthorized,
			k.Prefix)
	}
	return k, nil
}

// authenticated lets h run only for a request with a usable API key.
func (a *API) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		k, err := a.authenticate(r)
		if err != nil {
			if errors.Is(err, directory.ErrUnauthorized) {
				a.log.Info("management api request refused", "path", r.URL.Path,
					"client_addr", a.cfg.ClientAddr(r), "reason", err.Error())
			}
			return err
		}
		a.log.Debug("management api request", "method", r.Method, "path", r.URL.Path,
			"api_key_id", k.ID)
		return h(w, r)
	}
}

type apiKeyJSON struct {
	ID      string     `json:"id"`
	Label   string     `json:"label"`
	Prefix  string     `json:"prefix"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	Secret  string     `json:"secret,omitempty"`
}

func keyJSON(k *directory.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Label: k.Label, Prefix: k.Prefix, Created: k.CreatedAt,
		Revoked: k.RevokedAt}
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.cfg.Store.APIKeys(r.Context())
	if err != nil {
		return err
	}
	items := make([]apiKeyJSON, 0, len(keys))
	for _, k := range keys {
		items = append(items, keyJSON(k))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Label string `json:"label"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	secret, k, err := CreateAPIKey(r.Context(), a.cfg.Store, in.Label, a.cfg.Now())
	if err != nil {
		return err
	}
	a.log.Info("api key created", "api_key_id", k.ID, "prefix", k.Prefix)
	out := keyJSON(k)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.cfg.Store.RevokeAPIKey(r.Context(), id, a.cfg.Now()); err != nil {
		return err
	}
	a.log.Info("api key revoked", "api_key_id", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
