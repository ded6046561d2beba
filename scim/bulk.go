package scim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// BulkResponseSchema is the URN of a bulk response message (RFC 7644 §3.7).
const BulkResponseSchema = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

// DefaultMaxBulkOperations is how many operations one bulk request may carry
// unless a BulkDecoder says otherwise. It matches the default limit on PATCH
// operations: a thousand changes is a large sync, and each runs in its own
// transaction.
const DefaultMaxBulkOperations = 1000

// BulkIDPrefix starts a value that stands for the id of the resource that
// another operation of the same bulk request creates (RFC 7644 §3.7.2):
// "bulkId:qwerty" is replaced by the id of the resource the POST with bulkId
// "qwerty" created.
const BulkIDPrefix = "bulkId:"

// BulkRequest is a decoded bulk request message (RFC 7644 §3.7).
type BulkRequest struct {
	// FailOnErrors is how many failed operations end the request; 0 means
	// that none do and every operation runs.
	FailOnErrors int
	Operations   []BulkOperation
}

// BulkOperation is one entry of a bulk request's Operations, whose envelope
// (method, path, bulkId, version) has been checked. What its data says is
// checked when it runs, like the body of a single request.
type BulkOperation struct {
	Method  string         // http.MethodPost, MethodPut, MethodPatch or MethodDelete
	BulkID  string         // "" when none; never "" for POST
	Path    string         // as sent: "/Users" or "/Groups/{id}"
	Type    *ResourceType  // the resource type the path names
	ID      string         // the id in the path, "" for POST; may be a bulkId reference
	Version string         // the ETag the client expects the resource at, "" for none
	Data    map[string]any // the body: a resource or a PatchOp message; nil for DELETE

	// Refs are the bulkIds that the path and data refer to, sorted, each
	// once.
	Refs []string
}

// BulkDecoder decodes bulk request messages under a limit on their
// operations. The zero BulkDecoder applies DefaultMaxBulkOperations.
type BulkDecoder struct {
	// MaxOperations bounds len(Operations); 0 means DefaultMaxBulkOperations.
	MaxOperations int
}

// Decode checks body, a bulk request message already decoded from JSON (by
// Decode, with json.Number), and returns it as a BulkRequest. Member names
// and methods match without regard to case.
//
// The envelope is checked as a whole before anything runs, so that a
// malformed request changes nothing. Every error is a *Error whose detail
// names the operation ("Operations[2]: ..."): 413 when there are more
// operations than MaxOperations (RFC 7644 §3.7.4); 400 invalidSyntax when
// schemas lacks BulkRequestSchema, Operations is missing or empty, or an
// operation is not an object, has no method or an unknown one, lacks the
// bulkId a POST needs or the data a POST, PUT or PATCH needs, or has a
// member of the wrong type; 400 invalidPath when a path names no resource
// type endpoint (POST) or no resource (PUT, PATCH, DELETE); 400
// invalidValue when failOnErrors is not a positive integer, two POSTs share
// a bulkId, or a "bulkId:" reference names no POST of the request.
func (d BulkDecoder) Decode(body map[string]any) (*BulkRequest, error) {
	max := d.MaxOperations
	if max <= 0 {
		max = DefaultMaxBulkOperations
	}

	// The message schema comes first: without it the body may be a
	// resource sent to the wrong endpoint.
	found, err := listsSchema(Field(body, "schemas"), BulkRequestSchema)
	if err != nil || !found {
		return nil, BadRequest(ErrInvalidSyntax,
			`"schemas" must be an array that contains %q`, BulkRequestSchema)
	}
	raw, ok := Field(body, "Operations").([]any)
	if !ok || len(raw) == 0 {
		return nil, BadRequest(ErrInvalidSyntax,
			`a BulkRequest message needs a non-empty "Operations" array`)
	}
	if len(raw) > max {
		return nil, Errorf(http.StatusRequestEntityTooLarge, ErrNone,
			"the bulk request carries %d operations; maxOperations is %d, send the "+
				"rest in another request", len(raw), max)
	}
	req := &BulkRequest{Operations: make([]BulkOperation, 0, len(raw))}
	if req.FailOnErrors, err = failOnErrors(Field(body, "failOnErrors")); err != nil {
		return nil, err
	}

	// Each operation on its own, then what they say about one another.
	posts := make(map[string]int)
	for i, r := range raw {
		op, err := decodeBulkOperation(r)
		if err != nil {
			return nil, atBulkOperation(i, err)
		}
		if op.Method == http.MethodPost {
			if j, dup := posts[op.BulkID]; dup {
				return nil, atBulkOperation(i, BadRequest(ErrInvalidValue,
					"bulkId %q is already the bulkId of Operations[%d]; each POST needs "+
						"its own", Clip(op.BulkID), j))
			}
			posts[op.BulkID] = i
		}
		req.Operations = append(req.Operations, op)
	}
	for i, op := range req.Operations {
		for _, ref := range op.Refs {
			if _, ok := posts[ref]; !ok {
				return nil, atBulkOperation(i, BadRequest(ErrInvalidValue,
					"%q refers to no POST operation of this request; a bulkId reference "+
						"names a resource created in the same request", BulkIDPrefix+Clip(ref)))
			}
		}
	}
	return req, nil
}

