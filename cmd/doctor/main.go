// Command doctor checks a deployed task-management-api stack and explains what is wrong:
//
//	go run ./cmd/doctor --stack dev            # or: make doctor STACK=dev
//	go run ./cmd/doctor --outputs outputs.json --json --wait 5m
//
// Exit status: 0 when every check passes, 1 when one fails, 2 on usage errors or unusable
// stack outputs. See internal/doctor for the checks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/task-management-api/task-management-api/internal/doctor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := doctor.Main(ctx, os.Args[1:], doctor.Env{})
	stop()
	os.Exit(code)
}
