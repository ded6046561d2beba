package scim

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ErrorType is a scimType value from RFC 7644 §3.12. Values cross the wire:
// append new ones, never rename.
type ErrorType string

// The scimType values of RFC 7644 §3.12 (Table 9), plus none for errors that
// carry only a status.
const (
	ErrNone           ErrorType = ""
	ErrInvalidFilter  ErrorType = "invalidFilter"
	ErrTooMany        ErrorType = "tooMany"
	ErrUniqueness     ErrorType = "uniqueness"
	ErrMutability     ErrorType = "mutability"
	ErrInvalidSyntax  ErrorType = "invalidSyntax"
	ErrInvalidPath    ErrorType = "invalidPath"
	ErrNoTarget       ErrorType = "noTarget"
	ErrInvalidValue   ErrorType = "invalidValue"
	ErrInvalidVersion ErrorType = "invalidVers"
	ErrSensitive      ErrorType = "sensitive"
)

// Error is a SCIM error response (RFC 7644 §3.12). Its Detail is meant for a
// person reading the identity provider's log: it says what was wrong and, where
// it can, what to send instead.
type Error struct {
	Status int
	Type   ErrorType
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Type != ErrNone {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.Type, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

// MarshalJSON renders the error in the SCIM error schema. The status is a
// string, as RFC 7644 §3.12 shows it.
func (e *Error) MarshalJSON() ([]byte, error) {
	body := struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
	}{[]string{ErrorSchema}, strconv.Itoa(e.Status), string(e.Type), e.Detail}
	return marshal(body)
}

// Errorf returns an Error with the given status and scimType and a detail
// built from format.
func Errorf(status int, t ErrorType, format string, args ...any) *Error {
	return &Error{Status: status, Type: t, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 error with the given scimType.
func BadRequest(t ErrorType, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, t, format, args...)
}

// NotFound returns a 404 error.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, ErrNone, format, args...)
}

// Conflict returns a 409 uniqueness error.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, ErrUniqueness, format, args...)
}

// PreconditionFailed returns a 412 error for a version mismatch.
func PreconditionFailed(format string, args ...any) *Error {
	return Errorf(http.StatusPreconditionFailed, ErrNone, format, args...)
}

// AsError returns err as a *Error when it is one or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
