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
// bulkId waits for the POST that creates it (RFC 7644 §3.7.2). Operations
// whose references form a circle get 409 rather than being untangled, which
// RFC 7644 §3.7.1 allows. failOnErrors stops the request after that many
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
		b.record(i, b.run(ctx, i))
		if b.stopped() {
			return nil
		}
		for _, d := range dependents[i] {
			if waiting[d]--; waiting[d] == 0 {
				heap.Push(ready, d)
			}
		}
	}

	// What never became ready is on a circle of references or waits for
	// an operation that is.
	// TODO(bulk): RFC 7644 §3.7.1 asks a server to try to untangle a circle
	// first, e.g. by creating groups that list one another without those
	// members and adding them after. No identity provider scimd serves
	// sends such circles, so they get the 409 the RFC allows instead.
	circles := b.circles()
	for i, why := range circles {
		if why == nil {
			continue
		}
		b.record(i, b.failed(i, why))
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

// run carries out operation i with its bulkId references replaced.
func (b *bulkRun) run(ctx context.Context, i int) *scim.BulkResult {
	op := b.req.Operations[i]
	id, data, err := b.resolve(op)
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

// resolve returns an operation's id and data with every bulkId reference
// replaced by the id its POST created. A reference to a POST that failed
// is a 409: the operation cannot mean what the client asked.
func (b *bulkRun) resolve(op scim.BulkOperation) (string, map[string]any, error) {
	id, ref, ok := scim.ResolveBulkIDs(op.ID, b.ids)
	if ok && op.Data != nil {
		var data any
		if data, ref, ok = scim.ResolveBulkIDs(op.Data, b.ids); ok {
			return id.(string), data.(map[string]any), nil
		}
	}
	if !ok {
		j := b.creator[ref]
		return "", nil, scim.Errorf(http.StatusConflict, scim.ErrNone,
			"%q stands for no resource: Operations[%d], the POST with that bulkId, failed "+
				"with status %d", scim.BulkIDPrefix+ref, j, b.results[j].Status)
	}
	return id.(string), nil, nil
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

// circles explains, for every operation that has not run, why it cannot:
// the circle of bulkId references it is on or waits for. Operations that
// ran get nil. Each of them refers to at least one other that has not run,
// so following those references always comes back to an operation seen
// before. Every operation on the way learns the circle found, so each is
// walked once.
func (b *bulkRun) circles() []error {
	ops := b.req.Operations
	circleOf := make([][]int, len(ops))
	why := make([]error, len(ops))
	for i := range ops {
		if b.results[i] != nil {
			continue
		}
		seen := map[int]int{} // operation to its place in path
		var path, circle []int
		for cur := i; circle == nil; {
			if at, ok := seen[cur]; ok {
				circle = path[at:]
				break
			}
			if circleOf[cur] != nil {
				circle = circleOf[cur]
				break
			}
			seen[cur] = len(path)
			path = append(path, cur)
			for _, ref := range ops[cur].Refs {
				if j := b.creator[ref]; b.results[j] == nil {
					cur = j
					break
				}
			}
		}
		for _, j := range path {
			circleOf[j] = circle
		}
		why[i] = b.circleError(i, circle)
	}
	return why
}

// circleError says why operation i cannot run: it is on circle, named from
// i onwards, or it waits for it.
func (b *bulkRun) circleError(i int, circle []int) error {
	start, on := 0, false
	for k, j := range circle {
		if j == i {
			start, on = k, true
		}
	}
	names := make([]string, 0, len(circle)+1)
	for k := range len(circle) + 1 {
		j := circle[(start+k)%len(circle)]
		names = append(names, scim.Clip(b.req.Operations[j].BulkID))
	}
	chain := strings.Join(names, " -> ")

	const fix = "create the resources without those references, then add them with PATCH " +
		"operations"
	if on {
		return scim.Errorf(http.StatusConflict, scim.ErrNone,
			"the bulkId references %s form a circle, so no operation on it can run "+
				"first; %s", chain, fix)
	}
	return scim.Errorf(http.StatusConflict, scim.ErrNone,
		"the operation waits for the bulkId references %s, which form a circle, so it "+
			"cannot run; %s", chain, fix)
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
