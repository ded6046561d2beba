package directory

import (
	"fmt"
	"strings"
)

// Version is an If-Match precondition: the version a writer expects, or
// AnyVersion when the request carried none.
type Version = int64

// AnyVersion means the write has no precondition.
const AnyVersion Version = 0

// ETag renders a version as the weak entity tag of RFC 7644 §3.14.
func ETag(v Version) string {
	return fmt.Sprintf(`W/"%d"`, v)
}

// ParseETag reads an entity tag back into a version. A strong tag is read as
// a weak one, since clients copy what they saw. It returns false for a tag
// scimd cannot have made.
func ParseETag(tag string) (Version, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	tag = strings.Trim(tag, `"`)
	var v int64
	if _, err := fmt.Sscanf(tag, "%d", &v); err != nil || v < 1 || fmt.Sprint(v) != tag {
		return 0, false
	}
	return v, true
}
