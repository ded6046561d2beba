package replicatest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// cluster is a private PostgreSQL server for one test, which the test may
// stop and start without disturbing the shared server other tests use.
type cluster struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // data directory; also holds the socket and the log
	port int
	run  []string // prefix that runs a command as the cluster's owner
	conf []string // the test's settings, name=value
}

// newCluster initialises and starts a cluster on a free port. The binaries
// come from /usr/lib/postgresql/*/bin (the newest); without them the test
// is skipped, or fails under CI=true. As root, the cluster runs as the
// postgres user, since PostgreSQL refuses to run as root. settings
// ("name=value") are passed to the server at every start.
func newCluster(t *testing.T, settings ...string) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		msg := "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI=true requires them: install the postgresql package", msg)
		}
		t.Skip(msg)
	}
	slices.SortFunc(bins, func(a, b string) int { return versionOf(a) - versionOf(b) })
	c := &cluster{bin: filepath.Dir(bins[len(bins)-1]), conf: settings}

	// t.TempDir's parents are private to root, so the directory is made
	// beside them in the system's temporary directory.
	dir, err := os.MkdirTemp("", "scimd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user to run the cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.run = []string{"runuser", "-u", "postgres", "--"}
	}

	c.port = freePort(t)
	c.exec(t, filepath.Join(c.bin, "initdb"), "-D", c.data(), "-A", "trust",
		"-U", "postgres", "-E", "UTF8", "--no-sync")
	c.start(t)
	t.Cleanup(func() { c.pgctl(nil, "stop", "-m", "immediate") })
	return c
}

func versionOf(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the cluster's postgres database, which initdb made.
func (c *cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s "+
		"-c fsync=off -c max_connections=50", c.port, c.dir)
	for _, s := range c.conf {
		opts += " -c " + s
	}
	c.pgctl(t, "start", "-w", "-t", "60", "-o", opts, "-l", filepath.Join(c.dir, "log"))
}

// stop shuts the server down with pg_ctl's mode: "fast", as an operator or
// a failover does, ends every session at once, rolling back open
// transactions; "immediate" kills the server as a crash does, so that
// commits in flight may be durable without their acknowledgement, and the
// next start recovers from the WAL.
func (c *cluster) stop(t *testing.T, mode string) {
	t.Helper()
	c.pgctl(t, "stop", "-w", "-m", mode)
}

// pgctl runs pg_ctl; a nil t ignores failures (cleanup).
func (c *cluster) pgctl(t *testing.T, args ...string) {
	args = append([]string{"-D", c.data()}, args...)
	if t == nil {
		cmd := c.command(filepath.Join(c.bin, "pg_ctl"), args...)
		cmd.Run()
		return
	}
	t.Helper()
	c.exec(t, filepath.Join(c.bin, "pg_ctl"), args...)
}

func (c *cluster) exec(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := c.command(name, args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("%s %s: %v\n%s\nserver log:\n%s", filepath.Base(name),
			strings.Join(args, " "), err, out, tail(log, 40))
	}
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	argv := append(slices.Clone(c.run), name)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
