package scim

import "strings"

// LimitsSchema is the URN of scimd's extension of the ServiceProviderConfig
// resource. It advertises the limits that RFC 7643 §5 has no attribute for,
// such as the longest filter, so that a client's administrator can read them
// instead of finding them by trial.
const LimitsSchema = "urn:scimd:params:scim:schemas:extension:limits:2.0:ServiceProviderConfig"

// SPConfig holds what the ServiceProviderConfig document advertises: the
// server's documentation and the limits it enforces. A zero limit is
// advertised as the package default (DefaultPageLimits, DefaultMaxBodyBytes)
// or, for the limits this package does not define, left out.
type SPConfig struct {
	DocumentationURI string // a page for people setting up a client; "" for none
	MaxResults       int    // most resources one list response holds
	DefaultPageSize  int    // resources a list response holds when count is not given
	MaxPayloadBytes  int64  // largest request body
	MaxFilterLength  int    // longest filter, in bytes
	MaxFilterDepth   int    // deepest nesting of a filter

	MaxPatchOperations int // most operations in one PATCH request
	MaxIdentifierBytes int // longest userName, externalId, displayName or email
	MaxBulkOperations  int // most operations in one bulk request
}

// ServiceProviderConfig returns the ServiceProviderConfig document (RFC
// 7643 §5) for a server whose SCIM base URL is baseURL, such as
// "https://scim.example.com/scim/v2". PATCH, bulk operations, filtering,
// sorting and ETags are supported; password changes are not. A zero
// MaxBulkOperations is advertised as DefaultMaxBulkOperations.
func ServiceProviderConfig(cfg SPConfig, baseURL string) map[string]any {
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = DefaultPageLimits.Max
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = DefaultPageLimits.Default
	}
	if cfg.MaxPayloadBytes <= 0 {
		cfg.MaxPayloadBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxBulkOperations <= 0 {
		cfg.MaxBulkOperations = DefaultMaxBulkOperations
	}

	bearer := map[string]any{
		"type":        "oauthbearertoken",
		"name":        "OAuth Bearer Token",
		"description": "Send a scimd token in the Authorization header: Bearer <token>.",
		"specUri":     "https://www.rfc-editor.org/info/rfc6750",
		"primary":     true,
	}
	doc := map[string]any{
		"schemas": []string{ServiceProviderCfgID, LimitsSchema},
		"patch":   supported(true),
		// A bulk request is one request body, so the body limit bounds it.
		"bulk": map[string]any{
			"supported":      true,
			"maxOperations":  cfg.MaxBulkOperations,
			"maxPayloadSize": cfg.MaxPayloadBytes,
		},
		"filter": map[string]any{
			"supported":  true,
			"maxResults": cfg.MaxResults,
		},
		"changePassword":        supported(false),
		"sort":                  supported(true),
		"etag":                  supported(true),
		"authenticationSchemes": []any{bearer},
	}
	doc["meta"] = discoveryMeta("ServiceProviderConfig", baseURL, "/ServiceProviderConfig")
	if cfg.DocumentationURI != "" {
		doc["documentationUri"] = cfg.DocumentationURI
		bearer["documentationUri"] = cfg.DocumentationURI
	}

	limits := map[string]any{
		"maxPayloadSize":  cfg.MaxPayloadBytes,
		"maxResults":      cfg.MaxResults,
		"defaultPageSize": cfg.DefaultPageSize,
	}
	if cfg.MaxFilterLength > 0 {
		limits["maxFilterLength"] = cfg.MaxFilterLength
	}
	if cfg.MaxFilterDepth > 0 {
		limits["maxFilterDepth"] = cfg.MaxFilterDepth
	}
	if cfg.MaxPatchOperations > 0 {
		limits["maxPatchOperations"] = cfg.MaxPatchOperations
	}
	if cfg.MaxIdentifierBytes > 0 {
		limits["maxIdentifierBytes"] = cfg.MaxIdentifierBytes
	}
	doc[LimitsSchema] = limits
	return doc
}

func supported(ok bool) map[string]any { return map[string]any{"supported": ok} }

// ResourceTypeDocument returns the ResourceType document (RFC 7643 §6) of
// rt, located under baseURL.
func ResourceTypeDocument(rt *ResourceType, baseURL string) map[string]any {
	doc := map[string]any{
		"schemas":     []string{ResourceTypeSchema},
		"id":          rt.ID,
		"name":        rt.Name,
		"endpoint":    rt.Endpoint,
		"description": rt.Description,
		"schema":      rt.Schema.ID,
		"meta":        discoveryMeta("ResourceType", baseURL, "/ResourceTypes/"+rt.ID),
	}
	if len(rt.Extensions) > 0 {
		exts := make([]any, 0, len(rt.Extensions))
		for _, e := range rt.Extensions {
			exts = append(exts, map[string]any{"schema": e.Schema.ID, "required": e.Required})
		}
		doc["schemaExtensions"] = exts
	}
	return doc
}

// ResourceTypeDocuments returns the documents of ResourceTypes, for the
// Resources of a ListResponse.
func ResourceTypeDocuments(baseURL string) []any {
	var docs []any
	for _, rt := range ResourceTypes() {
		docs = append(docs, ResourceTypeDocument(rt, baseURL))
	}
	return docs
}

// SchemaDocument returns the Schema document (RFC 7643 §7) of s, located
// under baseURL.
func SchemaDocument(s *Schema, baseURL string) map[string]any {
	return map[string]any{
		"schemas":     []string{SchemaSchema},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  s.Attributes,
		"meta":        discoveryMeta("Schema", baseURL, "/Schemas/"+s.ID),
	}
}

// SchemaDocuments returns the documents of Schemas, for the Resources of a
// ListResponse.
func SchemaDocuments(baseURL string) []any {
	var docs []any
	for _, s := range Schemas() {
		docs = append(docs, SchemaDocument(s, baseURL))
	}
	return docs
}

func discoveryMeta(resourceType, baseURL, path string) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"location":     strings.TrimRight(baseURL, "/") + path,
	}
}
