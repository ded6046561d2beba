package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scimd/scimd/httpapi"
)

// A replay is a sequence of requests an identity provider documents that it
// sends, kept under testdata/<provider>/*.json, with what scimd must answer.
// Each write step is followed by a GET step that checks what was stored, so
// that a replay tests the stored result and not only the status code.
type replay struct {
	Description string `json:"description"`
	Source      string `json:"source"`    // where the request shapes come from
	UserAgent   string `json:"userAgent"` // sent with every request
	Steps       []step `json:"steps"`
}

// step is one request and the checks on its response. Strings anywhere in a
// step may hold ${name}: a value an earlier step saved, ${base} (the
// absolute SCIM base URL) or ${guid} (a fresh random GUID per replay run).
type step struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"` // below the base; the query is written unencoded
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`

	Status   int               `json:"status"`
	Expect   map[string]any    `json:"expect"`   // JSON pointer: value; "*" lists unordered
	Contains map[string]string `json:"contains"` // JSON pointer: substring of the string there
	Absent   []string          `json:"absent"`   // JSON pointers that must find nothing
	Header   map[string]string `json:"header"`   // response header: value
	Save     map[string]string `json:"save"`     // variable: JSON pointer
}

func (s step) checks() bool {
	return len(s.Expect)+len(s.Contains)+len(s.Absent)+len(s.Header) > 0
}

func TestOktaReplays(t *testing.T)  { replayDir(t, "okta") }
func TestEntraReplays(t *testing.T) { replayDir(t, "entra") }

// replayDir runs every replay of a provider on each store and under each
// base path, each run in an account of its own.
func replayDir(t *testing.T, provider string) {
	files, err := filepath.Glob(filepath.Join("testdata", provider, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no replays under testdata/%s: %v", provider, err)
	}
	replays := make(map[string]*replay, len(files))
	for _, f := range files {
		replays[strings.TrimSuffix(filepath.Base(f), ".json")] = loadReplay(t, f)
	}

	eachStore(t, func(t *testing.T, s *stack) {
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			for i, base := range httpapi.Bases {
				t.Run(fmt.Sprintf("%s/base%d", name, i), func(t *testing.T) {
					_, c := s.newAccount(fmt.Sprintf("%s %s %s", provider, name, base))
					c.t, c.base, c.agent = t, base, replays[name].UserAgent
					runReplay(t, c, replays[name])
				})
			}
		}
	})
}

func loadReplay(t *testing.T, file string) *replay {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r replay
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("read replay %s: %v", file, err)
	}

	// Every write must be followed by a GET that checks what it stored.
	for i, st := range r.Steps {
		if st.Method == "GET" || st.Method == "" {
			continue
		}
		if i+1 == len(r.Steps) || r.Steps[i+1].Method != "GET" || !r.Steps[i+1].checks() {
			t.Fatalf("replay %s: step %d (%s) is a write not followed by a GET with checks",
				file, i, st.Name)
		}
	}
	return &r
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func runReplay(t *testing.T, c *client, r *replay) {
	vars := map[string]string{"base": c.baseURL(), "guid": uuid.NewString()}
	expand := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := varRef.FindStringSubmatch(ref)[1]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("%s uses ${%s}, which no earlier step saved", s, name)
			}
			return v
		})
	}

	for i, st := range r.Steps {
		where := fmt.Sprintf("step %d (%s)", i, st.Name)
		var body any
		if len(st.Body) > 0 {
			body = []byte(expand(string(st.Body)))
		}
		var hdr []string
		for k, v := range st.Headers {
			hdr = append(hdr, k, expand(v))
		}
		resp := c.do(st.Method, encodePath(expand(st.Path)), body, hdr...)

		if resp.status != st.Status {
			t.Fatalf("%s: %s %s: status %d, want %d; body: %s", where, st.Method, resp.path,
				resp.status, st.Status, clip(resp.body))
		}
		for name, ptr := range st.Save {
			got, _ := lookup(resp.doc, ptr)
			v, ok := got.(string)
			if !ok || v == "" {
				t.Fatalf("%s: save %s: no string at %s in %s", where, name, ptr, clip(resp.body))
			}
			vars[name] = v
		}
		for k, v := range st.Header {
			if got := resp.header.Get(k); got != expand(v) {
				t.Errorf("%s: header %s is %q, want %q", where, k, got, expand(v))
			}
		}
		for ptr, want := range st.Expect {
			want = expandAll(want, expand)
			got, ok := lookup(resp.doc, ptr)
			if !ok || !sameJSON(got, want, strings.Contains(ptr, "*")) {
				t.Errorf("%s: %s is %s, want %s", where, ptr, show(got, ok), show(want, true))
			}
		}
		for ptr, frag := range st.Contains {
			got, _ := lookup(resp.doc, ptr)
			s, _ := got.(string)
			if !strings.Contains(s, expand(frag)) {
				t.Errorf("%s: %s is %q, want it to contain %q", where, ptr, s, expand(frag))
			}
		}
		for _, ptr := range st.Absent {
			if got, ok := lookup(resp.doc, ptr); ok {
				t.Errorf("%s: %s is %s, want it absent", where, ptr, show(got, true))
			}
		}
		if t.Failed() {
			t.Fatalf("%s failed; response: %s", where, clip(resp.body))
		}
	}
}

// encodePath percent-encodes the query of a path written readably in a
// replay ("/Users?filter=userName eq \"x\"&count=100").
func encodePath(p string) string {
	path, raw, ok := strings.Cut(p, "?")
	if !ok {
		return p
	}
	var parts []string
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return path + "?" + strings.Join(parts, "&")
}

// expandAll replaces variables in every string of an expected value.
func expandAll(v any, expand func(string) string) any {
	switch x := v.(type) {
	case string:
		return expand(x)
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = expandAll(el, expand)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = expandAll(el, expand)
		}
		return out
	}
	return v
}

func show(v any, ok bool) string {
	if !ok {
		return "missing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
