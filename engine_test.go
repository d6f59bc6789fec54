//go:build engine

// The program under the real Pulumi CLI and engine, with fake provider plugins: run with `make test-engine`
// (one scenario: make test-engine RUN=TestEngineDevLifecycle). See README "Testing".
package main

import (
	"testing"

	"github.com/task-management-api/task-management-api/internal/enginetest"
)

func TestEnginePreviewDevAsShipped(t *testing.T) {
	e := enginetest.New(t)
	dev := e.Stack(e.Project(".", "app"), "dev", program)
	res := dev.MustPreview()
	t.Log(res.String())
}
