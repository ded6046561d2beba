package sqlstore

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u:s3cret@db:5432/x", "postgres://u:xxxxx@db:5432/x"},
		{"postgres://db/x?sslmode=disable&password=s3cret",
			"postgres://db/x?password=xxxxx&sslmode=disable"},
		{"postgres://u@db/x", "postgres://u@db/x"},
		{"host=db user=u password=s3cret", "(not a URL)"},
		{"sqlite:/var/lib/scimd/scimd.db", "sqlite:/var/lib/scimd/scimd.db"},
		{"", ""},
	} {
		got := RedactURL(tt.in)
		if got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
