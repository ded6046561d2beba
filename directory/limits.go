package directory

import (
	"fmt"

	"github.com/scimd/scimd/scim"
)

// MaxIdentifierBytes is the longest value, in bytes, of an attribute that
// the store keeps in an indexed lookup column: a user's userName, every
// emails.value, and externalId and displayName of users and groups. Index
// keys are bounded (PostgreSQL refuses a B-tree entry over about 2.7 kB, and
// case folding may lengthen a value by half), so without this limit a long
// value would fail on one engine and not the other. Identity providers send
// far shorter values: sign-in names and email addresses stay under a few
// hundred bytes. The ServiceProviderConfig advertises the limit.
const MaxIdentifierBytes = 1024

// checkLookupSizes refuses a normalized document of kind whose lookup
// attributes are longer than MaxIdentifierBytes, with a 400 invalidValue
// error that names the attribute.
func checkLookupSizes(kind Kind, doc map[string]any) error {
	names := []string{"externalId", "displayName"}
	if kind == KindUser {
		names = append(names, "userName")
	}
	for _, name := range names {
		if v, _ := doc[name].(string); len(v) > MaxIdentifierBytes {
			return tooLong(name, len(v))
		}
	}
	if kind != KindUser {
		return nil
	}
	emails, _ := doc["emails"].([]any)
	for i, e := range emails {
		m, _ := e.(map[string]any)
		if v, _ := m["value"].(string); len(v) > MaxIdentifierBytes {
			return tooLong(fmt.Sprintf("emails[%d].value", i), len(v))
		}
	}
	return nil
}

func tooLong(path string, n int) error {
	return scim.BadRequest(scim.ErrInvalidValue,
		"attribute %q is %d bytes long; at most %d bytes are accepted", path, n, MaxIdentifierBytes)
}
