package cicd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// What `pulumi config set --secret` and `pulumi stack init` with prod's passphrase add to the stack
// file (copied from a run of the real CLI v3.274.1).
const (
	prodCiphertext = "v1:abpHsZRlWPIwogz/:USQ8Z1YMyCGy7XP9bCmTAjeTHKYJNfFHxR/lpf48+3LEd0OtrCuvRjoHMEpKH1Y2jgCzVeEbXPKx2t78TQoRuwir2f5FKlEQGWj8V6Ksslo="
	prodSalt       = "v1:iWz34m+dIW0=:v1:rXRNjagt6yxJY+5N:+hwvwquHHt4akJjKsuvZZx7vEyWMAQ=="
	prodSecrets    = "\n  task-management-api:djangoSecretKey:\n    secure: " + prodCiphertext + "\nencryptionsalt: " + prodSalt + "\n"
)

// The caller's prod credentials, which must never reach the CLI.
var callerEnv = map[string]string{
	"PULUMI_BACKEND_URL":            "s3://prod-state?region=ap-northeast-1",
	"PULUMI_CONFIG_PASSPHRASE":      "prod-passphrase",
	"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/prod-passphrase",
	"PULUMI_ACCESS_TOKEN":           "pul-prod-token",
}

// fakePulumi logs each call (arguments, directory, the Pulumi credential variables) and plays the parts
// of the CLI the script relies on: `stack init` adds the new passphrase's salt to the stack file, and
// `preview` keeps a copy of the project files it ran on and prints/exits as FAKE_PREVIEW_* say.
const fakePulumi = `#!/bin/sh
{
  printf 'args=%s\n' "$*"
  printf 'cwd=%s\n' "$PWD"
  for v in PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE PULUMI_ACCESS_TOKEN; do
    eval "printf '%s=%s\n' $v \"\${$v-<unset>}\""
  done
  echo ---
} >> "$FAKE_DIR/calls.log"
case "$1 $2" in
"stack init") printf 'encryptionsalt: v1:new-salt\n' >> "Pulumi.$3.yaml" ;;
"preview --stack")
  cp Pulumi.yaml "$FAKE_DIR/seen-Pulumi.yaml"
  cp "Pulumi.$3.yaml" "$FAKE_DIR/seen-stack.yaml"
  printf '%s\n' "$FAKE_PREVIEW_OUTPUT"
  exit "${FAKE_PREVIEW_EXIT:-0}" ;;
esac
`

type call map[string]string

type detachedRun struct {
	checkout, fakeDir string
	out               string
	err               error
	calls             []call
}

