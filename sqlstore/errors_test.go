package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/directory"
)

func TestMapErr(t *testing.T) {
	pg := &DB{dialect: Postgres}
	pgErr := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "m"})
	}
	for _, tc := range []struct {
		err  error
		want error // nil: left as it is
	}{
		{pgErr("23505"), directory.ErrConflict},
		{pgErr("23503"), directory.ErrNotFound},
		{pgErr("57P01"), directory.ErrUnavailable}, // admin shutdown
		{pgErr("08006"), directory.ErrUnavailable}, // connection failure
		{pgErr("53300"), directory.ErrUnavailable}, // too many connections
		{pgErr("40001"), nil},                      // retried by Write, not mapped
		{pgErr("42601"), nil},                      // a syntax error is a bug
		{driver.ErrBadConn, directory.ErrUnavailable},
		{context.Canceled, nil},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), nil},
		{errors.New("other"), nil},
	} {
		got := pg.mapErr(tc.err)
		if !errors.Is(got, tc.err) {
			t.Errorf("mapErr(%v) lost the cause: %v", tc.err, got)
		}
		for _, e := range []error{directory.ErrConflict, directory.ErrNotFound,
			directory.ErrUnavailable} {
			if errors.Is(got, e) != (e == tc.want) {
				t.Errorf("mapErr(%v) = %v: errors.Is %v is %v", tc.err, got, e, e != tc.want)
			}
		}
	}
	if pg.mapErr(nil) != nil {
		t.Error("mapErr(nil) is not nil")
	}
}
