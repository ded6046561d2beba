package mgmtapi

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes every route of the API. A test checks that it and
// the mux list the same routes.
//
//go:embed openapi.json
var openAPIDoc []byte

func (a *API) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
	return nil
}
