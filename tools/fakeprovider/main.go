// Command pulumi-resource-<pkg> is a fake Pulumi resource provider plugin for tests: one binary serves the
// aws, awsx and docker packages, choosing by the name it is started under (pulumi-resource-aws, ...).
// See README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packages the fake serves.
var packages = map[string]bool{"aws": true, "awsx": true, "docker": true}

var pluginDirRe = regexp.MustCompile(`^resource-([a-z0-9-]+)-v(\d+\.\d+\.\d+.*)$`)

// identity returns the package (from argv[0], not /proc/self/exe, which resolves symlinks) and the version
// (from the plugin directory resource-<pkg>-v<version>, else $FAKE_PROVIDER_VERSION).
func identity(argv0 string) (pkg, version string, err error) {
	base := filepath.Base(argv0)
	pkg = strings.TrimPrefix(base, "pulumi-resource-")
	if p := os.Getenv("FAKE_PROVIDER_PACKAGE"); p != "" {
		pkg = p
	}
	if !packages[pkg] {
		return "", "", fmt.Errorf("fake provider started as %q: the name must be pulumi-resource-<pkg> with pkg one of aws, awsx, docker", base)
	}
	if m := pluginDirRe.FindStringSubmatch(filepath.Base(filepath.Dir(argv0))); m != nil && m[1] == pkg {
		version = m[2]
	}
	if v := os.Getenv("FAKE_PROVIDER_VERSION"); version == "" && v != "" {
		version = v
	}
	if version == "" {
		version = "0.0.0"
	}
	return pkg, version, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "replacement-table" {
		fmt.Print(replacementTableMarkdown())
		return
	}
	pkg, version, err := identity(os.Args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := provider.Main(pkg, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newServer(pkg, version, host), nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
