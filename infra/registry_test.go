package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

// buildContext writes a small app with a .dockerignore into a temp dir.
func buildContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":         "FROM python:3.12-slim\nCOPY . /app\n",
		".dockerignore":      "**/__pycache__\n*.sqlite3\ntests/\n!tests/keep.txt\n",
		"manage.py":          "print('hi')\n",
		"config/settings.py": "DEBUG = False\n",
		"tests/test_api.py":  "assert True\n",
		"tests/keep.txt":     "kept\n",
		"db.sqlite3":         "local data",
		"api/__pycache__/x":  "bytecode",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestContextHashChangesExactlyWhenTheImageWould(t *testing.T) {
	cases := []struct {
		name    string
		change  func(dir string) error
		rebuild bool
	}{
		{"nothing", func(string) error { return nil }, false},
		{"source edited", func(d string) error {
			return os.WriteFile(filepath.Join(d, "manage.py"), []byte("print('bye')\n"), 0o644)
		}, true},
		{"file added", func(d string) error { return os.WriteFile(filepath.Join(d, "config/urls.py"), nil, 0o644) }, true},
		{"file renamed", func(d string) error { return os.Rename(filepath.Join(d, "manage.py"), filepath.Join(d, "run.py")) }, true},
		{"made executable", func(d string) error { return os.Chmod(filepath.Join(d, "manage.py"), 0o755) }, true},
		{"group-writable only", func(d string) error { return os.Chmod(filepath.Join(d, "manage.py"), 0o664) }, false},
		{"Dockerfile edited", func(d string) error {
			return os.WriteFile(filepath.Join(d, "Dockerfile"), []byte("FROM python:3.13-slim\n"), 0o644)
		}, true},
		{".dockerignore edited", func(d string) error {
			return os.WriteFile(filepath.Join(d, ".dockerignore"), []byte("tests/\n"), 0o644)
		}, true},
		{"ignored test edited", func(d string) error { return os.WriteFile(filepath.Join(d, "tests/test_api.py"), []byte("x"), 0o644) }, false},
		{"re-included file edited", func(d string) error { return os.WriteFile(filepath.Join(d, "tests/keep.txt"), []byte("x"), 0o644) }, true},
		{"local database written", func(d string) error { return os.WriteFile(filepath.Join(d, "db.sqlite3"), []byte("more"), 0o644) }, false},
		{"bytecode written", func(d string) error { return os.WriteFile(filepath.Join(d, "api/__pycache__/y"), []byte("x"), 0o644) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := buildContext(t)
			before, err := ContextHash(dir, filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			after, err := ContextHash(dir, filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			if (before != after) != tc.rebuild {
				t.Errorf("hash changed: %v, want %v", before != after, tc.rebuild)
			}
		})
	}
}

func TestContextHashIgnoresWhereTheCheckoutLives(t *testing.T) {
	a, b := buildContext(t), buildContext(t)
	ha, err := ContextHash(a, filepath.Join(a, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	hb, err := ContextHash(b, filepath.Join(b, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if ha != hb {
		t.Error("two checkouts of the same app hash differently: every machine would rebuild")
	}
}

func TestContextHashFailsClearlyWithoutDockerfile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ContextHash(dir, filepath.Join(dir, "Dockerfile")); err == nil || !strings.Contains(err.Error(), "dockerfile") {
		t.Errorf("got %v", err)
	}
}

func newTestRegistry(platform string, forceDelete bool, dir string) func(ctx *pulumi.Context) error {
	return func(ctx *pulumi.Context) error {
		_, err := NewRegistry(ctx, "reg", &RegistryArgs{
			ContextDir: dir, Dockerfile: filepath.Join(dir, "Dockerfile"),
			Platform: platform, ForceDelete: forceDelete, KeepImages: 30,
		})
		return err
	}
}

func TestRegistryRepositoryIsSafe(t *testing.T) {
	for _, force := range []bool{true, false} {
		m := run(t, newTestRegistry("linux/amd64", force, buildContext(t)))
		repo := m.One(t, "aws:ecr/repository:Repository", "reg-repo")
		// A rebuild of content pushed before reuses its tag (see NewRegistry); tasks pin the digest.
		if repo.String("imageTagMutability") != "MUTABLE" {
			t.Errorf("tags are %s", repo.String("imageTagMutability"))
		}
		if !repo.Bool("imageScanningConfiguration.scanOnPush") {
			t.Error("no scan on push")
		}
		if repo.String("encryptionConfigurations.0.encryptionType") == "" {
			t.Error("no encryption configured")
		}
		if repo.Bool("forceDelete") != force {
			t.Errorf("forceDelete %v, want %v", repo.Bool("forceDelete"), force)
		}
	}
}

func TestRegistryLifecycleKeepsImagesForRollback(t *testing.T) {
	m := run(t, newTestRegistry("linux/amd64", false, buildContext(t)))
	var policy lifecyclePolicy
	if err := json.Unmarshal([]byte(m.One(t, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "reg-lifecycle").String("policy")), &policy); err != nil {
		t.Fatal(err)
	}
	last := policy.Rules[len(policy.Rules)-1]
	if last.Selection.TagStatus != "any" || last.Selection.CountType != "imageCountMoreThan" || last.Selection.CountNumber != 30 {
		t.Errorf("last rule %+v does not keep the newest 30 images", last)
	}
	for _, r := range policy.Rules[:len(policy.Rules)-1] {
		if r.Selection.TagStatus == "any" || r.RulePriority >= last.RulePriority {
			t.Errorf("ECR rejects a policy whose \"any\" rule is not last: %+v", policy.Rules)
		}
	}
}

func TestImageIsBuiltForThePlatformAndTaggedWithTheContextHash(t *testing.T) {
	dir := buildContext(t)
	hash, err := ContextHash(dir, filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		m := run(t, newTestRegistry(platform, false, dir))
		image := m.One(t, "docker:index/image:Image", "reg-image")
		if image.String("build.platform") != platform {
			t.Errorf("built for %q, want %q", image.String("build.platform"), platform)
		}
		if want := "123456789012.dkr.ecr.us-east-1.amazonaws.com/reg-repo-1a2b3c4:" + hash[:32]; image.String("imageName") != want {
			t.Errorf("image name %q, want %q", image.String("imageName"), want)
		}
		if image.Bool("skipPush") || image.Bool("buildOnPreview") {
			t.Error("image is not pushed on up, or is built during preview")
		}
		if !image.Get("registry.password").IsSecret() || image.String("registry.password") != "ecr-token-password" {
			t.Error("registry password is not the ECR token kept secret")
		}
		if image.String("registry.username") != "AWS" {
			t.Errorf("registry user %q", image.String("registry.username"))
		}
	}
}

func TestImageWithoutDigestFailsClearly(t *testing.T) {
	for _, digest := range []string{"<none>@<none>", "repo:latest", "repo@sha256:abc"} {
		dir := buildContext(t)
		err := pulumitest.Run(func(ctx *pulumi.Context) error {
			r, err := NewRegistry(ctx, "reg", &RegistryArgs{ContextDir: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Platform: "linux/amd64", KeepImages: 30})
			if err != nil {
				return err
			}
			ctx.Export("imageRef", r.ImageRef)
			return nil
		}, &pulumitest.Mocks{Region: "us-east-1", RepoDigest: digest}, pulumitest.Options{})
		if err == nil || !strings.Contains(err.Error(), "no usable digest") || !strings.Contains(err.Error(), digest) {
			t.Errorf("digest %q: got %v", digest, err)
		}
	}
}
