// Package enginetest runs Pulumi programs the way a user does: under the real Pulumi CLI and engine
// (tools/pulumi builds it at the SDK's own version), through the Automation API's inline programs
// (the Go language host cannot be had here), against the fake provider plugins of
// tools/fakeprovider, with a file:// backend and the passphrase secrets provider.
//
// `make test-engine` builds the CLI and the plugins and sets the two variables New reads.
package enginetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Variables `make test-engine` sets: the directory holding bin/pulumi, and a directory holding the
// fake plugins as plugins/resource-<pkg>-v<version>/pulumi-resource-<pkg>.
const (
	CLIRootVar = "PULUMI_CLI_ROOT"
	PluginsVar = "TASKAPI_FAKE_PLUGINS"
)

// Passphrase encrypts the test stacks' secrets (the passphrase secrets provider).
const Passphrase = "engine-test-passphrase"

// Env is one isolated Pulumi installation: the CLI, a PULUMI_HOME with the fake plugins, a file://
// backend and the fake AWS's shared state. Stacks of different projects in one Env see each other
// through StackReferences, as they would in one S3 bucket.
type Env struct {
	t       *testing.T
	cmd     auto.PulumiCommand
	Home    string
	Backend string
	// FakeState is the fake providers' shared state: the fake ECR and the call log (FAKE_AWS_STATE_DIR).
	FakeState string
	vars      map[string]string
	root      string // the test's working directory when New ran: relative project paths start here
}

