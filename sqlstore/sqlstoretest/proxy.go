package sqlstoretest

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
)

// CommitCut says what a CommitProxy does with the next COMMIT it sees.
type CommitCut int32

const (
	// PassCommit sends COMMIT on as any other message.
	PassCommit CommitCut = iota
	// DropCommit cuts the connection instead of sending COMMIT on: the
	// server never receives it.
	DropCommit
	// LoseAck sends COMMIT on, swallows the server's answer, and then cuts
	// the connection: the commit is done, but the client never learns it.
	LoseAck
)

// CommitProxy is a TCP proxy in front of a PostgreSQL server that follows
// the wire protocol's message framing, so that it can cut the connection
// that sends a simple-query COMMIT (as pgx sends it) at the moment a test
// chooses. It speaks plain TCP: connect through it with sslmode=disable.
type CommitProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	cut    CommitCut
	before func() // see Arm
	conns  []net.Conn
}

// NewCommitProxy starts a proxy to the server at target (host:port) on a
// free local port. It stops, closing every connection, when tb ends.
func NewCommitProxy(tb testing.TB, target string) *CommitProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("commit proxy: %v", err)
	}
	p := &CommitProxy{ln: ln, target: target}
	p.wg.Go(p.serve)
	tb.Cleanup(func() {
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

// URL returns the PostgreSQL URL dsn with the proxy as its host.
func (p *CommitProxy) URL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// Arm makes the proxy cut the connection that sends the next COMMIT, and
// call before (unless nil) just before it cuts: after the server answered,
// for LoseAck. A test may stop and start the server in before; it runs on
// the proxy's goroutine, so it must report failures with Error, not Fatal.
func (p *CommitProxy) Arm(cut CommitCut, before func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.before = cut, before
}

// Armed reports whether the proxy still waits for a COMMIT to cut.
func (p *CommitProxy) Armed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut != PassCommit
}

// take disarms the proxy and returns what it was armed with.
func (p *CommitProxy) take() (CommitCut, func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cut, before := p.cut, p.before
	p.cut, p.before = PassCommit, nil
	return cut, before
}

func (p *CommitProxy) serve() {
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
		done := sync.OnceFunc(func() { client.Close(); server.Close() })
		var lose atomic.Pointer[func()] // set: swallow the answer to COMMIT
		p.wg.Go(func() { p.fromClient(client, server, &lose); done() })
		p.wg.Go(func() { fromServer(server, client, &lose); done() })
	}
}

// fromClient copies the client's messages to the server, the untyped
// startup message first, and cuts at an armed COMMIT.
func (p *CommitProxy) fromClient(client, server net.Conn, lose *atomic.Pointer[func()]) {
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
			switch cut, before := p.take(); cut {
			case DropCommit:
				if before != nil {
					before()
				}
				return
			case LoseAck:
				if before == nil {
					before = func() {}
				}
				lose.Store(&before)
			}
		}
		if write(server, msg) != nil {
			return
		}
	}
}

// fromServer copies the server's messages to the client. Once lose is set
// it drops them, and at the ReadyForQuery that ends the answer to COMMIT
// calls the function lose holds and returns.
func fromServer(server, client net.Conn, lose *atomic.Pointer[func()]) {
	for {
		msg, err := readMessage(server, true)
		if err != nil {
			return
		}
		if before := lose.Load(); before != nil {
			if msg[0] == 'Z' {
				(*before)()
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
// byte (unless untyped, as the startup message is) and a length that
// counts itself.
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
		return nil, errors.New("commit proxy: bad message length")
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