// runDetached runs a copy of scripts/preview-detached.sh in a checkout holding the repository's
// Pulumi.yaml and the given Pulumi.prod.yaml, with the caller's prod credentials set and the fake CLI.
func runDetached(t *testing.T, stackFile string, env ...string) detachedRun {
	t.Helper()
	script, err := os.ReadFile("../../scripts/preview-detached.sh")
	if err != nil {
		t.Fatal(err)
	}
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := detachedRun{checkout: filepath.Join(dir, "checkout"), fakeDir: filepath.Join(dir, "fake")}
	files := map[string][]byte{
		"scripts/preview-detached.sh": script,
		"Pulumi.yaml":                 project,
		"Pulumi.prod.yaml":            []byte(stackFile),
	}
	for name, data := range files {
		p := filepath.Join(r.checkout, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(r.fakeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(r.fakeDir, "pulumi")
	if err := os.WriteFile(fake, []byte(fakePulumi), 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("bash", filepath.Join(r.checkout, "scripts/preview-detached.sh"), "prod")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PULUMI="+fake, "FAKE_DIR="+r.fakeDir, "GITHUB_ACTIONS=")
	for k, v := range callerEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r.err = cmd.Run()
	r.out = out.String()

	log, _ := os.ReadFile(filepath.Join(r.fakeDir, "calls.log"))
	for _, rec := range strings.Split(string(log), "---\n") {
		if strings.TrimSpace(rec) == "" {
			continue
		}
		c := call{}
		for _, line := range strings.Split(strings.TrimSpace(rec), "\n") {
			k, v, _ := strings.Cut(line, "=")
			c[k] = v
		}
		r.calls = append(r.calls, c)
	}
	return r
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPreviewDetached(t *testing.T) {
	shipped := readFile(t, "../../Pulumi.prod.yaml")
	stackFile := shipped + prodSecrets
	r := runDetached(t, stackFile)
	if r.err != nil {
		t.Fatalf("preview-detached.sh: %v\n%s", r.err, r.out)
	}

	var args []string
	for _, c := range r.calls {
		args = append(args, c["args"])
	}
	if len(args) != 3 || args[0] != "stack init prod --secrets-provider passphrase --non-interactive" ||
		!strings.HasPrefix(args[1], "config set --secret --stack prod task-management-api:djangoSecretKey ") ||
		args[2] != "preview --stack prod --non-interactive --diff" {
		t.Fatalf("pulumi calls:\n%s\nwant stack init, config set --secret of djangoSecretKey, preview", strings.Join(args, "\n"))
	}
	placeholder := strings.TrimPrefix(args[1], "config set --secret --stack prod task-management-api:djangoSecretKey ")
	if len(placeholder) < 50 || strings.Contains(stackFile, placeholder) {
		t.Errorf("placeholder secret %q: want a fresh value of at least 50 characters (the program's minimum)", placeholder)
	}

	passphrase := r.calls[0]["PULUMI_CONFIG_PASSPHRASE"]
	for _, c := range r.calls {
		if !strings.HasPrefix(c["PULUMI_BACKEND_URL"], "file://") {
			t.Errorf("%s: PULUMI_BACKEND_URL=%s, want the throwaway file:// backend", c["args"], c["PULUMI_BACKEND_URL"])
		}
		if p := c["PULUMI_CONFIG_PASSPHRASE"]; p == callerEnv["PULUMI_CONFIG_PASSPHRASE"] || len(p) < 32 || p != passphrase {
			t.Errorf("%s: PULUMI_CONFIG_PASSPHRASE=%q, want one random passphrase for every call, not the caller's", c["args"], p)
		}
		for _, v := range []string{"PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE"} {
			if c[v] != "<unset>" {
				t.Errorf("%s: %s=%q, want it unset", c["args"], v, c[v])
			}
		}
		if strings.HasPrefix(c["cwd"], r.checkout) {
			t.Errorf("%s ran in %s, inside the checkout", c["args"], c["cwd"])
		}
		if _, err := os.Stat(c["cwd"]); !os.IsNotExist(err) {
			t.Errorf("work directory %s still exists after the script (stat: %v)", c["cwd"], err)
		}
	}

	seen := readFile(t, filepath.Join(r.fakeDir, "seen-stack.yaml"))
	for _, gone := range []string{prodSalt, prodCiphertext, "djangoSecretKey:\n    secure"} {
		if strings.Contains(seen, gone) {
			t.Errorf("the previewed stack file still holds %q:\n%s", gone, seen)
		}
	}
	for _, kept := range []string{"aws:region: ap-northeast-1", "task-management-api:deletionProtection: true", "    - aws\n", "encryptionsalt: v1:new-salt"} {
		if !strings.Contains(seen, kept) {
			t.Errorf("the previewed stack file lacks %q:\n%s", kept, seen)
		}
	}
	if project := readFile(t, filepath.Join(r.fakeDir, "seen-Pulumi.yaml")); !strings.Contains(project, "\nmain: '"+r.checkout+"'\n") {
		t.Errorf("the previewed Pulumi.yaml does not point main at the checkout %s:\n%s", r.checkout, project)
	}

	if got := readFile(t, filepath.Join(r.checkout, "Pulumi.prod.yaml")); got != stackFile {
		t.Errorf("the checkout's Pulumi.prod.yaml changed:\n%s", got)
	}
	entries, err := os.ReadDir(r.checkout)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("the checkout holds %d entries after the run, want the 3 it started with", len(entries))
	}
}

// The shipped prod stack has no domain, and the program refuses it: the failure points at the stack
// file. Other failures get no such hint.
func TestPreviewDetachedFailures(t *testing.T) {
	shipped := readFile(t, "../../Pulumi.prod.yaml")
	programError := "error: program failed: stack \"prod\" has invalid configuration (nothing was created):\n" +
		"task-management-api:deletionProtection is true (the production posture), but the stack has no HTTPS: logins and tokens"

	r := runDetached(t, shipped, "FAKE_PREVIEW_EXIT=255", "FAKE_PREVIEW_OUTPUT="+programError, "GITHUB_ACTIONS=true")
	if exit, ok := r.err.(*exec.ExitError); !ok || exit.ExitCode() != 255 {
		t.Fatalf("exit: %v, want the preview's status 255\n%s", r.err, r.out)
	}
	if !strings.Contains(r.out, "::error file=Pulumi.prod.yaml::stack 'prod' has no domain") || !strings.Contains(r.out, programError) {
		t.Errorf("output lacks the program's error or the annotation on Pulumi.prod.yaml:\n%s", r.out)
	}

	r = runDetached(t, shipped, "FAKE_PREVIEW_EXIT=1", "FAKE_PREVIEW_OUTPUT=error: could not load credentials")
	if r.err == nil || strings.Contains(r.out, "has no domain") {
		t.Errorf("a failure for another reason: err %v, output:\n%s", r.err, r.out)
	}
	if len(r.calls) != 2 {
		t.Errorf("%d pulumi calls for a stack without secrets, want 2 (stack init, preview)", len(r.calls))
	}

	// A secret inside an object cannot be swapped for a placeholder: refuse before calling pulumi.
	nested := shipped + "  task-management-api:extra:\n    token:\n      secure: " + prodCiphertext + "\n"
	r = runDetached(t, nested)
	if r.err == nil || !strings.Contains(r.out, "secret value this script cannot replace") || len(r.calls) != 0 {
		t.Errorf("nested secret: err %v, %d pulumi calls, output:\n%s", r.err, len(r.calls), r.out)
	}
}