// New prepares an Env under t's temporary directory. It fails the test (it does not skip) when the CLI
// or the plugins are missing: the engine tests are meant to run, and `make test-engine` provides both.
func New(t *testing.T) *Env {
	t.Helper()
	root, plugins := os.Getenv(CLIRootVar), os.Getenv(PluginsVar)
	if root == "" || plugins == "" {
		t.Fatalf("%s and %s are not set; run the engine tests with `make test-engine` (it builds the Pulumi CLI and the fake provider plugins)", CLIRootVar, PluginsVar)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		t.Fatalf("Pulumi CLI in %s: %v", root, err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{t: t, cmd: cmd, Home: t.TempDir(), Backend: t.TempDir(), FakeState: t.TempDir(), root: wd}
	if err := os.Symlink(filepath.Join(plugins, "plugins"), filepath.Join(e.Home, "plugins")); err != nil {
		t.Fatal(err)
	}
	e.vars = map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + e.Backend,
		"PULUMI_CONFIG_PASSPHRASE":                    Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING":        "true",
		"PULUMI_SKIP_CONFIRMATIONS":                   "true",
		"FAKE_AWS_STATE_DIR":                          e.FakeState,
	}
	return e
}

// Project copies the Pulumi project in srcDir (Pulumi.yaml and every Pulumi.<stack>.yaml, byte for byte)
// and the listed extra paths (relative to srcDir) into a fresh directory and returns it. Creating a
// passphrase stack writes an encryption salt into its stack file, so the tests never work in the
// checkout itself.
func (e *Env) Project(srcDir string, extra ...string) string {
	e.t.Helper()
	if !filepath.IsAbs(srcDir) {
		srcDir = filepath.Join(e.root, srcDir)
	}
	dst := e.t.TempDir()
	files, err := filepath.Glob(filepath.Join(srcDir, "Pulumi*.yaml"))
	if err != nil || len(files) == 0 {
		e.t.Fatalf("no Pulumi project in %s (%v)", srcDir, err)
	}
	for _, f := range files {
		if err := CopyTree(f, filepath.Join(dst, filepath.Base(f))); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, p := range extra {
		if err := CopyTree(filepath.Join(srcDir, p), filepath.Join(dst, p)); err != nil {
			e.t.Fatal(err)
		}
	}
	return dst
}

// Stack creates (or selects) stack name of the project in dir, whose program runs inline in this test
// process. The program's working directory is dir, as it is under `pulumi up` (the registry hashes
// app/ relative to it), so the test's working directory changes for the rest of the test.
func (e *Env) Stack(dir, name string, program pulumi.RunFunc) *Stack {
	e.t.Helper()
	e.t.Chdir(dir)
	project, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	projectName := ""
	for _, line := range strings.Split(string(project), "\n") {
		if v, ok := strings.CutPrefix(line, "name:"); ok {
			projectName = strings.TrimSpace(v)
			break
		}
	}
	s, err := auto.UpsertStackInlineSource(context.Background(), name, projectName, program,
		auto.WorkDir(dir), auto.Pulumi(e.cmd), auto.PulumiHome(e.Home), auto.EnvVars(e.vars),
		auto.SecretsProvider("passphrase"))
	if err != nil {
		e.t.Fatalf("creating stack %s of %s: %v", name, dir, err)
	}
	return &Stack{Stack: s, t: e.t, Dir: dir, env: e}
}

// Stack is one stack under test.
type Stack struct {
	auto.Stack
	t   *testing.T
	Dir string
	env *Env
}

// Call is one line of the fake providers' call log (tools/fakeprovider README: "Shared state").
type Call struct {
	Plugin  string `json:"plugin"`
	Op      string `json:"op"` // Create, Update, Delete, Read, Invoke, Build, Push, Construct
	Type    string `json:"type"`
	URN     string `json:"urn"`
	Name    string `json:"name"`
	Preview bool   `json:"preview"`
	Detail  string `json:"detail"`
	Error   string `json:"error"`
	Region  string `json:"region"`
}

// Calls returns every call the fake providers logged so far, oldest first.
func (e *Env) Calls() []Call {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.FakeState, "calls.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var calls []Call
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var c Call
		if err := json.Unmarshal(line, &c); err != nil {
			e.t.Fatalf("calls.jsonl: %v", err)
		}
		calls = append(calls, c)
	}
	return calls
}

// ECRPasswords returns the registry passwords the fake getAuthorizationToken handed out, by region.
func (e *Env) ECRPasswords() map[string]string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.FakeState, "state.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var st struct {
		ECRTokens map[string]string `json:"ecrTokens"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		e.t.Fatal(err)
	}
	return st.ECRTokens
}

// SetConfig sets plain config values (keys without a namespace belong to the project).
func (s *Stack) SetConfig(values map[string]string) {
	s.t.Helper()
	for k, v := range values {
		if err := s.Stack.SetConfig(context.Background(), k, auto.ConfigValue{Value: v}); err != nil {
			s.t.Fatalf("config set %s: %v", k, err)
		}
	}
}

// SetSecret sets a config value as `pulumi config set --secret` does.
func (s *Stack) SetSecret(key, value string) {
	s.t.Helper()
	if err := s.Stack.SetConfig(context.Background(), key, auto.ConfigValue{Value: value, Secret: true}); err != nil {
		s.t.Fatalf("config set --secret %s: %v", key, err)
	}
}

// RemoveConfig removes keys from the stack's config.
func (s *Stack) RemoveConfig(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if err := s.Stack.RemoveConfig(context.Background(), k); err != nil {
			s.t.Fatalf("config rm %s: %v", k, err)
		}
	}
}

// Result is what one CLI operation did: the step of every resource, the CLI's output and diagnostics.
type Result struct {
	Steps       map[string]apitype.StepEventMetadata // by URN, the last step seen
	ops         map[string][]apitype.OpType
	Output      string
	Diagnostics []string
}

// Op is the resource's operation, with the several steps of a replacement folded into OpReplace.
// Resources the operation did not touch report OpSame.
func (r *Result) Op(urn string) apitype.OpType {
	ops := r.ops[urn]
	for _, op := range ops {
		switch op {
		case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced,
			apitype.OpDiscardReplaced, apitype.OpImportReplacement:
			return apitype.OpReplace
		}
	}
	if len(ops) == 0 {
		return apitype.OpSame
	}
	return ops[len(ops)-1]
}

// Changes maps "<type>::<name>" of every resource whose operation is not same (or read) to that operation.
func (r *Result) Changes() map[string]apitype.OpType {
	out := map[string]apitype.OpType{}
	for urn := range r.ops {
		op := r.Op(urn)
		if op == apitype.OpSame || op == apitype.OpRead || op == apitype.OpReadDiscard {
			continue
		}
		out[Short(urn)] = op
	}
	return out
}

// Find returns the URNs whose short form ("<type>::<name>") contains every part.
func (r *Result) Find(parts ...string) []string {
	var out []string
	for urn := range r.Steps {
		short := Short(urn)
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(short, p) }) {
			out = append(out, urn)
		}
	}
	sort.Strings(out)
	return out
}

// String lists the changes, one per line, for failure messages.
func (r *Result) String() string {
	var lines []string
	for k, op := range r.Changes() {
		step := r.Steps[urnOf(r, k)]
		lines = append(lines, fmt.Sprintf("  %-8s %s  keys=%v diffs=%v", op, k, step.Keys, step.Diffs))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func urnOf(r *Result, short string) string {
	for urn := range r.Steps {
		if Short(urn) == short {
			return urn
		}
	}
	return ""
}

// Short turns urn:pulumi:<stack>::<project>::<parent types$>type::name into "<type>::<name>".
func Short(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1] + "::" + parts[3]
}

// recorder collects the engine's events and the CLI's output of one operation.
type recorder struct {
	ch     chan events.EngineEvent
	done   chan struct{}
	out    bytes.Buffer
	mu     sync.Mutex
	result *Result
}

func newRecorder() *recorder {
	r := &recorder{
		ch:     make(chan events.EngineEvent),
		done:   make(chan struct{}),
		result: &Result{Steps: map[string]apitype.StepEventMetadata{}, ops: map[string][]apitype.OpType{}},
	}
	go func() {
		defer close(r.done)
		for ev := range r.ch {
			r.record(ev)
		}
	}()
	return r
}

func (r *recorder) record(ev events.EngineEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case ev.ResourcePreEvent != nil:
		meta := ev.ResourcePreEvent.Metadata
		r.result.Steps[meta.URN] = meta
		r.result.ops[meta.URN] = append(r.result.ops[meta.URN], meta.Op)
	case ev.DiagnosticEvent != nil:
		d := ev.DiagnosticEvent
		r.result.Diagnostics = append(r.result.Diagnostics, d.Severity+": "+strings.TrimSpace(d.Message))
	case ev.PolicyEvent != nil:
		p := ev.PolicyEvent
		r.result.Diagnostics = append(r.result.Diagnostics,
			fmt.Sprintf("policy %s %s/%s: %s (%s)", p.EnforcementLevel, p.PolicyPackName, p.PolicyName, strings.TrimSpace(p.Message), p.ResourceURN))
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

// finish waits for the event stream to end and wraps err with the CLI's own output.
func (r *recorder) finish(what string, err error) (*Result, error) {
	if err != nil {
		// When the CLI fails before it writes its event log (config validation, say), the Automation
		// API never closes the event channel: do not wait for it.
		select {
		case <-r.done:
		case <-time.After(2 * time.Second):
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.result, &Error{What: what, Err: err, Output: r.out.String()}
	}
	<-r.done
	r.result.Output = r.out.String()
	return r.result, nil
}

// Error is a failed CLI operation; its message carries the CLI's output, not just the exit status.
type Error struct {
	What   string
	Err    error
	Output string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pulumi %s failed: %v\n--- CLI output ---\n%s", e.What, e.Err, e.Output)
}

func (e *Error) Unwrap() error { return e.Err }

// Contains reports whether the CLI's output or error mentions every part: for asserting on messages.
func (e *Error) Contains(parts ...string) bool {
	text := e.Output + "\n" + e.Err.Error()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			return false
		}
	}
	return true
}

// AsError returns err as an *Error (nil when it is not one).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Preview runs `pulumi preview`.
func (s *Stack) Preview(opts ...optpreview.Option) (*Result, error) {
	r := newRecorder()
	_, err := s.Stack.Preview(context.Background(), append(opts,
		optpreview.EventStreams(r.ch), optpreview.ProgressStreams(r), optpreview.ErrorProgressStreams(r),
		optpreview.Diff())...)
	return r.finish("preview --stack "+s.Name(), err)
}

// Up runs `pulumi up --yes`.
func (s *Stack) Up(opts ...optup.Option) (*Result, error) {
	r := newRecorder()
	_, err := s.Stack.Up(context.Background(), append(opts,
		optup.EventStreams(r.ch), optup.ProgressStreams(r), optup.ErrorProgressStreams(r))...)
	return r.finish("up --stack "+s.Name(), err)
}

// Refresh runs `pulumi refresh --yes`.
func (s *Stack) Refresh(opts ...optrefresh.Option) (*Result, error) {
	r := newRecorder()
	_, err := s.Stack.Refresh(context.Background(), append(opts,
		optrefresh.EventStreams(r.ch), optrefresh.ProgressStreams(r), optrefresh.ErrorProgressStreams(r))...)
	return r.finish("refresh --stack "+s.Name(), err)
}

// Destroy runs `pulumi destroy --yes`.
func (s *Stack) Destroy(opts ...optdestroy.Option) (*Result, error) {
	r := newRecorder()
	_, err := s.Stack.Destroy(context.Background(), append(opts,
		optdestroy.EventStreams(r.ch), optdestroy.ProgressStreams(r), optdestroy.ErrorProgressStreams(r))...)
	return r.finish("destroy --stack "+s.Name(), err)
}

// MustUp runs up and fails the test (with the CLI's output) when it fails.
func (s *Stack) MustUp(opts ...optup.Option) *Result {
	s.t.Helper()
	res, err := s.Up(opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	return res
}

// MustPreview runs preview and fails the test (with the CLI's output) when it fails.
func (s *Stack) MustPreview(opts ...optpreview.Option) *Result {
	s.t.Helper()
	res, err := s.Preview(opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	return res
}

// Export is `pulumi stack export` as a user runs it (without --show-secrets, which the Automation API's
// Export passes): the deployment as stored, secrets encrypted.
func (s *Stack) Export() []byte {
	s.t.Helper()
	var env []string
	for k, v := range s.env.vars {
		env = append(env, k+"="+v)
	}
	env = append(env, "PULUMI_HOME="+s.env.Home)
	stdout, stderr, _, err := s.env.cmd.Run(context.Background(), s.Dir, nil, nil, nil, env, "stack", "export", "--stack", s.Name())
	if err != nil {
		s.t.Fatalf("pulumi stack export: %v\n%s\n%s", err, stdout, stderr)
	}
	var d struct {
		Deployment json.RawMessage `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		s.t.Fatalf("pulumi stack export: %v", err)
	}
	return d.Deployment
}

// Outputs returns the stack's outputs (secrets included, decrypted).
func (s *Stack) Outputs() auto.OutputMap {
	s.t.Helper()
	out, err := s.Stack.Outputs(context.Background())
	if err != nil {
		s.t.Fatalf("stack output: %v", err)
	}
	return out
}

// CopyTree copies a file or a directory tree, keeping file modes (the image's context hash sees them).
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if d.Name() == "__pycache__" || d.Name() == ".venv" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Chmod(target, info.Mode().Perm()) // not masked by the umask
	})
}
