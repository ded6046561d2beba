package httpapi

import (
	"net/http"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/patch"
)

func (a *API) get(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		proj := projectionFromQuery(r)
		v, err := a.svc.Get(r.Context(), c.actor.AccountID, kind, r.PathValue("id"),
			proj.wants(kind, "members"))
		if err != nil {
			return err
		}
		etag := directory.ETag(v.Version)
		if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, v.Version) {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		a.writeResource(w, c, http.StatusOK, v, proj)
		return nil
	}
}

// write is what every write request carries: the projection of the response,
// the If-Match precondition and the body.
type write struct {
	proj    projection
	ifMatch directory.Version
	body    map[string]any
}

func (a *API) readWrite(r *http.Request) (write, error) {
	var req write
	var err error
	req.proj = projectionFromQuery(r)
	if req.ifMatch, err = ifMatch(r); err != nil {
		return req, err
	}
	req.body, err = scim.Decode(r.Body, a.limits.MaxBodyBytes)
	return req, err
}

func (a *API) create(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		req, err := a.readWrite(r)
		if err != nil {
			return err
		}
		proj := req.proj
		v, err := a.svc.Create(r.Context(), c.actor, kind, req.body)
		if err != nil {
			return err
		}
		w.Header().Set("Location", c.base+directory.ResourceType(kind).Endpoint+"/"+v.ID)
		a.writeResource(w, c, http.StatusCreated, v, proj)
		return nil
	}
}

func (a *API) replace(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		req, err := a.readWrite(r)
		if err != nil {
			return err
		}
		v, err := a.svc.Replace(r.Context(), c.actor, kind, r.PathValue("id"), req.body, req.ifMatch)
		if err != nil {
			return err
		}
		a.writeResource(w, c, http.StatusOK, v, req.proj)
		return nil
	}
}

// patch applies a PATCH request. Users answer 200 with the resource; groups
// answer 204, so that acknowledging one member change never sends back a
// member list, unless the client asked for attributes.
func (a *API) patch(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		wr, err := a.readWrite(r)
		if err != nil {
			return err
		}
		proj := wr.proj
		req, err := patch.Decoder{MaxOperations: a.limits.MaxPatchOperations}.Decode(wr.body)
		if err != nil {
			return err
		}
		v, err := a.svc.Patch(r.Context(), c.actor, kind, r.PathValue("id"), req, wr.ifMatch)
		if err != nil {
			return err
		}
		if kind == directory.KindGroup && len(proj.attributes) == 0 {
			w.Header().Set("ETag", directory.ETag(v.Version))
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		if kind == directory.KindGroup && proj.wants(kind, "members") {
			if v, err = a.svc.Get(r.Context(), c.actor.AccountID, kind, v.ID, true); err != nil {
				return err
			}
		}
		a.writeResource(w, c, http.StatusOK, v, proj)
		return nil
	}
}

func (a *API) delete(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		ifMatch, err := ifMatch(r)
		if err != nil {
			return err
		}
		if err := a.svc.Delete(r.Context(), c.actor, kind, r.PathValue("id"), ifMatch); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) writeResource(w http.ResponseWriter, c *call, status int, v *directory.View,
	p projection) {
	w.Header().Set("ETag", directory.ETag(v.Version))
	res := directory.Render(v, c.base)
	rt := directory.ResourceType(v.Kind)
	writeJSON(w, status, scim.Project(rt, res, p.attributes, p.excluded))
}

// ifMatch reads the If-Match precondition. "*" and no header mean any
// version.
func ifMatch(r *http.Request) (directory.Version, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return directory.AnyVersion, nil
	}
	v, ok := directory.ParseETag(h)
	if !ok {
		// A tag scimd never issued cannot match any version.
		return 0, scim.PreconditionFailed("If-Match %s names no version of this resource; "+
			"send the ETag of the last read", h)
	}
	return v, nil
}

// etagMatches reports whether an If-None-Match list names version v.
func etagMatches(list string, v directory.Version) bool {
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		if got, ok := directory.ParseETag(tag); ok && got == v {
			return true
		}
	}
	return false
}
