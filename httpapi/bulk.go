package httpapi

import (
	"container/heap"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/patch"
)

// bulk runs a bulk request (RFC 7644 §3.7). The envelope is checked whole
// before anything runs, so a malformed request changes nothing and gets one
// SCIM error. Then each operation runs as the single request it stands for,
// in its own transaction: the RFC lets a bulk request succeed in part, and
// a failed operation is reported in the response, which is 200 whatever
// the operations' outcomes.
//
// Operations run in the order sent, except that an operation referring to a
// bulkId waits for the POST that creates it (RFC 7644 §3.7.2). POSTs whose
// references form a circle are untangled as RFC 7644 §3.7.1 asks: created
// without the values that refer to one another, which are then added with a
// PATCH (see untangle). failOnErrors stops the request after that many
// failed operations; the response lists the operations that ran, in the
// order of the request.
func (a *API) bulk(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := scim.Decode(r.Body, a.limits.MaxBodyBytes)
	if err != nil {
		return err
	}
	req, err := scim.BulkDecoder{MaxOperations: a.limits.MaxBulkOperations}.Decode(body)
	if err != nil {
		return err
	}

	b := newBulkRun(a, c, req, requestID(r.Context()))
	if err := b.runAll(r.Context()); err != nil {
		return err
	}
	resp, failed := b.response()
	a.log.Info("bulk request", "request_id", requestID(r.Context()),
		"account_id", c.actor.AccountID, "operations", len(req.Operations),
		"ran", len(resp.Operations), "failed", failed)
	if failed > 0 {
		// The response is 200 whatever failed inside; the activity record
		// says so, so that failures inside a bulk request can be found.
		noteDetail(r.Context(), fmt.Sprintf("%d of %d bulk operations failed; the response "+
			"lists each operation's error", failed, len(req.Operations)))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// bulkRun is the state of one bulk request while its operations run.
type bulkRun struct {
	api     *API
	call    *call
	reqID   string // the HTTP request's id, for the log
	req     *scim.BulkRequest
	results []*scim.BulkResult // by operation index; nil until it ran
	ids     map[string]string  // bulkId to the id its POST created
	creator map[string]int     // bulkId to the index of its POST
	errors  int
}

func newBulkRun(a *API, c *call, req *scim.BulkRequest, reqID string) *bulkRun {
	b := &bulkRun{
		api:     a,
		call:    c,
		reqID:   reqID,
		req:     req,
		results: make([]*scim.BulkResult, len(req.Operations)),
		ids:     make(map[string]string),
		creator: make(map[string]int),
	}
	for i, op := range req.Operations {
		if op.Method == http.MethodPost {
			b.creator[op.BulkID] = i
		}
	}
	return b
}

// runAll runs the operations in the order of the request, holding back each
// until the POSTs it refers to have run. An error is returned only when the
// client is gone; what the operations did stands.
func (b *bulkRun) runAll(ctx context.Context) error {
	ops := b.req.Operations
	waiting := make([]int, len(ops))      // POSTs each operation still waits for
	dependents := make([][]int, len(ops)) // by POST: operations that refer to it
	ready := &indexHeap{}
	for i, op := range ops {
		for _, ref := range op.Refs {
			j := b.creator[ref]
			dependents[j] = append(dependents[j], i)
			waiting[i]++
		}
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}

	for ready.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run bulk operations: %w", err)
		}
		i := heap.Pop(ready).(int)
		b.record(i, b.run(ctx, i, ops[i].Data))
		if b.stopped() {
			return nil
		}
		for _, d := range dependents[i] {
			if waiting[d]--; waiting[d] == 0 {
				heap.Push(ready, d)
			}
		}
	}

	// What never became ready is a POST on a circle of references, or an
	// operation that waits for one. The circles are broken first; then
	// every operation left refers only to POSTs that ran.
	if err := b.untangle(ctx); err != nil || b.stopped() {
		return err
	}
	for i := range ops {
		if b.results[i] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run bulk operations: %w", err)
		}
		b.record(i, b.run(ctx, i, ops[i].Data))
		if b.stopped() {
			return nil
		}
	}
	return nil
}

func (b *bulkRun) record(i int, res *scim.BulkResult) {
	b.results[i] = res
	if res.Err != nil {
		b.errors++
	}
}

// stopped reports whether failOnErrors has been reached.
func (b *bulkRun) stopped() bool {
	return b.req.FailOnErrors > 0 && b.errors >= b.req.FailOnErrors
}

// run carries out operation i, with data for its data, after replacing its
// bulkId references.
func (b *bulkRun) run(ctx context.Context, i int, data map[string]any) *scim.BulkResult {
	op := b.req.Operations[i]
	id, data, err := b.resolve(op, data)
	if err != nil {
		return b.failed(i, err)
	}

	res := &scim.BulkResult{Method: op.Method, BulkID: op.BulkID}
	if op.Method != http.MethodPost {
		res.Location = b.location(op.Type, id)
	}
	v, status, err := b.exec(ctx, op, id, data)
	if err != nil {
		return b.failedAt(i, res, err)
	}
	if op.Method == http.MethodPost {
		b.ids[op.BulkID] = v.ID
		res.Location = b.location(op.Type, v.ID)
	}
	if v != nil {
		res.Version = directory.ETag(v.Version)
	}
	res.Status = status
	return res
}

