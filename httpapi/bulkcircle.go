package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/patch"
)

// deferredValue is a value that untangle left out of a POST's data because
// it refers to a POST that had not run yet, to be added once it has.
type deferredValue struct {
	path  string // the attribute path a PATCH names: "members", "urn:...:manager"
	multi bool   // value is one element of a multi-valued attribute
	value any    // as sent, "bulkId:" references and all
}

// untangle runs the POSTs still waiting once nothing else can run. Each is
// on a circle of bulkId references or waits for one; only a POST can be on
// a circle, since a reference names a POST. RFC 7644 §3.7.1 asks the server
// to try to resolve such circles, so they are broken in two steps:
//
//  1. In the order of the request, each POST is created without the values
//     that refer to a POST that has not run yet: the member entries of a
//     multi-valued attribute, the whole of a single-valued one (such as the
//     enterprise manager).
//  2. Once every one of them has run, the values left out are added to each
//     resource with one PATCH: "add" for multi-valued attributes, "replace"
//     for single-valued ones. The POST's result then carries the version
//     after the PATCH, so that what is stored is what the request asked for.
//
// A resource that step 1 created exists whatever happens in step 2, and its
// result says so, with its location and version. When a value it left out
// refers to a POST that failed, its result is that 409 and the values that
// could be added are; when the PATCH fails, its result is the PATCH's
// error. Either way the detail names the resource, so that nothing is
// linked in part without the response saying why. When failOnErrors stops
// the request in step 1, the resources already created still get step 2.
//
// An error is returned only when the client is gone.
func (b *bulkRun) untangle(ctx context.Context) error {
	var created []int
	later := make(map[int][]deferredValue)
	for i, op := range b.req.Operations {
		if b.results[i] != nil || op.Method != http.MethodPost {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("untangle bulk operations: %w", err)
		}

		// A reference to a POST that failed fails the operation as it would
		// outside a circle; only references to POSTs yet to run are left out.
		if ref, failed := b.failedRef(op); failed {
			b.record(i, b.failed(i, b.noResource(ref)))
		} else {
			data, deferred := b.split(op.Data)
			res := b.run(ctx, i, data)
			b.record(i, res)
			if res.Err == nil && len(deferred) > 0 {
				created = append(created, i)
				later[i] = deferred
			}
		}
		if b.stopped() {
			break
		}
	}

	for _, i := range created {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("untangle bulk operations: %w", err)
		}
		res := b.link(ctx, i, later[i])
		if res.Err != nil {
			b.errors++
		}
		b.results[i] = res
	}
	return nil
}

// failedRef returns a bulkId op refers to whose POST ran and failed.
func (b *bulkRun) failedRef(op scim.BulkOperation) (string, bool) {
	for _, ref := range op.Refs {
		if res := b.results[b.creator[ref]]; res != nil && res.Err != nil {
			return ref, true
		}
	}
	return "", false
}

// split returns data without the values that refer to a bulkId no POST has
// created yet, and those values. The attributes of an extension (a member
// named by its schema URN) are split one by one, like the core ones.
func (b *bulkRun) split(data map[string]any) (map[string]any, []deferredValue) {
	kept, later := b.splitAttrs(data, "")
	for k, v := range kept {
		ext, ok := v.(map[string]any)
		if !ok || !strings.HasPrefix(strings.ToLower(k), "urn:") {
			continue
		}
		keptExt, laterExt := b.splitAttrs(ext, k+":")
		kept[k] = keptExt
		later = append(later, laterExt...)
	}
	return kept, later
}

// splitAttrs splits the attributes of m, whose PATCH paths start with
// prefix. Extensions are kept whole; split handles them.
func (b *bulkRun) splitAttrs(m map[string]any, prefix string) (map[string]any,
	[]deferredValue) {
	kept := make(map[string]any, len(m))
	var later []deferredValue

	// Sorted, so that the PATCH that adds the values back is the same for
	// the same request.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := m[k]
		_, isExt := v.(map[string]any)
		if (isExt && prefix == "" && strings.HasPrefix(strings.ToLower(k), "urn:")) ||
			b.resolvable(v) {
			kept[k] = v
			continue
		}
		list, multi := v.([]any)
		if !multi {
			later = append(later, deferredValue{path: prefix + k, value: v})
			continue
		}
		var rest []any
		for _, el := range list {
			if b.resolvable(el) {
				rest = append(rest, el)
			} else {
				later = append(later, deferredValue{path: prefix + k, multi: true, value: el})
			}
		}
		if len(rest) > 0 {
			kept[k] = rest
		}
	}
	return kept, later
}

// resolvable reports whether every bulkId v refers to has an id.
func (b *bulkRun) resolvable(v any) bool {
	_, _, ok := scim.ResolveBulkIDs(v, b.ids)
	return ok
}

// link adds to the resource that POST i created the values untangle left
// out, and returns the POST's result as it then stands.
func (b *bulkRun) link(ctx context.Context, i int, later []deferredValue) *scim.BulkResult {
	res := *b.results[i]
	op := b.req.Operations[i]

	// One operation per attribute: "add" gathers the elements of a
	// multi-valued attribute, "replace" sets a single-valued one.
	var ops []patch.Operation
	var missing []string
	at := make(map[string]int) // path to its operation in ops
	for _, d := range later {
		v, ref, ok := scim.ResolveBulkIDs(d.value, b.ids)
		if !ok {
			missing = append(missing, ref)
			continue
		}
		if !d.multi {
			ops = append(ops, patch.Operation{Op: patch.Replace, Path: d.path, Value: v})
			continue
		}
		if k, ok := at[d.path]; ok {
			ops[k].Value = append(ops[k].Value.([]any), v)
			continue
		}
		at[d.path] = len(ops)
		ops = append(ops, patch.Operation{Op: patch.Add, Path: d.path, Value: []any{v}})
	}

	id := b.ids[op.BulkID]
	if len(ops) > 0 {
		req := &patch.Request{Schemas: []string{scim.PatchOpSchema}, Operations: ops}
		v, err := b.api.svc.Patch(ctx, b.call.actor, directory.Kind(op.Type.ID), id, req,
			directory.AnyVersion)
		if err != nil {
			return b.linkFailed(i, res, err)
		}
		res.Version = directory.ETag(v.Version)
	}
	if len(missing) == 0 {
		return &res
	}

	ref := missing[0]
	j := b.creator[ref]
	res.Status = http.StatusConflict
	res.Err = scim.Errorf(http.StatusConflict, scim.ErrNone,
		"the resource was created at %s, but without the values that refer to %q: "+
			"Operations[%d], the POST with that bulkId, failed with status %d; the resource "+
			"exists, so add them with a PATCH once that one does, or delete it",
		res.Location, scim.BulkIDPrefix+scim.Clip(ref), j, b.results[j].Status)
	return &res
}

// linkFailed is the result of POST i, which created res, when adding the
// values left out failed with err.
func (b *bulkRun) linkFailed(i int, res scim.BulkResult, err error) *scim.BulkResult {
	e, internal := toSCIM(err)
	if internal {
		b.api.log.Error("bulk operation failed", "request_id", b.reqID,
			"operation", i, "method", http.MethodPatch, "path", res.Location, "error", err)
	}
	res.Status = e.Status
	res.Err = scim.Errorf(e.Status, e.Type,
		"the resource was created at %s without the values that refer to other POSTs "+
			"of this request, but adding them after failed: %s; the resource exists, so "+
			"fix it with a PATCH or delete it", res.Location, e.Detail)
	return &res
}
