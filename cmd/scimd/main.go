// Command scimd is a SCIM 2.0 provisioning service: identity providers such
// as Okta and Microsoft Entra ID push users and groups into it, and the
// vendor's application learns every change through its API and webhooks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