// resolve returns an operation's id and data (the operation's own, or what
// is left of it after untangle) with every bulkId reference replaced by the
// id its POST created. A reference to a POST that failed is a 409: the
// operation cannot mean what the client asked.
func (b *bulkRun) resolve(op scim.BulkOperation, data map[string]any) (string,
	map[string]any, error) {
	id, ref, ok := scim.ResolveBulkIDs(op.ID, b.ids)
	if ok && data != nil {
		var out any
		if out, ref, ok = scim.ResolveBulkIDs(data, b.ids); ok {
			return id.(string), out.(map[string]any), nil
		}
	}
	if !ok {
		return "", nil, b.noResource(ref)
	}
	return id.(string), nil, nil
}

// noResource is the error of an operation that refers to ref, whose POST
// failed.
func (b *bulkRun) noResource(ref string) error {
	j := b.creator[ref]
	return scim.Errorf(http.StatusConflict, scim.ErrNone,
		"%q stands for no resource: Operations[%d], the POST with that bulkId, failed "+
			"with status %d", scim.BulkIDPrefix+scim.Clip(ref), j, b.results[j].Status)
}

// exec runs one operation through the directory, as the single request
// with its method and path would, and returns the resource it leaves (nil
// after DELETE) and the status of its success.
func (b *bulkRun) exec(ctx context.Context, op scim.BulkOperation, id string,
	data map[string]any) (*directory.View, int, error) {
	svc, actor := b.api.svc, b.call.actor
	kind := directory.Kind(op.Type.ID)
	version, err := bulkVersion(op.Version)
	if err != nil {
		return nil, 0, err
	}

	switch op.Method {
	case http.MethodPost:
		v, err := svc.Create(ctx, actor, kind, data)
		return v, http.StatusCreated, err
	case http.MethodPut:
		v, err := svc.Replace(ctx, actor, kind, id, data, version)
		return v, http.StatusOK, err
	case http.MethodPatch:
		req, err := patch.Decoder{MaxOperations: b.api.limits.MaxPatchOperations}.Decode(data)
		if err != nil {
			return nil, 0, err
		}
		v, err := svc.Patch(ctx, actor, kind, id, req, version)

		// As for a single PATCH: a group's answer carries no body.
		if kind == directory.KindGroup {
			return v, http.StatusNoContent, err
		}
		return v, http.StatusOK, err
	}
	return nil, http.StatusNoContent, svc.Delete(ctx, actor, kind, id, version)
}

// bulkVersion reads an operation's version, an ETag as If-Match carries it.
func bulkVersion(tag string) (directory.Version, error) {
	if tag == "" || tag == "*" {
		return directory.AnyVersion, nil
	}
	v, ok := directory.ParseETag(tag)
	if !ok {
		// A tag scimd never issued cannot match any version.
		return 0, scim.PreconditionFailed("version %s names no version of this resource; "+
			"send the meta.version of the last read", scim.Clip(tag))
	}
	return v, nil
}

func (b *bulkRun) location(rt *scim.ResourceType, id string) string {
	return b.call.base + rt.Endpoint + "/" + id
}

// failed is the result of operation i when it could not run at all.
func (b *bulkRun) failed(i int, err error) *scim.BulkResult {
	op := b.req.Operations[i]
	res := &scim.BulkResult{Method: op.Method, BulkID: op.BulkID}
	if op.Method != http.MethodPost && !strings.HasPrefix(op.ID, scim.BulkIDPrefix) {
		res.Location = b.location(op.Type, op.ID)
	}
	return b.failedAt(i, res, err)
}

// failedAt completes res with err as the client sees it. An internal error
// is logged with its cause, which the client never sees.
func (b *bulkRun) failedAt(i int, res *scim.BulkResult, err error) *scim.BulkResult {
	e, internal := toSCIM(err)
	op := b.req.Operations[i]
	if internal {
		b.api.log.Error("bulk operation failed", "request_id", b.reqID,
			"operation", i, "method", op.Method, "path", op.Path, "error", err)
	}
	res.Status, res.Err = e.Status, e
	return res
}

// response lists the results of the operations that ran, in the order of
// the request, and counts the failed ones.
func (b *bulkRun) response() (scim.BulkResponse, int) {
	var resp scim.BulkResponse
	for _, res := range b.results {
		if res != nil {
			resp.Operations = append(resp.Operations, *res)
		}
	}
	return resp, b.errors
}

// indexHeap is a min-heap of operation indexes: of the operations ready to
// run, the one sent first runs first.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }

func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
