package scim

import (
	"bytes"
	"encoding/json"
)

// marshal encodes v as JSON without escaping <, > and &, which SCIM clients
// would otherwise see as \u003c in values such as email addresses and URLs.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// duplicateName reports the first member name that appears twice in one
// object of body, which must be valid JSON, and the input offset just after
// its second appearance.
func duplicateName(body []byte) (name string, offset int64, found bool) {
	// level is an object or array being read; names is nil for an array.
	type level struct {
		names   map[string]bool
		wantKey bool // the next token of the object is a member name
	}
	var stack []*level
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", 0, false
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				if stack[n-1].names[key] {
					return key, dec.InputOffset(), true
				}
				stack[n-1].names[key] = true
				stack[n-1].wantKey = false
				continue
			}
		}

		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{names: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}

		// A value ended; in an object, a member name comes next.
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].wantKey = true
		}
	}
}