func failOnErrors(v any) (int, error) {
	if v == nil {
		return 0, nil
	}
	n, ok := number(v)
	i, err := strconv.Atoi(n.String())
	if !ok || err != nil || i < 1 {
		return 0, BadRequest(ErrInvalidValue, `"failOnErrors" must be an integer of at least 1; `+
			"leave it out to run every operation whatever fails")
	}
	return i, nil
}

func decodeBulkOperation(v any) (BulkOperation, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return BulkOperation{}, BadRequest(ErrInvalidSyntax,
			`an operation must be an object with "method", "path" and, except for `+
				`DELETE, "data"; got %s`, KindOf(v))
	}
	var op BulkOperation
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"method", &op.Method}, {"path", &op.Path}, {"bulkId", &op.BulkID},
		{"version", &op.Version},
	} {
		if *f.dst, err = optionalString(m, f.name); err != nil {
			return op, err
		}
	}

	switch strings.ToUpper(op.Method) {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		op.Method = strings.ToUpper(op.Method)
	case "":
		return op, BadRequest(ErrInvalidSyntax,
			`"method" is required: POST, PUT, PATCH or DELETE`)
	default:
		return op, BadRequest(ErrInvalidSyntax,
			"method %q cannot be used in a bulk request; use POST, PUT, PATCH or DELETE",
			Clip(op.Method))
	}
	if op.Method == http.MethodPost && op.BulkID == "" {
		return op, BadRequest(ErrInvalidSyntax,
			`a POST needs a "bulkId", so that its result can be told apart from the others`)
	}
	if op.Type, op.ID, err = bulkPath(op.Method, op.Path); err != nil {
		return op, err
	}

	data := Field(m, "data")
	if op.Method != http.MethodDelete {
		if op.Data, ok = data.(map[string]any); !ok {
			return op, BadRequest(ErrInvalidSyntax,
				`a %s needs "data", the body it would have as a single request, as an `+
					"object; got %s", op.Method, KindOf(data))
		}
	}

	refs := map[string]bool{}
	if id, ok := strings.CutPrefix(op.ID, BulkIDPrefix); ok {
		refs[id] = true
	}
	bulkRefs(op.Data, refs)
	for ref := range refs {
		op.Refs = append(op.Refs, ref)
	}
	sort.Strings(op.Refs)
	return op, nil
}

// optionalString returns the string member name of m, "" when it is absent
// or null.
func optionalString(m map[string]any, name string) (string, error) {
	switch v := Field(m, name).(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	default:
		return "", BadRequest(ErrInvalidSyntax, "%q must be a string; got %s", name, KindOf(v))
	}
}

