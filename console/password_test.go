package console

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the expected parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}

	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
	} {
		got, err := VerifyPassword(tt.pw, h)
		if err != nil || got != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, got, err, tt.want)
		}
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, _ := HashPassword("correct horse battery")
	parts := strings.Split(good, "$")
	for _, tt := range []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"version", strings.Replace(good, "v=19", "v=16", 1)},
		{"memory-too-large", strings.Replace(good, "m=19456", "m=4194304", 1)},
		{"zero-passes", strings.Replace(good, "t=2", "t=0", 1)},
		{"salt-not-base64", strings.Join(append(parts[:4:4], "!!", parts[5]), "$")},
		{"short-key", strings.Join(append(parts[:5:5], "AAAA"), "$")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := VerifyPassword("correct horse battery", tt.hash); err == nil || ok {
				t.Errorf("VerifyPassword(%q) = %v, %v; want an error", tt.hash, ok, err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ünïcödé pässwörd", true},
		{strings.Repeat("x", MaxPasswordLen), true},
		{strings.Repeat("x", MaxPasswordLen+1), false},
	} {
		if got := checkPassword(tt.pw) == ""; got != tt.ok {
			t.Errorf("checkPassword(%d chars) ok = %v, want %v", len(tt.pw), got, tt.ok)
		}
	}
}

func TestLockFor(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "0s"}, {4, "0s"}, {5, "1m0s"}, {6, "2m0s"}, {7, "4m0s"}, {11, "1h0m0s"},
		{50, "1h0m0s"},
	} {
		if got := lockFor(tt.n, emailLimit).String(); got != tt.want {
			t.Errorf("lockFor(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/accounts/x/sso", "/accounts/x/sso"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"accounts", "/"},
		// Browsers drop tabs and newlines from a Location and read a
		// backslash as a slash, which turns these into //evil.example.
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"/.\\evil.example", "/"},
		{"/a\\..\\\\evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/accounts?next=%2F%2Fx", "/accounts?next=%2F%2Fx"},
		{"/accounts/x/users?q=a+b&page=2", "/accounts/x/users?q=a+b&page=2"},
	} {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
