package patch

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// FuzzApply checks that no request and stored document make Apply panic,
// that a failed Apply leaves the document as it was and returns a SCIM
// error, and that a successful one returns a document that marshals.
func FuzzApply(f *testing.F) {
	for _, tc := range append(append([]applyCase{}, dialectCases...), rfcCases...) {
		f.Add(tc.rt == groups, expand(tc.doc), expand(body(tc.ops)))
	}

	f.Fuzz(func(t *testing.T, group bool, docJSON, bodyJSON string) {
		rt := users
		if group {
			rt = groups
		}
		doc, ok := decodeObject(docJSON)
		if !ok {
			return
		}
		msg, ok := decodeObject(bodyJSON)
		if !ok {
			return
		}
		req, err := DecodeRequest(msg)
		if err != nil {
			checkFuzzError(t, err)
			return
		}

		snapshot := deepCopy(doc)
		res, err := Apply(rt, doc, req.Operations)
		if !reflect.DeepEqual(doc, snapshot) {
			t.Fatalf("Apply changed its input (err %v)", err)
		}
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if _, err := json.Marshal(res.Doc); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
	})
}

// decodeObject reads a JSON object as the HTTP layer does, with UseNumber.
func decodeObject(s string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var e *scim.Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not a *scim.Error: %v", err)
	}
	if e.Status != http.StatusBadRequest && e.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d for %v", e.Status, err)
	}
	if e.Detail == "" {
		t.Fatalf("error without a detail: %v", err)
	}
}
