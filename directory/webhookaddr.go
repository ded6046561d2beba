package directory

import (
	"fmt"
	"net/netip"
	"strings"
)

// Webhook destinations. Whoever may configure an endpoint (an operator
// through the management API, an account admin in the console) chooses
// where scimd sends requests, and the delivery log shows what came back. Left
// unchecked, that turns scimd into a way to reach what only its own host can
// reach: the loopback interface, the private network, the cloud metadata
// service at 169.254.169.254. So by default webhooks go to public addresses
// only; an operator whose receiver lives on the same host or network allows
// the others explicitly (scimd serve --webhook-allow-private).
//
// The URL check here refuses what the URL itself shows (an address literal,
// localhost). A name that resolves to a refused address is caught by the
// dispatcher, which checks every address it connects to, after resolution,
// so that a name re-pointed between check and use (DNS rebinding) gains
// nothing.

// nonPublic lists the ranges that are not the public internet beyond what
// netip.Addr's own predicates (loopback, private, link-local, multicast,
// unspecified) cover: shared, reserved, documentation and benchmarking
// space, and the IPv6 prefixes that carry a tunnel's IPv4 endpoint.
var nonPublic = mustPrefixes(
	"0.0.0.0/8",       // "this network" (RFC 791); 0.0.0.0 reaches the host
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598); some cloud metadata lives here
	"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
	"192.0.2.0/24",    // documentation (RFC 5737)
	"198.18.0.0/15",   // benchmarking (RFC 2544)
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"240.0.0.0/4",     // reserved, and the broadcast address
	"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215)
	"100::/64",        // discard-only (RFC 6666)
	"2001::/32",       // Teredo, which embeds an IPv4 address
	"2001:db8::/32",   // documentation (RFC 3849)
	"fec0::/10",       // deprecated site-local
)

// Prefixes whose addresses embed an IPv4 address that a gateway on the path
// may reach: NAT64's well-known prefix (RFC 6052) ends with it, 6to4
// (RFC 3056) carries it in bits 16 to 47.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// PublicAddr reports whether ip is an address of the public internet, to
// which webhooks may be sent without the operator's leave: not loopback,
// private, link-local (the metadata service), multicast, unspecified,
// shared, reserved or documentation space, nor an IPv6 address that embeds
// such an IPv4 address. It never fails; an invalid ip is not public.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return PublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return PublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return true
}

// CheckWebhookHost returns nil when a webhook URL's host (as
// url.URL.Hostname gives it) may receive webhooks, and otherwise an error
// wrapping ErrInvalid whose text, after "invalid: ", a person can act on.
// Unless allowPrivate is set, it refuses an address literal that PublicAddr
// refuses and the name localhost with its subdomains. Other names are not
// resolved here; see the comment above nonPublic.
func CheckWebhookHost(host string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if ip, err := netip.ParseAddr(name); err == nil {
		if PublicAddr(ip) {
			return nil
		}
		return fmt.Errorf("%w: %s is not a public internet address; webhooks go to "+
			"public addresses unless the operator starts scimd with "+
			"--webhook-allow-private", ErrInvalid, host)
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return fmt.Errorf("%w: %s names this host; webhooks go to public addresses "+
			"unless the operator starts scimd with --webhook-allow-private", ErrInvalid, host)
	}
	return nil
}
