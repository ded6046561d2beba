package console

import (
	"fmt"
	"net/http"
)

// passwordPage shows the form that changes the signed-in user's password.
func (s *server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	flash := ""
	if r.URL.Query().Has("changed") {
		flash = "Password changed. Your other sessions have ended."
	}
	s.render(w, r, http.StatusOK, "password", &view{Title: "Change password", Flash: flash})
	return nil
}

// changePassword replaces the signed-in user's password. The current one
// is required, so that a session left open on a shared computer cannot be
// turned into the account; guesses at it count against the same limit as
// sign-ins with the user's email. Every session of the user ends, and this
// browser gets a new one: a session stolen before the change is worthless
// after it.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	u, _ := userFrom(r)
	current, pw := r.PostFormValue("current"), r.PostFormValue("password")
	fail := func(status int, msg string) error {
		s.render(w, r, status, "password", &view{Title: "Change password", Error: msg})
		return nil
	}

	// Check the form before the current password, whose hash is costly.
	rule := checkPassword(pw)
	switch {
	case current == "":
		return fail(http.StatusBadRequest, "Enter your current password.")
	case pw != r.PostFormValue("confirm"):
		return fail(http.StatusBadRequest,
			"The two new passwords differ. Enter the same one twice.")
	case rule != "":
		return fail(http.StatusBadRequest, rule)
	case pw == current:
		return fail(http.StatusBadRequest, "Choose a new password, not your current one.")
	}

	key := throttleKey{"email:" + u.Email, emailLimit, "your account"}
	wait, err := s.locked(ctx, key)
	if err != nil {
		return err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.log.Warn("password change throttled", "user_id", u.ID, "wait", wait.String())
		return fail(http.StatusTooManyRequests, fmt.Sprintf(
			"Too many wrong passwords for %s. Try again in %s.", key.who, roundWait(wait)))
	}
	ok := false
	if len(current) <= MaxPasswordLen {
		ok, err = VerifyPassword(current, u.PasswordHash)
		if err != nil {
			return fmt.Errorf("verify password of %q: %w", u.Email, err)
		}
	}
	if !ok {
		if err := s.countFailure(ctx, key); err != nil {
			return err
		}
		s.log.Info("password change refused", "user_id", u.ID,
			"client_addr", s.cfg.ClientAddr(r))
		return fail(http.StatusForbidden, "Your current password is wrong.")
	}

	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := s.cs.SetConsolePassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("set password of %q: %w", u.Email, err)
	}
	u.PasswordHash = hash
	if err := s.newSession(ctx, w, u); err != nil {
		return err
	}
	s.log.Info("console password changed", "user_id", u.ID, "email", u.Email)
	http.Redirect(w, r, "/password?changed=1", http.StatusSeeOther)
	return nil
}
