package replicatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildDir holds the scimd binary for every test of the package.
var (
	buildDir  string
	buildOnce sync.Once
	buildErr  error
	binPath   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scimd-replicatest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds cmd/scimd once and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(buildDir, "scimd")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/scimd/scimd/cmd/scimd")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// replica is one running "scimd serve" process.
type replica struct {
	name string
	cmd  *exec.Cmd
	log  string // path of its combined output
	URL  string // base URL, e.g. http://127.0.0.1:41234
	done chan struct{}
}

// startReplica runs "scimd serve" on a free port against database and
// waits until /healthz answers. The process is stopped when the test ends,
// and its log shown if the test failed.
func startReplica(t *testing.T, name, database string) *replica {
	t.Helper()
	r, err := launch(t, binary(t), name, database)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// launch is startReplica for any goroutine: it reports failure as an error.
func launch(t *testing.T, bin, name, database string) (*replica, error) {
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--database", database,
		"--log-format", "json", "--db-max-conns", "8", "--data", t.TempDir())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	r := &replica{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("log of %s, all but access records:\n%s\nlast records:\n%s", name,
				notAccess(b), tail(b, 40))
		}
	})

	// Port 0: the address is in the start-up record.
	deadline := time.Now().Add(60 * time.Second)
	for r.URL == "" {
		if time.Now().After(deadline) || !r.alive() {
			return nil, fmt.Errorf("%s did not start (alive: %v)", name, r.alive())
		}
		time.Sleep(50 * time.Millisecond)
		r.URL = startedURL(logPath)
	}
	for {
		resp, err := http.Get(r.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: /healthz never answered 200: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startedURL finds the base URL in a replica's JSON log, or "".
func startedURL(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Msg  string `json:"msg"`
			Base string `json:"scim_base_url"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "scimd started" {
			return strings.TrimSuffix(rec.Base, "/scim/v2")
		}
	}
	return ""
}

func (r *replica) alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// stop asks the process to shut down and kills it after ten seconds.
func (r *replica) stop() {
	if !r.alive() {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

// notAccess returns the records of a log that are no access records, or
// are access records of server errors: what explains a failure.
func notAccess(b []byte) string {
	var out [][]byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"msg":"request"`)) ||
			bytes.Contains(line, []byte(`"status":500`)) {
			out = append(out, line)
		}
	}
	return string(bytes.Join(out, []byte("\n")))
}

func tail(b []byte, lines int) string {
	all := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}

// cli runs one scimd command against database and returns its stdout.
func cli(t *testing.T, database string, args ...string) string {
	t.Helper()
	args = append(args, "--database", database)
	cmd := exec.Command(binary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scimd %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// client talks SCIM to the replicas with one bearer token.
type client struct {
	http  *http.Client
	token string
}

func newClient(token string) *client {
	return &client{token: token, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}}
}

// response is what a SCIM call returned.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
}

// do sends one request; a transport error is returned as it is, for the
// caller to tell apart from an HTTP error status.
func (c *client) do(method, url, body string, header ...string) (*response, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := &response{Status: resp.StatusCode, Header: resp.Header}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.Body); err != nil {
			return nil, fmt.Errorf("%s %s: %d with a body that is no JSON: %q", method, url,
				resp.StatusCode, b)
		}
	}
	return out, nil
}

// must is do for calls that must reach scimd and answer want.
func (c *client) must(t *testing.T, want int, method, url, body string,
	header ...string) *response {
	t.Helper()
	resp, err := c.do(method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if resp.Status != want {
		t.Fatalf("%s %s = %d %v, want %d", method, url, resp.Status, resp.Body, want)
	}
	return resp
}

const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"
)

func userJSON(userName string) string {
	return fmt.Sprintf(`{"schemas":[%q],"userName":%q,"active":true,
		"emails":[{"value":%q,"primary":true}]}`, userSchema, userName, userName)
}

func memberPatch(op, id string) string {
	if op == "remove" {
		return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"remove",
			"path":"members[value eq \"%s\"]"}]}`, patchSchema, id)
	}
	return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"members",
		"value":[{"value":%q}]}]}`, patchSchema, id)
}

// isSCIMError reports whether body is a SCIM error document for status.
func isSCIMError(body map[string]any, status int) bool {
	schemas, _ := body["schemas"].([]any)
	return len(schemas) == 1 && schemas[0] == errorSchema &&
		body["status"] == fmt.Sprint(status) && body["detail"] != ""
}
