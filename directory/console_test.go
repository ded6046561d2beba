package directory

import "testing"

func TestClientFromUserAgent(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"Okta SCIM Client 1.0.0", "Okta"},
		{"Microsoft Azure AD SCIM provisioning 1.0.0", "Entra ID"},
		{"Azure Active Directory SCIM provisioning", "Entra ID"},
		{"OneLogin SCIM", "OneLogin"},
		{"JumpCloud SCIM Client/1.0", "JumpCloud"},
		{"python-requests/2.31.0", "python-requests"},
		{"curl/8.5.0", "curl"},
		{"  ", "unknown"},
		{"", "unknown"},
		{"a-very-long-client-name-that-goes-on-and-on/1",
			"a-very-long-client-name-that-goes-on-and"},
	}
	for _, tt := range tests {
		if got := ClientFromUserAgent(tt.ua); got != tt.want {
			t.Errorf("ClientFromUserAgent(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}
