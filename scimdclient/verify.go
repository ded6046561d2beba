package scimdclient

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors of VerifyWebhook. A receiver answers any of them with 400 or 401
// and processes nothing.
var (
	// ErrMissingHeaders: the webhook-id, webhook-timestamp or
	// webhook-signature header is absent.
	ErrMissingHeaders = errors.New("webhook headers missing")
	// ErrTimestamp: the timestamp is malformed or too far from now, which
	// is how a replayed old message is refused.
	ErrTimestamp = errors.New("webhook timestamp out of tolerance")
	// ErrSignature: no signature in the header matches the message.
	ErrSignature = errors.New("webhook signature mismatch")
	// ErrSecret: the secret is not "whsec_" followed by base64.
	ErrSecret = errors.New("webhook secret malformed")
)

// DefaultTolerance is the timestamp tolerance Standard Webhooks recommends.
const DefaultTolerance = 5 * time.Minute

// VerifyWebhook checks a delivery as Standard Webhooks says: the
// webhook-signature header holds one or more space-separated "v1,<base64>"
// signatures (several while the sender rotates secrets), and one of them
// must be the HMAC-SHA256, under the secret's base64-decoded bytes, of
// "<webhook-id>.<webhook-timestamp>.<body>"; the timestamp must lie within
// tolerance of now, in either direction (0 means DefaultTolerance).
// Comparisons are constant-time. It returns nil or an error wrapping
// ErrMissingHeaders, ErrTimestamp, ErrSignature or ErrSecret.
//
// Pass the body exactly as received: a body parsed and encoded again is
// not the one that was signed.
func VerifyWebhook(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	return verifyAt(time.Now(), secret, header, body, tolerance)
}

func verifyAt(now time.Time, secret string, header http.Header, body []byte,
	tolerance time.Duration) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return ErrSecret
	}
	id := header.Get("webhook-id")
	ts := header.Get("webhook-timestamp")
	sigs := header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}

	// The timestamp is checked before the signature so that a replay of an
	// old, validly signed message is refused.
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, ts)
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: off by %s, tolerance %s", ErrTimestamp,
			skew.Truncate(time.Second), tolerance)
	}

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, enc, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue // another scheme, such as the asymmetric v1a
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
