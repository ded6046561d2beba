package scimdclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookInput creates or changes a webhook endpoint. On a change, nil
// fields are left as they are.
type WebhookInput struct {
	AccountID  string    `json:"account_id,omitempty"` // creation only; "" for every account
	URL        *string   `json:"url,omitempty"`
	EventTypes *[]string `json:"event_types,omitempty"` // empty: every type
	Enabled    *bool     `json:"enabled,omitempty"`
	Secret     *string   `json:"secret,omitempty"` // "whsec_..."; creation makes one when nil
}

// CreateWebhook registers an endpoint. The answer carries its signing
// secret.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, error) {
	var w Webhook
	err := c.do(ctx, http.MethodPost, "/webhooks", nil, in, &w)
	return &w, err
}

// Webhooks lists the endpoints, of one account when account is not "".
func (c *Client) Webhooks(ctx context.Context, account string) ([]Webhook, error) {
	v := url.Values{}
	set(v, "account_id", account)
	var out struct{ Items []Webhook }
	err := c.do(ctx, http.MethodGet, "/webhooks", v, nil, &out)
	return out.Items, err
}

// Webhook returns an endpoint with its streams.
func (c *Client) Webhook(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	err := c.do(ctx, http.MethodGet, "/webhooks/"+esc(id), nil, nil, &w)
	return &w, err
}

// UpdateWebhook changes an endpoint.
func (c *Client) UpdateWebhook(ctx context.Context, id string, in WebhookInput) (*Webhook, error) {
	var w Webhook
	err := c.do(ctx, http.MethodPatch, "/webhooks/"+esc(id), nil, in, &w)
	return &w, err
}

// DeleteWebhook removes an endpoint.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/webhooks/"+esc(id), nil, nil, nil)
}

// TestWebhook sends a "webhook.test" event to an endpoint at once and
// returns the attempt.
func (c *Client) TestWebhook(ctx context.Context, id string) (*Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodPost, "/webhooks/"+esc(id)+"/test", nil, nil, &d)
	return &d, err
}

// ReplayWebhook moves an endpoint's cursor for an account to position
// after, so that every event after it is delivered again, in order.
func (c *Client) ReplayWebhook(ctx context.Context, id, account string, after int64) error {
	path := "/webhooks/" + esc(id) + "/streams/" + esc(account)
	return c.do(ctx, http.MethodPut, path, nil, map[string]int64{"position": after}, nil)
}

// Deliveries returns up to limit attempts of an endpoint with ids below
// before (0 for the newest), newest first.
func (c *Client) Deliveries(ctx context.Context, id string, before int64,
	limit int) ([]Delivery, error) {
	v := url.Values{}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	setInt(v, "limit", limit)
	var out struct{ Items []Delivery }
	err := c.do(ctx, http.MethodGet, "/webhooks/"+esc(id)+"/deliveries", v, nil, &out)
	return out.Items, err
}

// RotateToken makes a new SCIM token and lets the old one keep working for
// overlap, so the identity provider can switch without a gap.
func (c *Client) RotateToken(ctx context.Context, account, id string,
	overlap time.Duration) (*Token, error) {
	var t Token
	path := "/accounts/" + esc(account) + "/tokens/" + esc(id) + "/rotate"
	in := map[string]int64{"overlap_seconds": int64(overlap / time.Second)}
	err := c.do(ctx, http.MethodPost, path, nil, in, &t)
	return &t, err
}
