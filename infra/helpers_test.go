package infra

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

// run runs fn under fresh mocks in us-east-1, failing the test if the program fails.
func run(t *testing.T, fn func(ctx *pulumi.Context) error) *pulumitest.Mocks {
	t.Helper()
	m := &pulumitest.Mocks{Region: "us-east-1"}
	if err := pulumitest.Run(fn, m, pulumitest.Options{Config: map[string]string{"aws:region": "us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	return m
}

// await resolves an output inside a mocked program; the value arrives before pulumi.RunErr returns.
func await[T any](out pulumi.Output, into *T) {
	out.ApplyT(func(v T) T { *into = v; return v })
}
