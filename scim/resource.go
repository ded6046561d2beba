package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// DefaultMaxBodyBytes is the body limit Decode applies when it is given no
// positive limit. A User with every attribute filled in is a few kilobytes;
// a Group that lists its members inline is the largest body an identity
// provider sends, and 1 MiB holds some ten thousand members.
const DefaultMaxBodyBytes = 1 << 20

// Decode reads one JSON object, a SCIM request body, from r. Numbers are
// kept as json.Number so that no precision is lost. It reads at most
// maxBytes bytes; maxBytes of zero or less means DefaultMaxBodyBytes.
//
// Errors are *Error values: 413 when the body is larger than the limit (also
// when r is an http.MaxBytesReader that hit its own limit), 400
// invalidSyntax when the body is empty, is not valid JSON (the detail gives
// the byte offset), is not an object, has data after the object or names
// one member twice in an object (exactly; names that differ in case are
// Normalize's concern). An error reading r is returned wrapped, as is.
func Decode(r io.Reader, maxBytes int64) (map[string]any, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, payloadTooLarge(tooBig.Limit)
	case err != nil:
		return nil, fmt.Errorf("read request body: %w", err)
	case int64(len(body)) > maxBytes:
		return nil, payloadTooLarge(maxBytes)
	}
	return decodeObject(body)
}

func payloadTooLarge(limit int64) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, ErrNone,
		"request body is larger than the limit of %d bytes", limit)
}

func decodeObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest(ErrInvalidSyntax, "request body is empty; send a JSON object")
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			return nil, BadRequest(ErrInvalidSyntax,
				"request body is not valid JSON at byte offset %d: %s", syn.Offset, syn)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, BadRequest(ErrInvalidSyntax,
				"request body is not valid JSON: it ends at byte offset %d, inside a value",
				len(body))
		default:
			return nil, BadRequest(ErrInvalidSyntax, "request body is not valid JSON: %s", err)
		}
	}

	// A second value after the object is as malformed as a broken one.
	if _, err := dec.Token(); err != io.EOF {
		return nil, BadRequest(ErrInvalidSyntax,
			"request body has data after the JSON object, at byte offset %d", dec.InputOffset())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(ErrInvalidSyntax,
			"request body must be a JSON object; got %s", KindOf(v))
	}

	// encoding/json keeps the last of two members with one name, where
	// other parsers keep the first: a proxy or log that reads the body
	// would see another value than scimd stores (RFC 8259 §4).
	if name, offset, dup := duplicateName(body); dup {
		return nil, BadRequest(ErrInvalidSyntax,
			"request body names the member %q twice in one object, the second time "+
				"before byte offset %d; send each member once", Clip(name), offset)
	}
	return obj, nil
}

// Normalize checks a resource document that a client sent (the body of a
// POST or PUT) against rt and returns it in the canonical form that scimd
// stores, with the paths of the attributes it dropped as unknown, sorted, so
// that the caller can log them.
//
// The document must have a "schemas" attribute (a single string is taken as
// a list of one) that contains rt's core schema URN and no URN that is not
// rt's core schema or one of its extensions (the attribute-less marker
// Microsoft Entra ID adds to groups excepted); otherwise Normalize returns a
// 400 invalidValue error that names the URN expected. Every attribute value
// problem is reported the same way, so a client sees one scimType for "the
// document says something scimd cannot accept".
//
// The rest of the document is normalized as NormalizeAttributes describes.
func Normalize(rt *ResourceType, doc map[string]any) (map[string]any, []string, error) {
	if err := checkSchemas(rt, doc); err != nil {
		return nil, nil, err
	}
	return NormalizeAttributes(rt, doc)
}

