// Package scimdclient is the vendor's side of scimd: a client of the
// management API (accounts, SCIM tokens, users, groups, the change feed,
// webhook endpoints) and verification of signed webhooks. It imports
// nothing of scimd, so an application can vendor it alone.
package scimdclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls scimd's management API. It is safe for concurrent use.
type Client struct {
	base string // e.g. https://scimd.example.com/api/v1, without a trailing slash
	key  string
	// HTTP sends the requests. New sets an http.Client whose timeout
	// leaves room for the change feed's long polls.
	HTTP *http.Client
}

// New returns a client of the API at baseURL (the server's address, with or
// without "/api/v1") that authenticates with an operator API key.
func New(baseURL, apiKey string) *Client {
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(base, "/api/v1") {
		base += "/api/v1"
	}
	return &Client{base: base, key: apiKey, HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// Error is an error answer of the API.
type Error struct {
	Status  int    // the HTTP status
	Code    string // "invalid", "not_found", "conflict", "unauthorized", ...
	Message string
	// MinAfter is set with code "cursor_expired": the lowest position the
	// change feed accepts to read after.
	MinAfter int64
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("scimd %d %s: %s", e.Status, e.Code, e.Message)
}

// Is makes an answer with code "cursor_expired" match ErrCursorExpired.
func (e *Error) Is(target error) bool {
	return target == ErrCursorExpired && e.Code == "cursor_expired"
}

// ErrCursorExpired is matched (errors.Is) by the *Error that Events and
// Follow return when events after the position asked were deleted by
// scimd's retention (30 days by default): the reader has missed changes.
// It resynchronises from the users and groups lists and goes on from the
// *Error's MinAfter.
var ErrCursorExpired = errors.New("change-feed cursor expired")

// IsNotFound reports whether err is the API's answer that something does
// not exist.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// maxResponse bounds what the client reads of one answer.
const maxResponse = 32 << 20

// do sends a request with an optional JSON body and decodes a JSON answer
// into out when out is not nil. Answers other than 2xx become *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp.StatusCode, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

func decodeError(status int, data []byte) error {
	var body struct {
		Error struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			MinAfter int64  `json:"min_after"`
		} `json:"error"`
	}
	e := &Error{Status: status}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.MinAfter = body.Error.Code, body.Error.Message, body.Error.MinAfter
	} else {
		e.Code, e.Message = "http", strings.TrimSpace(string(data))
	}
	return e
}

func esc(s string) string { return url.PathEscape(s) }

// CreateAccount makes an account. Names are unique: a taken name gets an
// *Error with status 409.
func (c *Client) CreateAccount(ctx context.Context, name string) (*Account, error) {
	var a Account
	err := c.do(ctx, http.MethodPost, "/accounts", nil, map[string]string{"name": name}, &a)
	return &a, err
}

// Accounts lists every account by name.
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	var out struct{ Items []Account }
	err := c.do(ctx, http.MethodGet, "/accounts", nil, nil, &out)
	return out.Items, err
}

// Account returns one account.
func (c *Client) Account(ctx context.Context, id string) (*Account, error) {
	var a Account
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(id), nil, nil, &a)
	return &a, err
}

// DeleteAccount removes an account with everything in it.
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/accounts/"+esc(id), nil, nil, nil)
}

// CreateToken makes a SCIM token for an identity provider; ttl 0 never
// expires. The answer's Secret is shown this once.
func (c *Client) CreateToken(ctx context.Context, account, label string,
	ttl time.Duration) (*Token, error) {
	var t Token
	in := map[string]any{"label": label, "ttl_seconds": int64(ttl / time.Second)}
	err := c.do(ctx, http.MethodPost, "/accounts/"+esc(account)+"/tokens", nil, in, &t)
	return &t, err
}

// Tokens lists an account's SCIM tokens, newest first, without secrets.
func (c *Client) Tokens(ctx context.Context, account string) ([]Token, error) {
	var out struct{ Items []Token }
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/tokens", nil, nil, &out)
	return out.Items, err
}

// RevokeToken stops a SCIM token at once.
func (c *Client) RevokeToken(ctx context.Context, account, id string) error {
	return c.do(ctx, http.MethodDelete, "/accounts/"+esc(account)+"/tokens/"+esc(id),
		nil, nil, nil)
}
