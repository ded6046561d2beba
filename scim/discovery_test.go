package scim

import (
	"reflect"
	"strings"
	"testing"
)

// roundTrip renders v as the server would and decodes it the way a client
// would, so that tests see the wire shape rather than Go types.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	return parse(t, mustJSON(t, v))
}

func TestServiceProviderConfig(t *testing.T) {
	cfg := SPConfig{
		DocumentationURI: "https://docs.example.com/scim",
		MaxResults:       500,
		DefaultPageSize:  50,
		MaxPayloadBytes:  2 << 20,
		MaxFilterLength:  4096,
		MaxFilterDepth:   16,

		MaxPatchOperations: 1000,
		MaxIdentifierBytes: 1024,
		MaxBulkOperations:  250,
	}
	got := roundTrip(t, ServiceProviderConfig(cfg, "https://scim.example.com/scim/v2/"))
	want := parse(t, `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
			"`+LimitsSchema+`"],
		"documentationUri": "https://docs.example.com/scim",
		"patch": {"supported": true},
		"bulk": {"supported": true, "maxOperations": 250, "maxPayloadSize": 2097152},
		"filter": {"supported": true, "maxResults": 500},
		"changePassword": {"supported": false},
		"sort": {"supported": true},
		"etag": {"supported": true},
		"authenticationSchemes": [{
			"type": "oauthbearertoken",
			"name": "OAuth Bearer Token",
			"description": "Send a scimd token in the Authorization header: Bearer <token>.",
			"specUri": "https://www.rfc-editor.org/info/rfc6750",
			"documentationUri": "https://docs.example.com/scim",
			"primary": true
		}],
		"meta": {"resourceType": "ServiceProviderConfig",
			"location": "https://scim.example.com/scim/v2/ServiceProviderConfig"},
		"`+LimitsSchema+`": {"maxPayloadSize": 2097152, "maxResults": 500,
			"defaultPageSize": 50, "maxFilterLength": 4096, "maxFilterDepth": 16,
			"maxPatchOperations": 1000, "maxIdentifierBytes": 1024}
	}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServiceProviderConfig =\n%s\nwant\n%s", mustJSON(t, got), mustJSON(t, want))
	}
}

func TestServiceProviderConfigDefaults(t *testing.T) {
	got := roundTrip(t, ServiceProviderConfig(SPConfig{}, "https://x/scim/v2"))
	if _, ok := got["documentationUri"]; ok {
		t.Error("documentationUri present without a DocumentationURI")
	}
	limits := got[LimitsSchema].(map[string]any)
	want := parse(t, `{"maxPayloadSize": 1048576, "maxResults": 1000, "defaultPageSize": 100}`)
	if !reflect.DeepEqual(limits, want) {
		t.Errorf("limits = %v, want %v", limits, want)
	}
	filter := got["filter"].(map[string]any)
	if filter["maxResults"] != want["maxResults"] {
		t.Errorf("filter.maxResults = %v, want %v", filter["maxResults"], want["maxResults"])
	}
	bulk := got["bulk"].(map[string]any)
	wantBulk := parse(t, `{"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}`)
	if !reflect.DeepEqual(bulk, wantBulk) {
		t.Errorf("bulk = %v, want %v", bulk, wantBulk)
	}
}

func TestResourceTypeDocuments(t *testing.T) {
	docs := ResourceTypeDocuments("https://x/scim/v2")
	got := roundTrip(t, ListResponse{TotalResults: len(docs), Resources: docs})
	want := parse(t, `{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
		"totalResults": 2, "startIndex": 1, "itemsPerPage": 2,
		"Resources": [{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			"id": "User", "name": "User", "endpoint": "/Users",
			"description": "User Account",
			"schema": "urn:ietf:params:scim:schemas:core:2.0:User",
			"schemaExtensions": [{
				"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
				"required": false}],
			"meta": {"resourceType": "ResourceType",
				"location": "https://x/scim/v2/ResourceTypes/User"}
		}, {
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			"id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group",
			"schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
			"meta": {"resourceType": "ResourceType",
				"location": "https://x/scim/v2/ResourceTypes/Group"}
		}]
	}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResourceTypes =\n%s\nwant\n%s", mustJSON(t, got), mustJSON(t, want))
	}
}

func TestSchemaDocuments(t *testing.T) {
	docs := SchemaDocuments("https://x/scim/v2")
	if len(docs) != 3 {
		t.Fatalf("%d schema documents, want 3", len(docs))
	}
	for _, d := range docs {
		doc := roundTrip(t, d)
		id, _ := doc["id"].(string)
		meta, _ := doc["meta"].(map[string]any)
		if got, want := meta["location"], "https://x/scim/v2/Schemas/"+id; got != want {
			t.Errorf("%s: meta.location = %v, want %v", id, got, want)
		}
		if meta["resourceType"] != "Schema" {
			t.Errorf("%s: meta.resourceType = %v, want Schema", id, meta["resourceType"])
		}
		if s := doc["schemas"].([]any); len(s) != 1 || s[0] != SchemaSchema {
			t.Errorf("%s: schemas = %v", id, s)
		}
		// Microsoft Entra ID wants no nulls in discovery documents.
		if js := mustJSON(t, d); strings.Contains(js, "null") {
			t.Errorf("%s: document holds null: %s", id, js)
		}
	}

	// One attribute in full, as a client reads it.
	user := roundTrip(t, SchemaDocument(userSchema, "https://x/scim/v2"))
	attrs := user["attributes"].([]any)
	userName := attrs[0].(map[string]any)
	want := parse(t, `{"name": "userName", "type": "string", "multiValued": false,
		"description": "`+userSchema.Attributes[0].Description+`",
		"required": true, "caseExact": false, "mutability": "readWrite",
		"returned": "default", "uniqueness": "server"}`)
	if !reflect.DeepEqual(userName, want) {
		t.Errorf("userName =\n%s\nwant\n%s", mustJSON(t, userName), mustJSON(t, want))
	}
}
