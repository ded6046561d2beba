package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// ContentType is the media type of every SCIM response (RFC 7644 §3.1).
const ContentType = "application/scim+json"

// retryAfterSeconds is what a client is told to wait while the database is
// unreachable.
const retryAfterSeconds = 5

// writeJSON renders v into a buffer first, so that an encoding failure can
// still become a clean 500 instead of half a body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		b, _ := json.Marshal(scim.Errorf(status, scim.ErrNone, "the response could not be encoded"))
		buf.Write(b)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// toSCIM maps any error to what the client is told. Errors it does not
// recognise become a 500 whose detail hides the cause; the caller logs it.
func toSCIM(err error) (e *scim.Error, internal bool) {
	if se, ok := scim.AsError(err); ok {
		return se, false
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return scim.Errorf(http.StatusRequestEntityTooLarge, scim.ErrNone,
			"the request body is larger than the limit of %d bytes", tooBig.Limit), false
	case errors.Is(err, directory.ErrUnauthorized):
		return scim.Errorf(http.StatusUnauthorized, scim.ErrNone, "%s", err.Error()), false
	case errors.Is(err, directory.ErrNotFound):
		return scim.NotFound("the resource was not found"), false
	case errors.Is(err, directory.ErrConflict):
		return scim.Conflict("the resource conflicts with an existing one"), false
	case errors.Is(err, directory.ErrVersionMismatch):
		return scim.PreconditionFailed("the resource changed meanwhile: read it again and retry"), false
	case errors.Is(err, directory.ErrUnavailable):
		return scim.Errorf(http.StatusServiceUnavailable, scim.ErrNone,
			"the directory database is unreachable; retry in %d seconds", retryAfterSeconds), false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return scim.Errorf(http.StatusServiceUnavailable, scim.ErrNone,
			"the request was cancelled or took too long; retry it"), false
	}
	return scim.Errorf(http.StatusInternalServerError, scim.ErrNone,
		"internal error; the server log has the cause under this request's id"), true
}

// writeError sends err in the SCIM error schema and logs the cause of
// internal errors, which the client never sees.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) *scim.Error {
	e, internal := toSCIM(err)
	if internal {
		log.Error("request failed", "request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err)
	}
	switch e.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	writeJSON(w, e.Status, e)
	return e
}
