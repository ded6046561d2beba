package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/scimd/scimd/directory"
)

// maxResponseHeader bounds the response headers of one delivery; a receiver
// has no reason to send more.
const maxResponseHeader = 64 << 10

// newClient returns the http.Client that delivers webhooks: one attempt
// takes at most timeout, redirects are not followed (a 3xx is a failed
// attempt, so that a receiver cannot bounce scimd elsewhere), and no proxy
// from the environment is used, so that the address checked is the one
// connected to. Unless allowPrivate is set, only public addresses are
// connected to.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refuseNonPublic
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    timeout,
			ResponseHeaderTimeout:  timeout,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: maxResponseHeader,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// refuseNonPublic is a net.Dialer Control hook: it runs for every address
// the dialer tries, after name resolution and before the connection, so a
// name that resolves (or is re-pointed) to an internal address is refused
// like the address itself.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q cannot be checked: %w", address, err)
	}
	if !directory.PublicAddr(ap.Addr()) {
		return fmt.Errorf("%s is not a public internet address; webhooks go to public "+
			"addresses unless scimd runs with --webhook-allow-private", ap.Addr().Unmap())
	}
	return nil
}
