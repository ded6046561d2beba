// Command storage-access is an example of the vendor's side of scimd: a
// storage service that keeps a local table of who may use storage in sync
// from scimd's signed webhooks. An active user directly in the group named
// by -group (default "storage") may use storage; deactivation, deletion or
// leaving the group cuts access with the next event.
//
//	scimd's API: POST /api/v1/webhooks {"url": "http://HOST:8090/webhooks/scimd"}
//	             and keep the "secret" of the answer
//	             (a HOST on a private network or this machine needs
//	             scimd serve --webhook-allow-private)
//	STORAGE_WEBHOOK_SECRET=whsec_... storage-access -addr :8090 -db access.db
//
// The table storage_access (account_id, user_id, user_name, granted_at) is
// what the storage service reads.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "storage-access:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	path := flag.String("db", "storage-access.db", "SQLite database file")
	group := flag.String("group", "storage", "members of this group may use storage")
	flag.Parse()
	secret := os.Getenv("STORAGE_WEBHOOK_SECRET")
	if secret == "" {
		return errors.New("set STORAGE_WEBHOOK_SECRET to the webhook endpoint's whsec_ secret")
	}

	// One connection: SQLite writes one at a time, and the webhooks of one
	// account arrive one at a time anyway.
	dsn := "file:" + *path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	app, err := NewApp(db, secret, *group, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/scimd", app)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("storage-access listening", "addr", *addr, "db", *path, "group", *group)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
