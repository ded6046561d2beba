package sqlstore_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestCommitConnectionCut runs Write through a proxy that cuts the
// connection at COMMIT, as a crash or a network failure does, so that the
// driver's own errors take the path the fault hook of TestCommitOutcome
// stands in for.
func TestCommitConnectionCut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cut    int32 // cutBefore or cutAfter
		want   error
		stored bool
	}{
		{"ack-lost", cutAfter, nil, true},
		{"commit-lost", cutBefore, directory.ErrUnavailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newCommitCutter(t)
			db, err := sqlstore.Open(t.Context(), sqlstore.Config{
				URL: p.url(sqlstoretest.SchemaURL(t)), Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
			if err := db.CreateAccount(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			u := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
				UserName: "cut@example.com", Active: true,
				Doc: map[string]any{"userName": "cut@example.com"}}

			p.mode.Store(tc.cut)
			calls := 0
			err = db.Write(t.Context(), a.ID, func(tx directory.Tx) error {
				calls++
				if err := tx.Insert(u); err != nil {
					return err
				}
				return tx.Append(&directory.Event{Type: directory.EventUserCreated,
					ResourceType: directory.KindUser, ResourceID: u.ID, Version: 1})
			})
			if p.mode.Load() != 0 {
				t.Fatal("the proxy saw no COMMIT")
			}
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Write = %v, want %v", err, tc.want)
			}
			if calls != 1 {
				t.Errorf("fn ran %d times, want once", calls)
			}
			_, err = db.Resource(t.Context(), a.ID, directory.KindUser, u.ID)
			switch {
			case tc.stored && err != nil:
				t.Errorf("user not stored: %v", err)
			case !tc.stored && !errors.Is(err, directory.ErrNotFound):
				t.Errorf("user stored (read error %v), want nothing stored", err)
			}
		})
	}
}

// What a commitCutter does with the next COMMIT it sees.
const (
	cutNone   int32 = iota
	cutBefore       // close the connection instead of sending it on
	cutAfter        // send it on, swallow the answer, then close
)

// commitCutter is a TCP proxy in front of the test PostgreSQL server that
// reads the wire protocol's message framing, so that it can cut the
// connection that sends a simple-query COMMIT (as pgx does) once armed.
type commitCutter struct {
	ln     net.Listener
	target string
	mode   atomic.Int32 // cut*; back to cutNone once it has cut
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn // both ends of every connection, closed at the end
}

func newCommitCutter(t *testing.T) *commitCutter {
	t.Helper()
	u, err := url.Parse(sqlstoretest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitCutter{ln: ln, target: u.Host}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// url returns dsn with the proxy as its host.
func (p *commitCutter) url(dsn string) string {
	u, _ := url.Parse(dsn)
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *commitCutter) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()

		// Closing both ends ends both directions.
		cut := sync.OnceFunc(func() { client.Close(); server.Close() })
		var swallow atomic.Bool
		p.wg.Go(func() { p.fromClient(client, server, &swallow, cut); cut() })
		p.wg.Go(func() { fromServer(server, client, &swallow); cut() })
	}
}

// fromClient copies the client's messages to the server, the untyped
// startup message first, and acts on a COMMIT when armed.
func (p *commitCutter) fromClient(client, server net.Conn, swallow *atomic.Bool, cut func()) {
	startup, err := readMessage(client, false)
	if err != nil || write(server, startup) != nil {
		return
	}
	for {
		msg, err := readMessage(client, true)
		if err != nil {
			return
		}
		if isCommit(msg) {
			switch p.mode.Swap(cutNone) {
			case cutBefore:
				cut()
				return
			case cutAfter:
				swallow.Store(true)
			}
		}
		if write(server, msg) != nil {
			return
		}
	}
}

// fromServer copies the server's messages to the client. Once swallow is
// set it drops them, and cuts the connection at the ReadyForQuery that
// ends the answer to COMMIT: the commit is then durable.
func fromServer(server, client net.Conn, swallow *atomic.Bool) {
	for {
		msg, err := readMessage(server, true)
		if err != nil {
			return
		}
		if swallow.Load() {
			if msg[0] == 'Z' {
				return
			}
			continue
		}
		if write(client, msg) != nil {
			return
		}
	}
}

// readMessage reads one message of the PostgreSQL wire protocol: a type
// byte (unless untyped) and a length that counts itself.
func readMessage(r io.Reader, typed bool) ([]byte, error) {
	head := 4
	if typed {
		head = 5
	}
	msg := make([]byte, head)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(msg[head-4:]))
	if n < 4 || n > 1<<26 {
		return nil, errors.New("bad message length")
	}
	msg = append(msg, make([]byte, n-4)...)
	_, err := io.ReadFull(r, msg[head:])
	return msg, err
}

// isCommit reports whether msg is a simple query of COMMIT.
func isCommit(msg []byte) bool {
	if msg[0] != 'Q' {
		return false
	}
	q := strings.TrimRight(string(msg[5:]), "\x00")
	return strings.EqualFold(strings.TrimSpace(q), "commit")
}

func write(w io.Writer, msg []byte) error {
	_, err := w.Write(msg)
	return err
}
