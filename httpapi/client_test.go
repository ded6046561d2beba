package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// client sends SCIM requests for one token under one base path.
type client struct {
	t      *testing.T
	server string // "http://127.0.0.1:port"
	base   string // "/scim/v2"
	token  string // "" sends no Authorization header
	agent  string // User-Agent
}

// under returns a copy of c that uses another base path.
func (c *client) under(base string) *client {
	cc := *c
	cc.base = base
	return &cc
}

// baseURL is the absolute SCIM base, as meta.location starts with it.
func (c *client) baseURL() string { return c.server + c.base }

// response is a decoded HTTP response.
type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
	doc          map[string]any // the body when it is a JSON object, else nil
}

// do sends a request to path below the base. body is nil for none, a
// string or []byte to send as is, or a value to encode as JSON. header
// holds name, value pairs that override the defaults; an empty value
// removes the header.
func (c *client) do(method, path string, body any, header ...string) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.server+c.base+path, rd)
	if err != nil {
		c.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", c.agent)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &response{method: method, path: path, status: resp.StatusCode,
		header: resp.Header, body: data}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&r.doc); err != nil {
			r.doc = nil
		}
	}
	return r
}

func (c *client) get(p string) *response          { c.t.Helper(); return c.do("GET", p, nil) }
func (c *client) post(p string, b any) *response  { c.t.Helper(); return c.do("POST", p, b) }
func (c *client) put(p string, b any) *response   { c.t.Helper(); return c.do("PUT", p, b) }
func (c *client) patch(p string, b any) *response { c.t.Helper(); return c.do("PATCH", p, b) }
func (c *client) del(p string) *response          { c.t.Helper(); return c.do("DELETE", p, nil) }

// query appends query parameters, given as name, value pairs, to path.
func query(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

// want fails the test unless the response has the status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.method, r.path, r.status, status,
			clip(r.body))
	}
	return r
}

// wantError checks a SCIM error response (RFC 7644 §3.12): the status, the
// scimType ("" for none) and a fragment of the detail, which must tell a
// person what was wrong.
func (r *response) wantError(t *testing.T, status int, scimType, detail string) {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != httpapi.ContentType {
		t.Errorf("%s %s: Content-Type %q, want %s", r.method, r.path, ct, httpapi.ContentType)
	}
	if r.doc == nil {
		t.Fatalf("%s %s: body is not a JSON object: %s", r.method, r.path, clip(r.body))
	}
	if got := r.doc["schemas"]; !reflect.DeepEqual(got, []any{scim.ErrorSchema}) {
		t.Errorf("%s %s: schemas %v, want [%s]", r.method, r.path, got, scim.ErrorSchema)
	}
	if got := r.doc["status"]; got != strconv.Itoa(status) {
		t.Errorf("%s %s: status member %#v, want %q", r.method, r.path, got, strconv.Itoa(status))
	}
	got, _ := r.doc["scimType"].(string)
	if got != scimType {
		t.Errorf("%s %s: scimType %q, want %q; detail: %v", r.method, r.path, got, scimType,
			r.doc["detail"])
	}
	d, _ := r.doc["detail"].(string)
	if !strings.Contains(d, detail) {
		t.Errorf("%s %s: detail %q does not mention %q", r.method, r.path, d, detail)
	}
}

// str returns the string at a JSON pointer, or "" when there is none.
func (r *response) str(ptr string) string {
	v, _ := lookup(r.doc, ptr)
	s, _ := v.(string)
	return s
}

// num returns the integer at a JSON pointer, failing the test when it is
// not a JSON integer.
func (r *response) num(t *testing.T, ptr string) int {
	t.Helper()
	v, ok := lookup(r.doc, ptr)
	n, isNum := v.(json.Number)
	if !ok || !isNum {
		t.Fatalf("%s %s: %s is %#v, want a JSON integer", r.method, r.path, ptr, v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		t.Fatalf("%s %s: %s is %s, want an integer", r.method, r.path, ptr, n)
	}
	return i
}

// ids returns the ids of a list response's Resources in order.
func (r *response) ids() []string {
	list, _ := r.doc["Resources"].([]any)
	out := make([]string, 0, len(list))
	for _, res := range list {
		m, _ := res.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}

// lookup resolves a JSON pointer (RFC 6901) in v. A "*" segment collects
// what the rest of the pointer finds in every element of an array, so that
// "/members/*/value" lists a group's member ids; a "#" segment is the
// length of an array.
func lookup(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	seg, rest, more := strings.Cut(ptr[1:], "/")
	if more {
		rest = "/" + rest
	}
	seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[seg]
		if !ok {
			return nil, false
		}
		return lookup(child, rest)
	case []any:
		switch seg {
		case "#":
			return json.Number(strconv.Itoa(len(x))), rest == ""
		case "*":
			out := []any{}
			for _, el := range x {
				if got, ok := lookup(el, rest); ok {
					out = append(out, got)
				}
			}
			return out, true
		}
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(x) {
			return nil, false
		}
		return lookup(x[i], rest)
	}
	return nil, false
}

// sameJSON compares a value from a response with an expected one: numbers
// by value, and the lists that a "*" pointer collects without regard to
// order, since members and groups come in id order.
func sameJSON(got, want any, unordered bool) bool {
	g, w := canonical(got), canonical(want)
	if unordered {
		gl, ok1 := g.([]any)
		wl, ok2 := w.([]any)
		if ok1 && ok2 {
			sortJSON(gl)
			sortJSON(wl)
		}
	}
	return reflect.DeepEqual(g, w)
}

// canonical turns every number into a float64 and every list and object
// into fresh copies, so that DeepEqual compares values only.
func canonical(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case int:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = canonical(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = canonical(el)
		}
		return out
	}
	return v
}

func sortJSON(l []any) {
	sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
}

// clip shortens a body for a failure message.
func clip(b []byte) string {
	const n = 2000
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// newUser returns a minimal User document.
func newUser(userName string) map[string]any {
	return map[string]any{
		"schemas":  []string{scim.UserSchema},
		"userName": userName,
		"name":     map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
}

// newGroup returns a Group document with the given member ids.
func newGroup(displayName string, memberIDs ...string) map[string]any {
	members := make([]any, len(memberIDs))
	for i, id := range memberIDs {
		members[i] = map[string]any{"value": id}
	}
	return map[string]any{
		"schemas":     []string{scim.GroupSchema},
		"displayName": displayName,
		"members":     members,
	}
}

// patchOp returns a PatchOp message with the given operations.
func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": list}
}

// snapshot returns everything an account stores as the SCIM API shows it,
// versions and timestamps included, so that comparing two snapshots tells
// whether a request changed anything at all.
func snapshot(t *testing.T, c *client) string {
	t.Helper()
	users := c.get("/Users?count=1000").want(t, http.StatusOK)
	groups := c.get("/Groups?count=1000").want(t, http.StatusOK)
	return string(users.body) + string(groups.body)
}
