package directory

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/scim"
)

// Render returns the SCIM representation of a view: its document with
// schemas, id, meta and the computed attributes. baseURL is the SCIM base
// (".../scim/v2") that meta.location and $ref values start with; when it is
// empty they are left out. A group's members appear only when they were
// loaded.
func Render(v *View, baseURL string) map[string]any {
	rt := ResourceType(v.Kind)
	out := make(map[string]any, len(v.Doc)+4)
	for k, val := range v.Doc {
		out[k] = val
	}
	out["schemas"] = scim.SchemasOf(rt, v.Doc)
	out["id"] = v.ID

	meta := map[string]any{
		"resourceType": string(v.Kind),
		"created":      formatTime(v.Created),
		"lastModified": formatTime(v.Modified),
		"version":      ETag(v.Version),
	}
	if baseURL != "" {
		meta["location"] = baseURL + rt.Endpoint + "/" + v.ID
	}
	out["meta"] = meta

	if len(v.Groups) > 0 {
		groups := make([]any, len(v.Groups))
		for i, g := range v.Groups {
			ref := map[string]any{"value": g.ID, "display": g.DisplayName, "type": "direct"}
			if baseURL != "" {
				ref["$ref"] = baseURL + "/Groups/" + g.ID
			}
			groups[i] = ref
		}
		out["groups"] = groups
	}
	if len(v.Members) > 0 {
		members := make([]any, len(v.Members))
		for i, m := range v.Members {
			ref := map[string]any{"value": m.ID, "type": string(m.Kind)}
			if m.Display != "" {
				ref["display"] = m.Display
			}
			if baseURL != "" {
				ref["$ref"] = baseURL + ResourceType(m.Kind).Endpoint + "/" + m.ID
			}
			members[i] = ref
		}
		out["members"] = members
	}
	return out
}

// formatTime renders a timestamp as RFC 3339 in UTC, as meta attributes
// carry it.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// event builds an event about r. Its data is r as it stands (for deletions:
// as it stood), without a group's members: they are told by membership
// events.
func (s *Service) event(actor Actor, r *Resource, typ string, changed []string) *Event {
	data, _ := json.Marshal(Render(&View{Resource: r}, ""))
	return &Event{
		ID:           uuid.NewString(),
		AccountID:    r.AccountID,
		Type:         typ,
		Time:         s.now(),
		Client:       actor.Client,
		ResourceType: r.Kind,
		ResourceID:   r.ID,
		Version:      r.Version,
		Changed:      changed,
		Data:         data,
	}
}

// memberEvents builds one event per membership change. Its data holds the
// group (without members) and the member.
func (s *Service) memberEvents(actor Actor, group *Resource, members []Member, typ string) []*Event {
	if len(members) == 0 {
		return nil
	}
	groupDoc := Render(&View{Resource: group}, "")
	events := make([]*Event, len(members))
	for i, m := range members {
		data, _ := json.Marshal(map[string]any{
			"group":  groupDoc,
			"member": map[string]any{"value": m.ID, "type": string(m.Kind), "display": m.Display},
		})
		events[i] = &Event{
			ID:           uuid.NewString(),
			AccountID:    group.AccountID,
			Type:         typ,
			Time:         s.now(),
			Client:       actor.Client,
			ResourceType: KindGroup,
			ResourceID:   group.ID,
			Version:      group.Version,
			Changed:      []string{"members"},
			Data:         data,
		}
	}
	return events
}
