package mgmtapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
)

// Page sizes of the listings.
const (
	defaultLimit = 50
	maxLimit     = 500
)

type groupRefJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

type userJSON struct {
	ID          string         `json:"id"`
	ExternalID  string         `json:"external_id,omitempty"`
	UserName    string         `json:"user_name"`
	DisplayName string         `json:"display_name,omitempty"`
	Email       string         `json:"email,omitempty"`
	Active      bool           `json:"active"`
	Version     int64          `json:"version"`
	Created     time.Time      `json:"created"`
	Modified    time.Time      `json:"modified"`
	Groups      []groupRefJSON `json:"groups"`
	Attributes  map[string]any `json:"attributes"`
}

type groupJSON struct {
	ID          string         `json:"id"`
	ExternalID  string         `json:"external_id,omitempty"`
	DisplayName string         `json:"display_name"`
	Version     int64          `json:"version"`
	Created     time.Time      `json:"created"`
	Modified    time.Time      `json:"modified"`
	Attributes  map[string]any `json:"attributes"`
}

// attributes returns the stored document without a password, which the
// store may keep but which is never returned (RFC 7643 §4.1.1).
func attributes(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "password" {
			out[k] = v
		}
	}
	return out
}

func userOut(u *directory.Resource, groups []directory.GroupRef) userJSON {
	refs := make([]groupRefJSON, 0, len(groups))
	for _, g := range groups {
		refs = append(refs, groupRefJSON{g.ID, g.DisplayName})
	}
	return userJSON{ID: u.ID, ExternalID: u.ExternalID, UserName: u.UserName,
		DisplayName: u.DisplayName, Email: u.Email, Active: u.Active, Version: u.Version,
		Created: u.Created, Modified: u.Modified, Groups: refs, Attributes: attributes(u.Doc)}
}

func groupOut(g *directory.Resource) groupJSON {
	return groupJSON{ID: g.ID, ExternalID: g.ExternalID, DisplayName: g.DisplayName,
		Version: g.Version, Created: g.Created, Modified: g.Modified,
		Attributes: attributes(g.Doc)}
}

// intParam reads an optional integer query parameter within [lo, hi]; a
// value above hi is clamped to it, as SCIM clamps count.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo {
		return 0, invalid("%s is a whole number of at least %d, not %q", name, lo, s)
	}
	return min(n, hi), nil
}

// and joins filter expressions; nil when there are none.
func and(xs ...filter.Expr) filter.Expr {
	var out filter.Expr
	for _, x := range xs {
		if out == nil {
			out = x
		} else {
			out = &filter.And{Left: out, Right: x}
		}
	}
	return out
}

func eq(name, sub string, v any) filter.Expr {
	return &filter.Compare{Attr: filter.AttrPath{Name: name, Sub: sub}, Op: filter.Eq, Value: v}
}

// page reads offset and limit and returns the store query for them.
func page(r *http.Request, f filter.Expr) (directory.Query, error) {
	offset, err := intParam(r, "offset", 0, 0, 1<<30)
	if err != nil {
		return directory.Query{}, err
	}
	limit, err := intParam(r, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return directory.Query{}, err
	}
	return directory.Query{Filter: f, StartIndex: offset + 1, Count: limit}, nil
}

// listed writes a page with the offset of the next one, if any.
func listed(w http.ResponseWriter, q directory.Query, total int, items any, n int) {
	out := map[string]any{"items": items, "total": total}
	if next := q.StartIndex - 1 + n; n > 0 && next < total {
		out["next_offset"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	var fs []filter.Expr
	v := r.URL.Query()
	if s := v.Get("email"); s != "" {
		fs = append(fs, eq("emails", "value", s))
	}
	if s := v.Get("active"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalid("active is true or false, not %q", s)
		}
		fs = append(fs, eq("active", "", b))
	}
	if s := v.Get("group"); s != "" {
		fs = append(fs, eq("groups", "value", s))
	}
	q, err := page(r, and(fs...))
	if err != nil {
		return err
	}

	p, err := a.cfg.Store.List(r.Context(), acc.ID, directory.KindUser, q)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(p.Resources))
	for _, u := range p.Resources {
		ids = append(ids, u.ID)
	}
	groups, err := a.cfg.Store.GroupsOf(r.Context(), acc.ID, ids)
	if err != nil {
		return err
	}
	items := make([]userJSON, 0, len(p.Resources))
	for _, u := range p.Resources {
		items = append(items, userOut(u, groups[u.ID]))
	}
	listed(w, q, p.Total, items, len(items))
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	u, err := a.cfg.Store.Resource(r.Context(), acc.ID, directory.KindUser, r.PathValue("user"))
	if err != nil {
		return err
	}
	groups, err := a.cfg.Store.GroupsOf(r.Context(), acc.ID, []string{u.ID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOut(u, groups[u.ID]))
	return nil
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	var f filter.Expr
	if s := r.URL.Query().Get("display_name"); s != "" {
		f = eq("displayName", "", s)
	}
	q, err := page(r, f)
	if err != nil {
		return err
	}
	p, err := a.cfg.Store.List(r.Context(), acc.ID, directory.KindGroup, q)
	if err != nil {
		return err
	}
	items := make([]groupJSON, 0, len(p.Resources))
	for _, g := range p.Resources {
		items = append(items, groupOut(g))
	}
	listed(w, q, p.Total, items, len(items))
	return nil
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	g, err := a.cfg.Store.Resource(r.Context(), acc.ID, directory.KindGroup, r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupOut(g))
	return nil
}

type memberJSON struct {
	ID      string         `json:"id"`
	Type    directory.Kind `json:"type"`
	Display string         `json:"display"`
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.account(r)
	if err != nil {
		return err
	}
	groupID := r.PathValue("group")
	_, err = a.cfg.Store.Resource(r.Context(), acc.ID, directory.KindGroup, groupID)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}

	// One more than asked tells whether a next page exists.
	ms, err := a.cfg.Store.Members(r.Context(), acc.ID, groupID, r.URL.Query().Get("after"),
		limit+1)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if len(ms) > limit {
		ms = ms[:limit]
		out["next_after"] = ms[limit-1].ID
	}
	items := make([]memberJSON, 0, len(ms))
	for _, m := range ms {
		items = append(items, memberJSON{m.ID, m.Kind, m.Display})
	}
	out["items"] = items
	writeJSON(w, http.StatusOK, out)
	return nil
}
