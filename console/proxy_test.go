package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/clientip"
	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/sqlstore"
)

// TestBehindProxy serves the console as if behind a proxy on 127.0.0.1
// that ends TLS: the connector URL takes the proxy's scheme, and sign-in
// throttling counts each forwarded client on its own.
func TestBehindProxy(t *testing.T) {
	proxies, err := clientip.Parse("127.0.0.1/32, ::1")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(_ *sqlstore.DB, cfg *console.Config) {
		cfg.PublicURL, cfg.ClientAddr, cfg.Scheme = "", proxies.Addr, proxies.Scheme
	})
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	b := e.browser()
	b.signIn("admin@acme.example")

	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tt := range []struct{ proto, want string }{
		{"https", "https://" + host + console.ConnectorPath},
		{"", "http://" + host + console.ConnectorPath},
	} {
		hdr := http.Header{}
		if tt.proto != "" {
			hdr.Set("X-Forwarded-Proto", tt.proto)
		}
		resp, body := b.do(http.MethodGet, "/accounts/"+a.ID+"/sso", nil, hdr)
		want(t, resp, body, http.StatusOK, `value="`+tt.want+`"`)
	}

	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	bad := func(i int) url.Values {
		return url.Values{"email": {guessEmail(i)}, "password": {"wrong password!"}}
	}
	for i := range 20 {
		resp, body := b.do(http.MethodPost, "/signin", bad(i), from("203.0.113.1"))
		want(t, resp, body, http.StatusUnauthorized)
	}
	resp, body := e.browser().do(http.MethodPost, "/signin", bad(20), from("203.0.113.1"))
	want(t, resp, body, http.StatusTooManyRequests, "your network address")
	resp, body = e.browser().do(http.MethodPost, "/signin", url.Values{
		"email": {"admin@acme.example"}, "password": {testPassword}}, from("203.0.113.2"))
	want(t, resp, body, http.StatusSeeOther)
}
