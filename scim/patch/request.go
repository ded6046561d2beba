// Package patch applies SCIM PATCH requests (RFC 7644 §3.5.2) to a stored
// resource document, including the dialects identity providers really send:
// Okta's path-less replace, Entra ID's capitalised ops, dotted and
// URN-qualified keys and string booleans, and whole-object replaces from
// OneLogin and JumpCloud. Group members never live in the document; every
// operation on them comes out as a MemberOp for the store to carry out.
package patch

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimd/scimd/scim"
)

// DefaultMaxOperations is the number of operations one request may carry
// unless a Decoder says otherwise. Identity providers send a handful; a
// thousand leaves room for bulk group syncs while bounding the work of one
// request.
const DefaultMaxOperations = 1000

// Kind is the op of an operation, lower case.
type Kind string

// The ops of RFC 7644 §3.5.2.
const (
	Add     Kind = "add"
	Remove  Kind = "remove"
	Replace Kind = "replace"
)

// Request is a decoded PatchOp message.
type Request struct {
	Schemas    []string
	Operations []Operation
}

// Operation is one entry of a request's Operations. Path is the raw
// attribute path, "" when the operation has none; it is parsed and resolved
// against a resource type by Apply. Value is the JSON-decoded value, nil
// when absent or null.
type Operation struct {
	Op    Kind
	Path  string
	Value any
}

// Decoder decodes PatchOp messages under configurable limits. The zero
// Decoder applies the defaults.
type Decoder struct {
	// MaxOperations bounds len(Operations); 0 means DefaultMaxOperations.
	MaxOperations int
}

// DecodeRequest decodes body with the default limits. See Decoder.Decode.
func DecodeRequest(body map[string]any) (*Request, error) {
	return Decoder{}.Decode(body)
}

// Decode checks body, a PatchOp message already decoded from JSON (with
// UseNumber), and returns it as a Request. Member names ("schemas",
// "Operations", "op", "path", "value") and op values match without regard
// to case, as RFC 7643 §2.1 asks and Entra ID needs ("Replace").
//
// Every error is a *scim.Error: 400 invalidSyntax when schemas lacks the
// PatchOp URN, when Operations is missing or empty, or when an operation is
// malformed or names an unknown op; 413 when there are more operations than
// MaxOperations. The 413 mirrors how RFC 7644 §3.7.4 treats a bulk request
// over maxOperations: the request is too large, not wrong, and the detail
// gives the limit so the client can split it.
func (d Decoder) Decode(body map[string]any) (*Request, error) {
	max := d.MaxOperations
	if max <= 0 {
		max = DefaultMaxOperations
	}

	// The message schema comes first: without it the body may be a PUT
	// document sent to the wrong method.
	schemas, err := decodeSchemas(scim.Field(body, "schemas"))
	if err != nil {
		return nil, err
	}

	raw, ok := scim.Field(body, "Operations").([]any)
	if !ok || len(raw) == 0 {
		return nil, scim.BadRequest(scim.ErrInvalidSyntax,
			"a PatchOp message needs a non-empty \"Operations\" array")
	}
	if len(raw) > max {
		return nil, scim.Errorf(http.StatusRequestEntityTooLarge, scim.ErrNone,
			"the request carries %d operations; at most %d are allowed, send the rest "+
				"in another request", len(raw), max)
	}

	req := &Request{Schemas: schemas, Operations: make([]Operation, 0, len(raw))}
	for i, r := range raw {
		op, err := decodeOperation(r)
		if err != nil {
			return nil, atOperation(i, err)
		}
		req.Operations = append(req.Operations, op)
	}
	return req, nil
}

func decodeSchemas(v any) ([]string, error) {
	list, _ := v.([]any)
	schemas := make([]string, 0, len(list))
	found := false
	for _, s := range list {
		str, ok := s.(string)
		if !ok {
			return nil, scim.BadRequest(scim.ErrInvalidSyntax,
				"\"schemas\" must be an array of strings")
		}
		schemas = append(schemas, str)
		found = found || strings.EqualFold(str, scim.PatchOpSchema)
	}
	if !found {
		return nil, scim.BadRequest(scim.ErrInvalidSyntax,
			"\"schemas\" must contain %q", scim.PatchOpSchema)
	}
	return schemas, nil
}

func decodeOperation(v any) (Operation, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Operation{}, scim.BadRequest(scim.ErrInvalidSyntax,
			"an operation must be an object with \"op\", \"path\" and \"value\"")
	}

	opName, ok := scim.Field(m, "op").(string)
	if !ok {
		return Operation{}, scim.BadRequest(scim.ErrInvalidSyntax,
			"\"op\" is required and must be one of \"add\", \"remove\" or \"replace\"")
	}
	kind, ok := parseKind(opName)
	if !ok {
		return Operation{}, scim.BadRequest(scim.ErrInvalidSyntax,
			"unknown op %q: use \"add\", \"remove\" or \"replace\"", opName)
	}

	var path string
	switch p := scim.Field(m, "path").(type) {
	case nil:
	case string:
		path = strings.TrimSpace(p)
	default:
		return Operation{}, scim.BadRequest(scim.ErrInvalidSyntax,
			"\"path\" must be a string")
	}
	return Operation{Op: kind, Path: path, Value: scim.Field(m, "value")}, nil
}

// parseKind maps an op name, in any case, to its Kind.
func parseKind(s string) (Kind, bool) {
	switch k := Kind(strings.ToLower(s)); k {
	case Add, Remove, Replace:
		return k, true
	}
	return "", false
}

// atOperation returns err with its detail prefixed by the index of the
// operation it concerns, keeping the status and scimType for the client.
func atOperation(i int, err error) error {
	return prefixed(fmt.Sprintf("Operations[%d]", i), err)
}

// prefixed returns err with its detail prefixed by where. A *scim.Error is
// copied so that the client still sees its status and scimType.
func prefixed(where string, err error) error {
	e, ok := scim.AsError(err)
	if !ok {
		return fmt.Errorf("%s: %w", where, err)
	}
	return &scim.Error{Status: e.Status, Type: e.Type, Detail: where + ": " + e.Detail}
}