// NormalizeAttributes is Normalize without the check of "schemas": it is
// for documents that carry no "schemas" attribute, such as a stored
// document after PATCH operations were applied to it. The input is not
// changed.
//
// The result holds the client-writable attributes only: "schemas", "id",
// "meta" and every other readOnly attribute or sub-attribute (a User's
// "groups", the enterprise manager's "displayName") are dropped without an
// error, since clients echo them back from earlier responses. The caller
// adds "schemas" (see SchemasOf), "id" and "meta". Immutable attributes are
// kept; comparing them with the stored values is the caller's job.
//
// Normalization, attribute by attribute:
//   - Names match without regard to case (RFC 7643 §2.1) and come out as
//     the schema spells them. An extension's attributes sit in an object
//     under the extension's URN, also matched without regard to case; the
//     extension counts as present whether or not "schemas" lists it.
//   - null, an empty array and an empty complex value mean unassigned
//     (RFC 7643 §2.5): the attribute is left out. So does an empty string
//     for an attribute whose values are strings, which "pr" counts as no
//     value; for a required attribute it is an error.
//   - Booleans may also be the strings "true" and "false" in any case, as
//     Microsoft Entra ID sends them. Integers and decimals must be JSON
//     numbers; integers come out as json.Number without a fraction. A
//     dateTime must be RFC 3339 text and comes out in UTC. A binary value
//     must be base64. Strings and references must be strings.
//   - A multi-valued attribute given a single value holds that value as a
//     list of one. At most one value of a multi-valued attribute may have
//     "primary": true (RFC 7643 §2.4).
//   - A complex attribute with a "value" sub-attribute given a string holds
//     {"value": s}; Microsoft Entra ID sends the enterprise manager as a
//     bare id this way. An empty string there means unassigned.
//   - "password" is kept: it is writeOnly, not readOnly.
//
// Unknown attributes and sub-attributes are dropped and reported in the
// second result ("nickname2", "name.nickName", "urn:...:User:badge"); an
// identity provider that maps more attributes than scimd knows keeps
// working. A key that looks like a schema URN but is not one of rt's
// extensions is a 400 invalidValue error instead, since it most likely
// carries data the client expects to be kept.
//
// Errors are 400 *Error values that name the attribute path: invalidValue
// for a wrong type, a missing required attribute (`attribute "userName" is
// required`), a second primary value or an unknown schema URN; invalidSyntax
// for one attribute given twice under names that differ only in case.
func NormalizeAttributes(rt *ResourceType, doc map[string]any) (map[string]any, []string, error) {
	n := &normalizer{}
	out := make(map[string]any, len(doc))
	names := make(map[string]string, len(doc))
	for _, key := range sortedKeys(doc) {
		v := doc[key]
		if strings.EqualFold(key, "schemas") {
			continue
		}

		// Extension objects are keyed by their schema URN.
		if s := rt.Extension(key); s != nil {
			if err := claim(names, s.ID, key); err != nil {
				return nil, nil, err
			}
			obj, ok, err := n.object(s.Attributes, s.ID, s.ID+":", v)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				out[s.ID] = obj
			}
			continue
		}
		if looksLikeURN(key) {
			return nil, nil, unknownSchemaKey(rt, key)
		}

		a := rt.Lookup("", key, "")
		if a == nil {
			n.drop(key)
			continue
		}
		if err := claim(names, a.Name, key); err != nil {
			return nil, nil, err
		}
		val, ok, err := n.value(a, a.Name, v)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out[a.Name] = val
		}
	}

	// Required attributes are checked on the result, so that a required
	// attribute given as null or "" counts as missing.
	if err := checkRequired(rt.Schema.Attributes, out, ""); err != nil {
		return nil, nil, err
	}
	for _, e := range rt.Extensions {
		if e.Required && out[e.Schema.ID] == nil {
			return nil, nil, BadRequest(ErrInvalidValue,
				"schema extension %q is required for %s resources", e.Schema.ID, rt.Name)
		}
	}
	return out, n.dropped(), nil
}

// SchemasOf returns the "schemas" value for a normalized document of rt:
// the core schema URN followed by the URN of every extension the document
// holds, in the resource type's order.
func SchemasOf(rt *ResourceType, doc map[string]any) []string {
	urns := []string{rt.Schema.ID}
	for _, e := range rt.Extensions {
		if doc[e.Schema.ID] != nil {
			urns = append(urns, e.Schema.ID)
		}
	}
	return urns
}

// entraGroupMarker is a URN that Microsoft Entra ID lists in the "schemas"
// of every group it creates (its SCIM tutorial shows it). It is no schema
// of RFC 7643 and defines no attributes, so refusing it would refuse every
// group Entra ID provisions.
const entraGroupMarker = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

// checkSchemas checks the "schemas" attribute of a client's document
// against rt.
func checkSchemas(rt *ResourceType, doc map[string]any) error {
	var raw any
	for k, v := range doc {
		if strings.EqualFold(k, "schemas") {
			raw = v
		}
	}
	if raw == nil {
		return BadRequest(ErrInvalidValue,
			`attribute "schemas" is required; send ["%s"]`, rt.Schema.ID)
	}

	list, ok := raw.([]any)
	if !ok {
		list = []any{raw}
	}
	core := false
	for _, v := range list {
		urn, ok := v.(string)
		if !ok {
			return BadRequest(ErrInvalidValue,
				`attribute "schemas" must be an array of schema URNs; got %s`, KindOf(v))
		}
		switch {
		case strings.EqualFold(urn, rt.Schema.ID):
			core = true
		case rt == GroupResourceType && strings.EqualFold(urn, entraGroupMarker):
			// Carries no attributes: accepted, and not listed in responses.
		case rt.Extension(urn) == nil:
			return BadRequest(ErrInvalidValue,
				`schema %q in "schemas" is not a schema of %s resources; %s`,
				urn, rt.Name, allowedSchemas(rt))
		}
	}
	if !core {
		return BadRequest(ErrInvalidValue,
			`attribute "schemas" must contain %q`, rt.Schema.ID)
	}
	return nil
}

func unknownSchemaKey(rt *ResourceType, key string) *Error {
	if strings.EqualFold(key, rt.Schema.ID) {
		return BadRequest(ErrInvalidValue,
			"attributes of the core schema %q go at the top level of the document, "+
				"not in an object under its URN", rt.Schema.ID)
	}
	return BadRequest(ErrInvalidValue,
		"attribute %q is not an attribute or schema extension of %s resources; %s",
		key, rt.Name, allowedSchemas(rt))
}

func allowedSchemas(rt *ResourceType) string {
	if len(rt.Extensions) == 0 {
		return fmt.Sprintf("the only schema is %q", rt.Schema.ID)
	}
	urns := make([]string, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		urns = append(urns, fmt.Sprintf("%q", e.Schema.ID))
	}
	return fmt.Sprintf("the schemas are %q and the extensions %s",
		rt.Schema.ID, strings.Join(urns, ", "))
}

// claim records that the input key supplies the attribute named canonical,
// and fails when another key already did.
func claim(names map[string]string, canonical, key string) error {
	if prev, ok := names[canonical]; ok {
		return BadRequest(ErrInvalidSyntax,
			"attribute %q appears twice, as %q and %q; names are not case-sensitive",
			canonical, prev, key)
	}
	names[canonical] = key
	return nil
}

// looksLikeURN reports whether key is meant as a schema URN.
func looksLikeURN(key string) bool {
	return len(key) > 4 && strings.EqualFold(key[:4], "urn:")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