// bulkPath resolves an operation's path: a resource type endpoint for POST,
// one resource of it for the other methods.
func bulkPath(method, path string) (*ResourceType, string, error) {
	want := "/Users/{id} or /Groups/{id}"
	if method == http.MethodPost {
		want = "/Users or /Groups"
	}
	if path == "" {
		return nil, "", BadRequest(ErrInvalidPath, `"path" is required; a %s takes %s`,
			method, want)
	}
	endpoint, id, hasID := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	var rt *ResourceType
	for _, t := range ResourceTypes() {
		if "/"+endpoint == t.Endpoint {
			rt = t
		}
	}
	ok := rt != nil && strings.HasPrefix(path, "/") && !strings.ContainsAny(id, "/?#")
	if method == http.MethodPost {
		ok = ok && !hasID
	} else {
		ok = ok && id != ""
	}
	if !ok {
		return nil, "", BadRequest(ErrInvalidPath, "path %q names no target of a %s; use %s",
			Clip(path), method, want)
	}
	return rt, id, nil
}

// bulkRefs adds to refs the bulkIds that the string values within v refer
// to. Member names are never references.
func bulkRefs(v any, refs map[string]bool) {
	switch x := v.(type) {
	case string:
		if id, ok := strings.CutPrefix(x, BulkIDPrefix); ok {
			refs[id] = true
		}
	case []any:
		for _, el := range x {
			bulkRefs(el, refs)
		}
	case map[string]any:
		for _, el := range x {
			bulkRefs(el, refs)
		}
	}
}

// ResolveBulkIDs returns a copy of v, an operation's data or path id, in
// which every string "bulkId:X" is replaced by ids[X]. It reports false with
// the first bulkId that ids lacks; the caller runs an operation only once
// every bulkId it refers to has an id.
func ResolveBulkIDs(v any, ids map[string]string) (any, string, bool) {
	switch x := v.(type) {
	case string:
		ref, ok := strings.CutPrefix(x, BulkIDPrefix)
		if !ok {
			return x, "", true
		}
		id, ok := ids[ref]
		return id, ref, ok
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			var missing string
			var ok bool
			if out[i], missing, ok = ResolveBulkIDs(el, ids); !ok {
				return nil, missing, false
			}
		}
		return out, "", true
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			r, missing, ok := ResolveBulkIDs(el, ids)
			if !ok {
				return nil, missing, false
			}
			out[k] = r
		}
		return out, "", true
	}
	return v, "", true
}

// BulkResponse is the response to a bulk request (RFC 7644 §3.7.3): the
// result of every operation that ran.
type BulkResponse struct {
	Operations []BulkResult
}

// BulkResult is the outcome of one operation of a bulk request.
type BulkResult struct {
	Method   string
	BulkID   string // as the request gave it; "" for none
	Location string // the resource's URL; "" when it has none (a POST that failed)
	Version  string // the resource's ETag after the operation; "" for none
	Status   int
	Err      *Error // the error response when the operation failed, else nil
}

// MarshalJSON renders the response in the BulkResponse message schema.
// Operations is always an array; each status is a string, as the examples
// of RFC 7644 §3.7 show it, and a failed operation carries its error
// response under "response". Successful operations carry no response body,
// which RFC 7644 §3.7 lets a server leave out.
func (b BulkResponse) MarshalJSON() ([]byte, error) {
	type result struct {
		Method   string `json:"method"`
		BulkID   string `json:"bulkId,omitempty"`
		Version  string `json:"version,omitempty"`
		Location string `json:"location,omitempty"`
		Status   string `json:"status"`
		Response *Error `json:"response,omitempty"`
	}
	ops := make([]result, len(b.Operations))
	for i, r := range b.Operations {
		ops[i] = result{r.Method, r.BulkID, r.Version, r.Location, strconv.Itoa(r.Status), r.Err}
	}
	body := struct {
		Schemas    []string `json:"schemas"`
		Operations []result `json:"Operations"`
	}{[]string{BulkResponseSchema}, ops}
	return marshal(body)
}

// Field returns the value of the JSON object m's member called name,
// matched without regard to case as SCIM names are, or nil. An exact match
// wins over a case-folded one.
func Field(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// atBulkOperation returns err with its detail prefixed by the index of the
// operation it concerns, keeping the status and scimType.
func atBulkOperation(i int, err error) error {
	e, ok := AsError(err)
	if !ok {
		return fmt.Errorf("Operations[%d]: %w", i, err)
	}
	return &Error{Status: e.Status, Type: e.Type, Detail: fmt.Sprintf("Operations[%d]: %s", i,
		e.Detail)}
}
