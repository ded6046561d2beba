package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules. The upper bound keeps a sign-in request from making the
// server hash megabytes; argon2id itself accepts any length.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// argon2id parameters for new hashes: the OWASP recommendation of 19 MiB,
// two passes, one lane. Stored hashes carry their own parameters, so these
// can be raised later without invalidating old passwords.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on the parameters of a stored hash, so that a tampered row cannot
// make one sign-in take gigabytes.
const (
	maxArgonMemory  = 256 * 1024
	maxArgonTime    = 10
	maxArgonThreads = 16
)

// hashSlots bounds how many hashes run at once: each holds argonMemory.
var hashSlots = make(chan struct{}, 4)

var errBadHash = errors.New("malformed password hash")

// checkPassword returns a message for a person when pw breaks the rules, or
// "".
func checkPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return fmt.Sprintf("Choose a password of at least %d characters.", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Sprintf("Choose a password of at most %d bytes.", MaxPasswordLen)
	}
	return ""
}

// HashPassword returns a PHC-style argon2id hash of pw with a random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>. It fails only when the
// system's random source does.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	key := derive(pw, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemory, argonTime, argonThreads, enc.EncodeToString(salt),
		enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches hash. It returns an error only
// for a hash it cannot read.
func VerifyPassword(pw, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("%w: version %q", errBadHash, parts[2])
	}
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil {
		return false, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
	}
	if mem == 0 || mem > maxArgonMemory || passes == 0 || passes > maxArgonTime ||
		threads == 0 || threads > maxArgonThreads {
		return false, fmt.Errorf("%w: parameters %q out of bounds", errBadHash, parts[3])
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("%w: salt: %v", errBadHash, err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, fmt.Errorf("%w: key", errBadHash)
	}

	got := derive(pw, salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when a sign-in names an unknown email, so
// that the answer takes as long as for a known one.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not a password anyone has")
	if err != nil {
		panic(err)
	}
	return h
})

func derive(pw string, salt []byte, passes, mem uint32, threads uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(pw), salt, passes, mem, threads, n)
}
