// Package clientip tells which address a request came from, and whether it
// was made over HTTPS, when scimd runs behind reverse proxies.
//
// The forwarding headers (X-Forwarded-For, X-Forwarded-Proto) are believed
// only from a peer in a trusted range: anyone else could write them to
// choose the address that sign-in throttling counts them under. The header's
// leftmost entry is never believed blindly either, since a client may send
// the header itself and a proxy appends to what it received. The header is
// read from the right, where the nearest proxy wrote, skipping trusted hops;
// the first untrusted hop is the client.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// MaxHops bounds how many X-Forwarded-For entries are read. A chain of
// trusted proxies longer than this is not plausible; past it the request
// is counted under its peer's address.
const MaxHops = 16

// Resolver answers for one set of trusted proxies. A nil *Resolver, like
// one made from no ranges, trusts no proxy: every request is counted under
// its peer's address and the forwarding headers are ignored. It is safe
// for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts the forwarding headers of peers within
// the given ranges.
func New(trusted ...netip.Prefix) *Resolver {
	r := &Resolver{}
	for _, p := range trusted {
		r.trusted = append(r.trusted, p.Masked())
	}
	return r
}

// Parse reads a comma-separated list of trusted proxy ranges in CIDR
// notation, such as "10.0.0.0/8, 2001:db8::/32"; a bare address stands for
// itself alone. Blank entries are ignored, so "" trusts no proxy. It returns
// an error naming the first entry that is neither.
func Parse(list string) (*Resolver, error) {
	var prefixes []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("parse trusted proxy %q: want a range such as "+
				"10.0.0.0/8 or an address: %w", item, err)
		}
		prefixes = append(prefixes, p)
	}
	return New(prefixes...), nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("address %q has a zone", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		// "::ffff:10.0.0.0/104" means 10.0.0.0/8; addresses are compared
		// unmapped.
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("range %q mixes IPv4 and IPv6", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, nil
}

// Prefixes returns the trusted ranges.
func (r *Resolver) Prefixes() []netip.Prefix {
	if r == nil {
		return nil
	}
	return append([]netip.Prefix(nil), r.trusted...)
}

// String returns the trusted ranges comma-separated, as Parse reads them.
func (r *Resolver) String() string {
	var b strings.Builder
	for i, p := range r.Prefixes() {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Trusted reports whether a lies within a trusted range.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the address of the client that made req, without a port:
// the peer's address, or, when the peer is a trusted proxy, the nearest
// untrusted address in X-Forwarded-For. When every entry is trusted the
// leftmost one is the client, as each was written by a trusted hop. A
// header that is missing, malformed or longer than MaxHops entries counts
// the request under the peer. A RemoteAddr that is not host:port (as from
// a Unix socket) is returned as it is.
func (r *Resolver) Addr(req *http.Request) string {
	peer, ok := r.trustedPeer(req)
	if !ok {
		return peerHost(req.RemoteAddr)
	}
	client, ok := r.forwarded(req.Header.Values("X-Forwarded-For"))
	if !ok {
		return peer.String()
	}
	return client.String()
}

// Scheme returns "https" when req reached scimd over TLS, or when its
// peer is a trusted proxy whose X-Forwarded-Proto says so; "http"
// otherwise. Of a list ("https, http") the first entry counts, as the
// outermost proxy wrote it.
func (r *Resolver) Scheme(req *http.Request) string {
	if req.TLS != nil {
		return "https"
	}
	if _, ok := r.trustedPeer(req); ok {
		first, _, _ := strings.Cut(req.Header.Get("X-Forwarded-Proto"), ",")
		if strings.EqualFold(strings.TrimSpace(first), "https") {
			return "https"
		}
	}
	return "http"
}

// trustedPeer returns req's peer address when it is a trusted proxy.
func (r *Resolver) trustedPeer(req *http.Request) (netip.Addr, bool) {
	if r == nil || len(r.trusted) == 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(peerHost(req.RemoteAddr))
	if err != nil || a.Zone() != "" || !r.Trusted(a) {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// forwarded walks X-Forwarded-For from the right: the last header line
// first, each line's entries right to left. It reports false when the
// walk meets a malformed entry or runs past MaxHops before it ends.
func (r *Resolver) forwarded(lines []string) (netip.Addr, bool) {
	var last netip.Addr
	hops := 0
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for done := false; !done; {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				done = true
			}
			if hops++; hops > MaxHops {
				return netip.Addr{}, false
			}
			a, ok := parseHop(entry)
			if !ok {
				return netip.Addr{}, false
			}
			if !r.Trusted(a) {
				return a, true
			}
			last = a
		}
	}
	return last, last.IsValid()
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a
// port as some proxies add ("192.0.2.1:4711", "[2001:db8::1]:4711"), or
// an IPv6 address in brackets. Obfuscated identifiers such as "unknown"
// and zoned addresses are refused.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		if ap, perr := netip.ParseAddrPort(s); perr == nil {
			a, err = ap.Addr(), nil
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
		}
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// peerHost returns the host part of a RemoteAddr, or all of it when it is
// not host:port.
func peerHost(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}
