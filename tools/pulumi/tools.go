//go:build tools

// Package tools pins the Pulumi CLI that the engine tests run: the same version as the SDK in the
// root go.mod (a test fails when they differ). Build it with tools/pulumi/build.sh.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
