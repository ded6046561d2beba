package scimdclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// UserQuery selects users. Zero fields select all.
type UserQuery struct {
	Email  string // any of the user's emails, case-insensitive
	Active *bool
	Group  string // id of a group the user belongs to directly
	Offset int
	Limit  int // 0 takes the server's default page size
}

// UserPage is one page of users. NextOffset is 0 on the last page.
type UserPage struct {
	Items      []User `json:"items"`
	Total      int    `json:"total"`
	NextOffset int    `json:"next_offset,omitempty"`
}

// Users lists an account's users that q selects, in creation order.
func (c *Client) Users(ctx context.Context, account string, q UserQuery) (*UserPage, error) {
	v := url.Values{}
	set(v, "email", q.Email)
	set(v, "group", q.Group)
	if q.Active != nil {
		v.Set("active", strconv.FormatBool(*q.Active))
	}
	setInt(v, "offset", q.Offset)
	setInt(v, "limit", q.Limit)
	var p UserPage
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/users", v, nil, &p)
	return &p, err
}

// User returns one user with its groups.
func (c *Client) User(ctx context.Context, account, id string) (*User, error) {
	var u User
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/users/"+esc(id), nil, nil, &u)
	return &u, err
}

// GroupQuery selects groups. Zero fields select all.
type GroupQuery struct {
	DisplayName string // exact, case-insensitive
	Offset      int
	Limit       int
}

// GroupPage is one page of groups. NextOffset is 0 on the last page.
type GroupPage struct {
	Items      []Group `json:"items"`
	Total      int     `json:"total"`
	NextOffset int     `json:"next_offset,omitempty"`
}

// Groups lists an account's groups that q selects, in creation order.
func (c *Client) Groups(ctx context.Context, account string, q GroupQuery) (*GroupPage, error) {
	v := url.Values{}
	set(v, "display_name", q.DisplayName)
	setInt(v, "offset", q.Offset)
	setInt(v, "limit", q.Limit)
	var p GroupPage
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/groups", v, nil, &p)
	return &p, err
}

// Group returns one group.
func (c *Client) Group(ctx context.Context, account, id string) (*Group, error) {
	var g Group
	err := c.do(ctx, http.MethodGet, "/accounts/"+esc(account)+"/groups/"+esc(id), nil, nil, &g)
	return &g, err
}

// MemberPage is one page of a group's members, ordered by member id.
// NextAfter, when not empty, asks for the next page.
type MemberPage struct {
	Items     []Member `json:"items"`
	NextAfter string   `json:"next_after,omitempty"`
}

// Members returns up to limit members of a group after the member id
// after ("" for the first page).
func (c *Client) Members(ctx context.Context, account, group, after string,
	limit int) (*MemberPage, error) {
	v := url.Values{}
	set(v, "after", after)
	setInt(v, "limit", limit)
	var p MemberPage
	path := "/accounts/" + esc(account) + "/groups/" + esc(group) + "/members"
	err := c.do(ctx, http.MethodGet, path, v, nil, &p)
	return &p, err
}

func set(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setInt(v url.Values, k string, n int) {
	if n != 0 {
		v.Set(k, strconv.Itoa(n))
	}
}
