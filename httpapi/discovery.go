package httpapi

import (
	"net/http"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// The discovery endpoints (RFC 7644 §4) describe the server, not an account,
// so they answer without a token: clients read them before they are set up.

func (a *API) serviceProviderConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, scim.ServiceProviderConfig(scim.SPConfig{
		MaxResults:      a.limits.MaxPageSize,
		DefaultPageSize: a.limits.DefaultPageSize,
		MaxPayloadBytes: a.limits.MaxBodyBytes,
		MaxFilterLength: a.limits.MaxFilterLength,
		MaxFilterDepth:  a.limits.MaxFilterDepth,

		MaxPatchOperations: a.limits.MaxPatchOperations,
		MaxIdentifierBytes: directory.MaxIdentifierBytes,
		MaxBulkOperations:  a.limits.MaxBulkOperations,
	}, c.base))
	return nil
}

func (a *API) resourceTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	writeDocuments(w, scim.ResourceTypeDocuments(c.base))
	return nil
}

func (a *API) resourceType(w http.ResponseWriter, r *http.Request, c *call) error {
	rt := scim.ResourceTypeByID(r.PathValue("id"))
	if rt == nil {
		return scim.NotFound("no resource type %q; this server has User and Group", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, scim.ResourceTypeDocument(rt, c.base))
	return nil
}

func (a *API) schemas(w http.ResponseWriter, r *http.Request, c *call) error {
	writeDocuments(w, scim.SchemaDocuments(c.base))
	return nil
}

func (a *API) schema(w http.ResponseWriter, r *http.Request, c *call) error {
	s := scim.SchemaByID(r.PathValue("id"))
	if s == nil {
		return scim.NotFound("no schema %q", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, scim.SchemaDocument(s, c.base))
	return nil
}

// writeDocuments answers with all of a discovery list on one page: the
// server has a handful of schemas and resource types, so it never pages.
func writeDocuments(w http.ResponseWriter, docs []any) {
	writeJSON(w, http.StatusOK, scim.ListResponse{TotalResults: len(docs), StartIndex: 1,
		Resources: docs})
}
