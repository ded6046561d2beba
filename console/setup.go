package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/scimd/scimd/directory"
)

// SetupLinkTTL is how long a setup link works.
const SetupLinkTTL = time.Hour

const maxEmailLen = 254 // RFC 5321's limit on a forward path

// foldEmail returns an email address as console users are keyed by it.
func foldEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkEmail returns a message for a person when email is not a plain
// address, or "".
func checkEmail(email string) string {
	a, err := mail.ParseAddress(email)
	if email == "" || len(email) > maxEmailLen || err != nil || a.Address != email {
		return "Enter an email address such as admin@example.com."
	}
	return ""
}

// newUser checks email and password and returns a console user with the
// password hashed. Its error wraps directory.ErrInvalid with a message for
// a person.
func newUser(email, password, accountID string, now time.Time) (*directory.ConsoleUser, error) {
	email = foldEmail(email)
	if msg := checkEmail(email); msg != "" {
		return nil, fmt.Errorf("%w: %s", directory.ErrInvalid, msg)
	}
	if msg := checkPassword(password); msg != "" {
		return nil, fmt.Errorf("%w: %s", directory.ErrInvalid, msg)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	return &directory.ConsoleUser{
		ID:           uuid.NewString(),
		Email:        email,
		AccountID:    accountID,
		PasswordHash: hash,
		CreatedAt:    now.UTC(),
	}, nil
}

// CreateAdmin creates a console user who signs in with email and password:
// an operator when accountID is "", otherwise an admin of that account
// (resolve a name with directory.Service.FindAccount first). It returns an
// error wrapping directory.ErrInvalid for a malformed email or a password
// shorter than MinPasswordLen, directory.ErrConflict when the email is
// taken, and directory.ErrNotFound when the account does not exist.
func CreateAdmin(ctx context.Context, store directory.ConsoleStore, email, password,
	accountID string) (*directory.ConsoleUser, error) {
	u, err := newUser(email, password, accountID, time.Now())
	if err != nil {
		return nil, err
	}
	if err := store.CreateConsoleUser(ctx, u); err != nil {
		return nil, fmt.Errorf("create console user %q: %w", u.Email, err)
	}
	return u, nil
}

// SetupLink returns the path of a single-use link, valid for SetupLinkTTL,
// that lets its visitor create the first operator; the server logs it with
// its public URL at start. It returns "" when a console user exists already,
// so that a running installation hands out no such link. Only a digest of
// the link's secret is stored.
func SetupLink(ctx context.Context, store directory.ConsoleStore) (string, error) {
	has, err := store.HasConsoleUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("count console users: %w", err)
	}
	if has {
		return "", nil
	}
	secret, err := randomSecret()
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	t := &directory.SetupToken{ID: sessionID(secret), CreatedAt: now,
		ExpiresAt: now.Add(SetupLinkTTL)}
	if err := store.CreateSetupToken(ctx, t); err != nil {
		return "", fmt.Errorf("create setup token: %w", err)
	}
	return "/setup/" + secret, nil
}

type setupData struct {
	Email string
}

var errSetupUsed = notFound("This setup link was used already or has expired. " +
	"Create an operator with `scimd admin create --email ADDRESS`, " +
	"or restart scimd to get a new link if no console user exists yet.")

// setupNeeded returns errSetupUsed once any console user exists: a setup
// link makes the first operator only, so one still unused in a log (say,
// the operator was made from the command line instead) makes no other.
func (s *server) setupNeeded(ctx context.Context) error {
	has, err := s.cs.HasConsoleUsers(ctx)
	if err != nil {
		return fmt.Errorf("count console users: %w", err)
	}
	if has {
		return errSetupUsed
	}
	return nil
}

func (s *server) setupPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.setupNeeded(r.Context()); err != nil {
		return err
	}
	ok, err := s.cs.SetupTokenValid(r.Context(), sessionID(r.PathValue("token")), s.cfg.Now())
	if err != nil {
		return fmt.Errorf("check setup token: %w", err)
	}
	if !ok {
		return errSetupUsed
	}
	s.render(w, r, http.StatusOK, "setup", &view{Title: "Set up scimd", Data: setupData{}})
	return nil
}

func (s *server) setup(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	fail := func(status int, msg string) error {
		s.render(w, r, status, "setup", &view{Title: "Set up scimd", Error: msg,
			Data: setupData{Email: email}})
		return nil
	}
	if err := s.setupNeeded(ctx); err != nil {
		return err
	}
	if pw != r.PostFormValue("confirm") {
		return fail(http.StatusBadRequest, "The two passwords differ. Enter the same one twice.")
	}
	u, err := newUser(email, pw, "", s.cfg.Now())
	if errors.Is(err, directory.ErrInvalid) {
		return fail(http.StatusBadRequest, personMessage(err))
	}
	if err != nil {
		return err
	}

	// setupNeeded answered before the form was checked; the store checks
	// again in the redeeming transaction, so that of several links (scimd
	// restarted within SetupLinkTTL) redeemed at once only one makes an
	// operator.
	err = s.cs.RedeemSetupToken(ctx, sessionID(r.PathValue("token")), s.cfg.Now().UTC(), u)
	if errors.Is(err, directory.ErrNotFound) {
		return errSetupUsed
	}
	if err != nil {
		return fmt.Errorf("redeem setup token: %w", err)
	}
	s.log.Info("first operator created", "user_id", u.ID, "email", u.Email)
	if err := s.startSession(ctx, w, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
	return nil
}

// personMessage returns the message of an error wrapping ErrInvalid.
func personMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, directory.ErrInvalid.Error()+": "); i >= 0 {
		return msg[i+len(directory.ErrInvalid.Error())+2:]
	}
	return msg
}
