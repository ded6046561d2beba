package directory

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	for _, tt := range []struct {
		ip   string
		want bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 of 8.8.8.8

		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fd00:ec2::254", false}, // AWS metadata over IPv6
		{"100.64.0.1", false},
		{"100.100.100.200", false}, // Alibaba Cloud metadata
		{"192.0.0.1", false},
		{"198.18.0.1", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"ff02::1", false},
		{"64:ff9b::7f00:1", false},    // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"2002:a00:1::1", false},      // 6to4 of 10.0.0.1
		{"2001:db8::1", false},
		{"2001:0:4136:e378::1", false}, // Teredo
	} {
		if got := PublicAddr(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("PublicAddr(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	if PublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestCheckWebhookHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		ok   bool
	}{
		{"hooks.example.com", true},
		{"93.184.215.14", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"169.254.169.254", false},
		{"10.1.2.3", false},
		{"localhost", false},
		{"LOCALHOST.", false},
		{"api.localhost", false},
		{"localhost.example.com", true},
	} {
		err := CheckWebhookHost(tt.host, false)
		if (err == nil) != tt.ok {
			t.Errorf("CheckWebhookHost(%q) = %v, want ok %v", tt.host, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) ||
			!strings.Contains(err.Error(), "--webhook-allow-private")) {
			t.Errorf("CheckWebhookHost(%q) = %v, want ErrInvalid naming the setting",
				tt.host, err)
		}
		if err := CheckWebhookHost(tt.host, true); err != nil {
			t.Errorf("CheckWebhookHost(%q, allowPrivate) = %v", tt.host, err)
		}
	}
}
