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
