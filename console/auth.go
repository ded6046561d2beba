package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
)

// touchEvery coalesces session activity writes: a session's last-seen time
// is written at most once a minute, which is precise enough for a 30-minute
// idle limit.
const touchEvery = time.Minute

type ctxKey int

const userKey ctxKey = iota

// userFrom returns the signed-in user of r, set by authed.
func userFrom(r *http.Request) (*directory.ConsoleUser, bool) {
	u, ok := r.Context().Value(userKey).(*directory.ConsoleUser)
	return u, ok
}

func (s *server) cookieName() string {
	if s.cfg.Secure {
		// The __Host- prefix makes browsers refuse the cookie unless it is
		// Secure, host-only and for path "/", so a sibling subdomain cannot
		// plant one.
		return "__Host-scimd_session"
	}
	return "scimd_session"
}

// sessionID returns the stored id of a cookie secret.
func sessionID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// startSession signs u in: it stores a new session, sets its cookie and
// records the sign-in.
func (s *server) startSession(ctx context.Context, w http.ResponseWriter,
	u *directory.ConsoleUser) error {
	if err := s.newSession(ctx, w, u); err != nil {
		return err
	}
	if err := s.cs.RecordSignIn(ctx, u.ID, s.cfg.Now().UTC()); err != nil {
		s.log.Warn("record sign-in", "user_id", u.ID, "error", err)
	}
	s.log.Info("signed in", "user_id", u.ID, "email", u.Email)
	return nil
}

// newSession stores a new session of u and sets its cookie.
func (s *server) newSession(ctx context.Context, w http.ResponseWriter,
	u *directory.ConsoleUser) error {
	secret, err := randomSecret()
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	sess := &directory.Session{
		ID:         sessionID(secret),
		UserID:     u.ID,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(MaxSessionAge),
	}
	if err := s.cs.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("create session for %q: %w", u.Email, err)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(),
		Value:    secret,
		Path:     "/",
		MaxAge:   int(MaxSessionAge / time.Second),
		HttpOnly: true,
		Secure:   s.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (s *server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// current returns the live session of r and its user, or ErrNotFound when
// r carries none. An expired session is deleted.
func (s *server) current(r *http.Request) (*directory.Session, *directory.ConsoleUser, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil, directory.ErrNotFound
	}
	ctx := r.Context()
	sess, err := s.cs.Session(ctx, sessionID(c.Value))
	if err != nil {
		return nil, nil, err
	}
	now := s.cfg.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= IdleTimeout {
		if err := s.cs.DeleteSession(ctx, sess.ID); err != nil {
			s.log.Warn("delete expired session", "error", err)
		}
		return nil, nil, directory.ErrNotFound
	}
	u, err := s.cs.ConsoleUser(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.cs.TouchSession(ctx, sess.ID, now.UTC()); err != nil {
			s.log.Warn("touch session", "error", err)
		}
	}
	return sess, u, nil
}

// authed serves h to a signed-in user and sends anyone else to the sign-in
// page, remembering where they were going.
func (s *server) authed(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	inner := s.handle(h)
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		_, u, err := s.current(r)
		if errors.Is(err, directory.ErrNotFound) {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = r.URL.Path
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return fmt.Errorf("read session: %w", err)
		}
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
		return nil
	})
}

// account returns the account named in r's path when the signed-in user may
// see it. Another account's pages answer 404, as if they did not exist.
func (s *server) account(r *http.Request) (*directory.Account, error) {
	u, ok := userFrom(r)
	id := r.PathValue("id")
	if !ok || (!u.Operator() && u.AccountID != id) {
		return nil, notFound("There is no such account, or you may not see it.")
	}
	a, err := s.svc.Account(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, notFound("There is no such account, or you may not see it.")
	}
	if err != nil {
		return nil, fmt.Errorf("read account %q: %w", id, err)
	}
	return a, nil
}

// safeNext returns next when it is a path on this site, and "/" otherwise,
// so that the sign-in form cannot be used to send people elsewhere.
// Browsers read a Location leniently: they drop tabs and newlines and take
// a backslash for a slash, so "/\t/evil.example" and "/\\evil.example" lead
// off the site like "//evil.example". A next with a control character or a
// backslash anywhere is therefore refused, and what is left must parse as a
// path alone.
func safeNext(next string) string {
	if len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

type signInData struct {
	Email string
	Next  string
}

func (s *server) signInPage(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.current(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "signin", &view{Title: "Sign in",
		Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
	return nil
}

func (s *server) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	email := foldEmail(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	data := signInData{Email: email, Next: safeNext(r.PostFormValue("next"))}
	fail := func(status int, msg string) error {
		s.render(w, r, status, "signin", &view{Title: "Sign in", Error: msg, Data: data})
		return nil
	}
	if email == "" || pw == "" {
		return fail(http.StatusBadRequest, "Enter your email address and password.")
	}
	if len(pw) > MaxPasswordLen || len(email) > maxEmailLen {
		return fail(http.StatusUnauthorized, "Wrong email address or password.")
	}

	// Refuse before hashing anything while either key is locked.
	keys := []throttleKey{
		{"email:" + email, emailLimit, "this email address"},
		{"addr:" + s.cfg.ClientAddr(r), addrLimit, "your network address"},
	}
	for _, k := range keys {
		wait, err := s.locked(ctx, k)
		if err != nil {
			return err
		}
		if wait > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			s.log.Warn("sign-in throttled", "key", k.key, "wait", wait.String())
			return fail(http.StatusTooManyRequests, fmt.Sprintf(
				"Too many failed sign-ins for %s. Try again in %s.", k.who, roundWait(wait)))
		}
	}

	u, err := s.cs.ConsoleUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		return fmt.Errorf("find console user %q: %w", email, err)
	}
	hash := dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := VerifyPassword(pw, hash)
	if err != nil {
		return fmt.Errorf("verify password of %q: %w", email, err)
	}
	if u == nil || !ok {
		for _, k := range keys {
			if err := s.countFailure(ctx, k); err != nil {
				return err
			}
		}
		s.log.Info("sign-in failed", "email", email, "client_addr", s.cfg.ClientAddr(r))
		return fail(http.StatusUnauthorized, "Wrong email address or password.")
	}

	// Only the email's count is cleared: clearing the address's would let
	// one working account reset the limit for guessing at others.
	if err := s.cs.ClearSignInFailures(ctx, keys[0].key); err != nil {
		return fmt.Errorf("clear sign-in failures: %w", err)
	}
	s.endSession(r)
	if err := s.startSession(ctx, w, u); err != nil {
		return err
	}
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

// endSession deletes the session r's cookie names, if any.
func (s *server) endSession(r *http.Request) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return
	}
	if err := s.cs.DeleteSession(r.Context(), sessionID(c.Value)); err != nil {
		s.log.Warn("delete session", "error", err)
	}
}

func (s *server) signOut(w http.ResponseWriter, r *http.Request) error {
	s.endSession(r)
	s.clearCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// home sends an operator to the accounts and an account admin to the
// account's single sign-on settings.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r)
	if u.Operator() {
		http.Redirect(w, r, "/accounts", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/accounts/"+url.PathEscape(u.AccountID)+"/sso", http.StatusSeeOther)
	return nil
}
