package clientip_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimd/scimd/clientip"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, list, want, err string
	}{
		{"empty", "", "", ""},
		{"blanks", " , ,", "", ""},
		{"one-range", "10.0.0.0/8", "10.0.0.0/8", ""},
		{"several", "10.0.0.0/8, 192.168.1.7 ,2001:db8::/32",
			"10.0.0.0/8,192.168.1.7/32,2001:db8::/32", ""},
		{"bare-v6", "2001:db8::1", "2001:db8::1/128", ""},
		{"host-bits-dropped", "10.1.2.3/8", "10.0.0.0/8", ""},
		{"mapped-range", "::ffff:10.0.0.0/104", "10.0.0.0/8", ""},
		{"mapped-addr", "::ffff:10.0.0.1", "10.0.0.1/32", ""},
		{"bad-bits", "10.0.0.0/33", "", `"10.0.0.0/33"`},
		{"hostname", "proxy.internal", "", `"proxy.internal"`},
		{"zone", "fe80::1%eth0", "", `"fe80::1%eth0"`},
		{"mixed-mapped", "::ffff:0:0/80", "", "mixes IPv4 and IPv6"},
		{"second-bad", "10.0.0.0/8,nope", "", `"nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := clientip.Parse(tt.list)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) error %v, want one naming %s", tt.list, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.list, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.list, got, tt.want)
			}
		})
	}
}

const proxies = "10.0.0.0/8, 2001:db8:1::/48"

func request(remote string, xff ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = remote
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	return req
}

func TestAddr(t *testing.T) {
	r, err := clientip.Parse(proxies)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("10.0.0.9, ", clientip.MaxHops) + "10.0.0.9"
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no-proxy", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"untrusted-peer-header-ignored", "192.0.2.1:5000", []string{"198.51.100.7"}, "192.0.2.1"},
		{"trusted-peer-no-header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"one-proxy", "10.0.0.2:5000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"spoofed-leftmost", "10.0.0.2:5000", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"two-proxies", "10.0.0.2:5000", []string{"198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"stops-at-first-untrusted", "10.0.0.2:5000", []string{"10.0.0.5, 203.0.113.1, 10.0.0.3"},
			"203.0.113.1"},
		{"all-trusted-leftmost", "10.0.0.2:5000", []string{"10.0.0.5, 10.0.0.3"}, "10.0.0.5"},
		{"header-lines-in-order", "10.0.0.2:5000", []string{"1.2.3.4", "198.51.100.7, 10.0.0.3"},
			"198.51.100.7"},
		{"walks-into-earlier-line", "10.0.0.2:5000", []string{"198.51.100.7", "10.0.0.3"},
			"198.51.100.7"},
		{"with-port", "10.0.0.2:5000", []string{"198.51.100.7:4711"}, "198.51.100.7"},
		{"v6-bracket-port", "10.0.0.2:5000", []string{"[2001:db8:9::1]:4711"}, "2001:db8:9::1"},
		{"v6-bracket", "10.0.0.2:5000", []string{"[2001:db8:9::1]"}, "2001:db8:9::1"},
		{"v6-proxy", "[2001:db8:1::5]:443", []string{"2001:db8:9::1, 2001:db8:1::6"},
			"2001:db8:9::1"},
		{"mapped-peer", "[::ffff:10.0.0.2]:5000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"mapped-hop", "10.0.0.2:5000", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"spaces-and-tabs", "10.0.0.2:5000", []string{" \t198.51.100.7 ,\t10.0.0.3 "},
			"198.51.100.7"},
		{"garbage-left-of-client", "10.0.0.2:5000", []string{"garbage, 198.51.100.7"},
			"198.51.100.7"},
		{"malformed-falls-back", "10.0.0.2:5000", []string{"198.51.100.7, unknown"}, "10.0.0.2"},
		{"empty-entry-falls-back", "10.0.0.2:5000", []string{"198.51.100.7,,10.0.0.3"},
			"10.0.0.2"},
		{"empty-header-falls-back", "10.0.0.2:5000", []string{""}, "10.0.0.2"},
		{"zone-falls-back", "10.0.0.2:5000", []string{"fe80::1%eth0"}, "10.0.0.2"},
		{"hostname-falls-back", "10.0.0.2:5000", []string{"client.example"}, "10.0.0.2"},
		{"too-many-hops", "10.0.0.2:5000", []string{"198.51.100.7, " + long}, "10.0.0.2"},
		{"max-hops-ok", "10.0.0.2:5000", []string{strings.Repeat("10.0.0.9, ",
			clientip.MaxHops-1) + "198.51.100.7"}, "198.51.100.7"},
		{"not-host-port", "@", []string{"198.51.100.7"}, "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Addr(request(tt.remote, tt.xff...)); got != tt.want {
				t.Errorf("Addr(%s, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

// TestTrustNone checks that no setting, and a nil Resolver, ignore the
// headers whoever sends them.
func TestTrustNone(t *testing.T) {
	empty, err := clientip.Parse("")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*clientip.Resolver{nil, empty} {
		req := request("10.0.0.2:5000", "198.51.100.7")
		req.Header.Set("X-Forwarded-Proto", "https")
		if got := r.Addr(req); got != "10.0.0.2" {
			t.Errorf("Addr = %q, want the peer", got)
		}
		if got := r.Scheme(req); got != "http" {
			t.Errorf("Scheme = %q, want http", got)
		}
	}
}

func TestScheme(t *testing.T) {
	r, err := clientip.Parse(proxies)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote, proto string
		tls                 bool
		want                string
	}{
		{"plain", "192.0.2.1:5000", "", false, "http"},
		{"tls", "192.0.2.1:5000", "", true, "https"},
		{"tls-wins", "10.0.0.2:5000", "http", true, "https"},
		{"untrusted-header-ignored", "192.0.2.1:5000", "https", false, "http"},
		{"trusted-https", "10.0.0.2:5000", "https", false, "https"},
		{"trusted-any-case", "10.0.0.2:5000", "HTTPS", false, "https"},
		{"trusted-http", "10.0.0.2:5000", "http", false, "http"},
		{"trusted-list-first", "10.0.0.2:5000", "https, http", false, "https"},
		{"trusted-garbage", "10.0.0.2:5000", "ftp", false, "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(tt.remote)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if got := r.Scheme(req); got != tt.want {
				t.Errorf("Scheme = %q, want %q", got, tt.want)
			}
		})
	}
}
