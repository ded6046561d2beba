package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/scimd/scimd/directory"
)

// Console users are managed on two pages of one shape: an account's
// "Console admins", where operators and the account's own admins add and
// remove the account's admins, and "Operators", where operators add and
// remove operators. A new user's initial password is chosen by whoever
// adds them and handed over out of band; the new user can change it on the
// password page. Nobody removes themselves (a slip would lock them out), and
// the store keeps the last operator.

// maxUserIDLen bounds the id in a removal's path; console user ids are
// UUIDs.
const maxUserIDLen = 64

// adminScope is the set of console users one page manages.
type adminScope struct {
	account *directory.Account // nil for the operators
}

func (sc adminScope) accountID() string {
	if sc.account == nil {
		return ""
	}
	return sc.account.ID
}

// base is the page's path, under which its forms post.
func (sc adminScope) base() string {
	if sc.account == nil {
		return "/operators"
	}
	return "/accounts/" + url.PathEscape(sc.account.ID) + "/admins"
}

// accountScope returns the account of r's path when the signed-in user
// may manage its admins: an operator, or one of the account's admins.
func (s *server) accountScope(r *http.Request) (adminScope, error) {
	a, err := s.account(r)
	if err != nil {
		return adminScope{}, err
	}
	return adminScope{account: a}, nil
}

// operatorScope returns the operators' scope when the signed-in user is an
// operator; to anyone else the page does not exist.
func (s *server) operatorScope(r *http.Request) (adminScope, error) {
	if u, ok := userFrom(r); !ok || !u.Operator() {
		return adminScope{}, notFound("There is no page at this address.")
	}
	return adminScope{}, nil
}

type adminsData struct {
	Admins    []*directory.ConsoleUser
	Email     string // the add form's email, kept after a refusal
	Me        string // the signed-in user's id: their row has no remove button
	Base      string
	Operators bool
}

func (s *server) admins(w http.ResponseWriter, r *http.Request) error {
	return s.showAdmins(w, r, s.accountScope)
}

func (s *server) operators(w http.ResponseWriter, r *http.Request) error {
	return s.showAdmins(w, r, s.operatorScope)
}

func (s *server) addAdmin(w http.ResponseWriter, r *http.Request) error {
	return s.addTo(w, r, s.accountScope)
}

func (s *server) addOperator(w http.ResponseWriter, r *http.Request) error {
	return s.addTo(w, r, s.operatorScope)
}

func (s *server) removeAdmin(w http.ResponseWriter, r *http.Request) error {
	return s.removeFrom(w, r, s.accountScope)
}

func (s *server) removeOperator(w http.ResponseWriter, r *http.Request) error {
	return s.removeFrom(w, r, s.operatorScope)
}

type scopeFunc func(*http.Request) (adminScope, error)

func (s *server) showAdmins(w http.ResponseWriter, r *http.Request, scope scopeFunc) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	who := "Admin"
	if sc.account == nil {
		who = "Operator"
	}
	flash := ""
	switch q := r.URL.Query(); {
	case q.Has("added"):
		flash = who + " added. Give them the password through a channel you trust; " +
			"they can change it under Change password once signed in."
	case q.Has("removed"):
		flash = who + " removed. Their sessions have ended."
	}
	return s.renderAdmins(w, r, sc, http.StatusOK, flash, "", "")
}

func (s *server) renderAdmins(w http.ResponseWriter, r *http.Request, sc adminScope,
	status int, flash, msg, email string) error {
	list, err := s.cs.ConsoleUsers(r.Context(), sc.accountID())
	if err != nil {
		return fmt.Errorf("list console users of %q: %w", sc.accountID(), err)
	}
	me, _ := userFrom(r)
	title := "Operators"
	if sc.account != nil {
		title = "Console admins · " + sc.account.Name
	}
	s.render(w, r, status, "admins", &view{Title: title, Account: sc.account,
		Section: "admins", Flash: flash, Error: msg,
		Data: adminsData{Admins: list, Email: email, Me: me.ID, Base: sc.base(),
			Operators: sc.account == nil}})
	return nil
}

// addTo creates a console user in the scope with the email and initial
// password of the form.
func (s *server) addTo(w http.ResponseWriter, r *http.Request, scope scopeFunc) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := r.PostFormValue("email")
	u, err := newUser(email, r.PostFormValue("password"), sc.accountID(), s.cfg.Now())
	if errors.Is(err, directory.ErrInvalid) {
		return s.renderAdmins(w, r, sc, http.StatusBadRequest, "", personMessage(err), email)
	}
	if err != nil {
		return err
	}
	err = s.cs.CreateConsoleUser(r.Context(), u)
	if errors.Is(err, directory.ErrConflict) {
		return s.renderAdmins(w, r, sc, http.StatusConflict, "",
			"A console user with this email address exists.", email)
	}
	if err != nil {
		return fmt.Errorf("create console user %q: %w", u.Email, err)
	}
	by, _ := userFrom(r)
	s.log.Info("console user added", "account_id", sc.accountID(), "user_id", u.ID,
		"email", u.Email, "by", by.ID)
	http.Redirect(w, r, sc.base()+"?added=1", http.StatusSeeOther)
	return nil
}

var errNoSuchAdmin = notFound("There is no such admin here, or they were removed already.")

// removeFrom deletes the console user named in r's path, with the user's
// sessions, when they belong to the scope.
func (s *server) removeFrom(w http.ResponseWriter, r *http.Request, scope scopeFunc) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("uid")
	if len(id) > maxUserIDLen {
		return errNoSuchAdmin
	}
	target, err := s.cs.ConsoleUser(ctx, id)
	if errors.Is(err, directory.ErrNotFound) {
		return errNoSuchAdmin
	}
	if err != nil {
		return fmt.Errorf("read console user %q: %w", id, err)
	}
	if target.AccountID != sc.accountID() {
		return errNoSuchAdmin // another account's admin, or an operator
	}
	me, _ := userFrom(r)
	if target.ID == me.ID {
		return s.renderAdmins(w, r, sc, http.StatusBadRequest, "",
			"You cannot remove yourself. Ask another admin to remove you.", "")
	}

	err = s.cs.DeleteConsoleUser(ctx, id)
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return errNoSuchAdmin
	case errors.Is(err, directory.ErrConflict):
		return s.renderAdmins(w, r, sc, http.StatusConflict, "",
			"scimd keeps at least one operator. Add another before removing this one.", "")
	case err != nil:
		return fmt.Errorf("delete console user %q: %w", id, err)
	}
	s.log.Info("console user removed", "account_id", sc.accountID(), "user_id", id,
		"email", target.Email, "by", me.ID)
	http.Redirect(w, r, sc.base()+"?removed=1", http.StatusSeeOther)
	return nil
}
