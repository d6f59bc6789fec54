// Package cicd checks the GitHub Actions workflows in .github/workflows against the rules README
// "CI/CD" promises, which actionlint cannot know:
//
//   - a third-party action (anything outside actions/*) in a job that can get an OIDC token is pinned
//     by a full commit SHA with a "# vX.Y.Z" comment, so a moved tag cannot run new code with the
//     token;
//   - no job run by a pull request can reach prod's state or passphrase: none uses the production
//     environment, and none that reads the Pulumi backend, token or passphrase works on stack prod;
//   - every deploy of prod goes through the production environment (its reviewers, and the settings
//     only that environment holds).
package cicd

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ProdStack and ProdEnvironment name the protected stack and the GitHub environment guarding it.
const (
	ProdStack       = "prod"
	ProdEnvironment = "production"
)

// Report is the outcome of Check. The counts show what the rules were applied to, so a test can tell
// "nothing wrong" from "nothing checked".
type Report struct {
	Violations  []string
	PinnedUses  int // third-party `uses:` checked in jobs that can get an OIDC token
	PRJobs      int // jobs run by pull requests
	ProdDeploys int // jobs deploying prod, checked for the production environment
}

// Workflow is one parsed workflow file.
type Workflow struct {
	Name string // file name, e.g. deploy.yml
	root *yaml.Node
}

// Load parses every *.yml and *.yaml file in dir.
func Load(dir string) ([]*Workflow, error) {
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var wfs []*Workflow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		wf, err := Parse(filepath.Base(f), data)
		if err != nil {
			return nil, err
		}
		wfs = append(wfs, wf)
	}
	return wfs, nil
}

// Parse parses one workflow.
func Parse(name string, data []byte) (*Workflow, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a workflow (a YAML mapping)", name)
	}
	return &Workflow{Name: name, root: doc.Content[0]}, nil
}

// Check applies every rule to the workflows in dir.
func Check(dir string) (Report, error) {
	wfs, err := Load(dir)
	if err != nil {
		return Report{}, err
	}
	return CheckWorkflows(wfs), nil
}

// CheckWorkflows applies every rule to wfs; reusable workflows are looked up among them by file name.
func CheckWorkflows(wfs []*Workflow) Report {
	var r Report
	byName := map[string]*Workflow{}
	for _, wf := range wfs {
		byName[wf.Name] = wf
	}
	for _, wf := range wfs {
		checkPins(&r, wf)
		if wf.runsOnPullRequests() {
			checkPullRequestJobs(&r, wf)
		}
		checkProdDeploys(&r, wf, byName)
	}
	if r.ProdDeploys == 0 {
		r.Violations = append(r.Violations, "no workflow deploys stack prod: the production-environment rule checked nothing")
	}
	sort.Strings(r.Violations)
	return r
}

type job struct {
	wf   *Workflow
	id   string
	node *yaml.Node
}

func (wf *Workflow) jobs() []job {
	var out []job
	jobs := get(wf.root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		out = append(out, job{wf: wf, id: jobs.Content[i].Value, node: jobs.Content[i+1]})
	}
	return out
}

func (j job) where() string { return fmt.Sprintf("%s: job %s", j.wf.Name, j.id) }

// triggers lists the events of `on:` (a string, a list or a mapping).
func (wf *Workflow) triggers() []string {
	on := get(wf.root, "on")
	if on == nil {
		return nil
	}
	switch on.Kind {
	case yaml.ScalarNode:
		return []string{on.Value}
	case yaml.SequenceNode:
		var out []string
		for _, n := range on.Content {
			out = append(out, n.Value)
		}
		return out
	case yaml.MappingNode:
		var out []string
		for i := 0; i < len(on.Content); i += 2 {
			out = append(out, on.Content[i].Value)
		}
		return out
	}
	return nil
}

// runsOnPullRequests: events whose runs a pull request's author can start, with this repository's
// settings.
func (wf *Workflow) runsOnPullRequests() bool {
	for _, t := range wf.triggers() {
		switch t {
		case "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "issue_comment", "workflow_run":
			return true
		}
	}
	return false
}

// --- rule 1: pins ---------------------------------------------------------------------------------

var (
	shaRef        = regexp.MustCompile(`@[0-9a-f]{40}$`)
	versionRemark = regexp.MustCompile(`^#\s*v\d+(\.\d+)*\b`)
)

// mayGetIDToken reports whether the job's GITHUB_TOKEN may carry id-token: write. Undeclared
// permissions count as yes: a called workflow's job inherits its caller's.
func (j job) mayGetIDToken() bool {
	perms := get(j.node, "permissions")
	if perms == nil {
		perms = get(j.wf.root, "permissions")
	}
	if perms == nil {
		return true
	}
	if perms.Kind == yaml.ScalarNode {
		return perms.Value == "write-all"
	}
	idToken := get(perms, "id-token")
	return idToken != nil && idToken.Value == "write"
}

func checkPins(r *Report, wf *Workflow) {
	for _, j := range wf.jobs() {
		if !j.mayGetIDToken() {
			continue
		}
		uses := []*yaml.Node{}
		if u := get(j.node, "uses"); u != nil {
			uses = append(uses, u)
		}
		if steps := get(j.node, "steps"); steps != nil {
			for _, s := range steps.Content {
				if u := get(s, "uses"); u != nil {
					uses = append(uses, u)
				}
			}
		}
		for _, u := range uses {
			ref := u.Value
			if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "docker://") || strings.HasPrefix(ref, "actions/") {
				continue
			}
			r.PinnedUses++
			if !shaRef.MatchString(ref) || !versionRemark.MatchString(strings.TrimSpace(u.LineComment)) {
				r.Violations = append(r.Violations, fmt.Sprintf(
					"%s (line %d): %q is a third-party action in a job with id-token: write; pin it as owner/repo@<40-hex commit SHA> # vX.Y.Z",
					j.where(), u.Line, ref))
			}
		}
	}
}

// --- rule 2: pull requests never reach prod's state or passphrase -------------------------------

var (
	// References that hand a job the state backend, the Pulumi Cloud token or the passphrase.
	stateSetting = regexp.MustCompile(`\b(?:secrets|vars)\.(PULUMI_[A-Z0-9_]+)\b|\b(?:toJSON|toJson|tojson)\(\s*(?:secrets|vars)\s*\)|\b(?:secrets|vars)\[`)
	// A stack named in a run script: --stack X, -s X, or the detached-preview script's argument.
	runStack = regexp.MustCompile(`(?:--stack[ =]|-s |preview-detached\.sh )"?([A-Za-z0-9_${}.-]+)"?`)
	// A run script that calls the Pulumi CLI.
	pulumiCommand = regexp.MustCompile(`(^|\s)pulumi\s`)
)

func checkPullRequestJobs(r *Report, wf *Workflow) {
	for _, j := range wf.jobs() {
		r.PRJobs++
		for _, env := range j.environments() {
			if strings.Contains(strings.ToLower(env), ProdEnvironment) || strings.Contains(env, "${{") {
				r.Violations = append(r.Violations, fmt.Sprintf(
					"%s: runs on pull requests but uses environment %q; the production environment's secrets and reviewers are for the deploy only",
					j.where(), env))
			}
		}
		refs := j.stateSettings()
		if len(refs) == 0 {
			continue
		}
		stacks, known := j.stacks()
		if !known || slices.Contains(stacks, ProdStack) {
			what := "stack prod"
			if !known {
				what = "stacks it does not name literally (so possibly prod)"
			}
			r.Violations = append(r.Violations, fmt.Sprintf(
				"%s: runs on pull requests, works on %s and reads %s; a pull request must not reach prod's state backend or passphrase (use scripts/preview-detached.sh)",
				j.where(), what, strings.Join(refs, ", ")))
		}
	}
}

// environments lists the environment names the job uses, directly or as a reusable workflow's input.
func (j job) environments() []string {
	var out []string
	if e := get(j.node, "environment"); e != nil {
		if e.Kind == yaml.MappingNode {
			e = get(e, "name")
		}
		if e != nil {
			out = append(out, e.Value)
		}
	}
	if e := get(get(j.node, "with"), "environment"); e != nil {
		out = append(out, e.Value)
	}
	return out
}

// stateSettings lists the Pulumi state settings the job can read: references in the job or in the
// workflow-level env, or every secret when it passes `secrets: inherit` to a reusable workflow.
func (j job) stateSettings() []string {
	found := map[string]bool{}
	for _, n := range []*yaml.Node{j.node, get(j.wf.root, "env")} {
		walkScalars(n, func(s *yaml.Node) {
			for _, m := range stateSetting.FindAllString(s.Value, -1) {
				found[m] = true
			}
		})
	}
	if s := get(j.node, "secrets"); s != nil && s.Kind == yaml.ScalarNode && s.Value == "inherit" {
		found["secrets: inherit"] = true
	}
	out := make([]string, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stacks lists the Pulumi stacks a job works on, from its matrix, env.STACK, the stack inputs of
// pulumi/actions and reusable workflows, and --stack in run scripts. known is false when a stack is
// given by an expression other than the matrix's or env.STACK, or when the job names none.
func (j job) stacks() (stacks []string, known bool) {
	matrix := get(get(j.node, "strategy"), "matrix")
	var matrixStacks []string
	if m := get(matrix, "stack"); m != nil {
		if m.Kind == yaml.ScalarNode { // ${{ fromJSON(...) }} and the like
			matrixStacks = append(matrixStacks, m.Value)
		}
		for _, v := range m.Content {
			matrixStacks = append(matrixStacks, v.Value)
		}
	}
	if inc := get(matrix, "include"); inc != nil {
		for _, entry := range inc.Content {
			if v := val(get(entry, "stack")); v != "" {
				matrixStacks = append(matrixStacks, v)
			}
		}
	}
	envStack := val(get(get(j.node, "env"), "STACK"))

	var resolve func(v string, depth int) []string
	resolve = func(v string, depth int) []string {
		switch v = strings.TrimSpace(v); {
		case v == "":
			return nil
		case v == "${{ matrix.stack }}":
			return matrixStacks
		case depth == 0 && (v == "${{ env.STACK }}" || v == "$STACK" || v == "${STACK}"):
			return resolve(envStack, 1)
		}
		return []string{v}
	}
	var named []string
	named = append(named, resolve(envStack, 1)...)
	named = append(named, resolve(val(get(get(j.node, "with"), "stack")), 0)...)
	if steps := get(j.node, "steps"); steps != nil {
		for _, s := range steps.Content {
			named = append(named, resolve(val(get(get(s, "with"), "stack-name")), 0)...)
			for _, m := range runStack.FindAllStringSubmatch(val(get(s, "run")), -1) {
				named = append(named, resolve(m[1], 0)...)
			}
		}
	}
	known = len(named) > 0
	for _, s := range named {
		if strings.Contains(s, "$") {
			known = false
		} else {
			stacks = append(stacks, s)
		}
	}
	slices.Sort(stacks)
	return slices.Compact(stacks), known
}

// --- rule 3: prod deploys go through the production environment ----------------------------------

func checkProdDeploys(r *Report, wf *Workflow, byName map[string]*Workflow) {
	for _, j := range wf.jobs() {
		if val(get(get(j.node, "with"), "stack")) != ProdStack {
			continue
		}
		// A call of a reusable workflow that deploys prod.
		r.ProdDeploys++
		env := val(get(get(j.node, "with"), "environment"))
		if env != ProdEnvironment {
			r.Violations = append(r.Violations, fmt.Sprintf(
				"%s: deploys stack prod with environment %q; it must be %q (required reviewers, prod's own backend and passphrase)",
				j.where(), env, ProdEnvironment))
		}
		// deploy-stack.yml compares it with the backend it gets, so a production environment without
		// its own PULUMI_BACKEND_URL fails instead of deploying prod with dev's backend.
		if strings.ReplaceAll(val(get(get(j.node, "with"), "repository-backend-url")), " ", "") != "${{vars.PULUMI_BACKEND_URL}}" {
			r.Violations = append(r.Violations, fmt.Sprintf(
				"%s: deploys stack prod without repository-backend-url: ${{ vars.PULUMI_BACKEND_URL }}; nothing would notice a production environment without its own backend",
				j.where()))
		}
		called := byName[filepath.Base(val(get(j.node, "uses")))]
		if called == nil {
			r.Violations = append(r.Violations, fmt.Sprintf("%s: deploys stack prod through %q, which is not a workflow in this directory", j.where(), val(get(j.node, "uses"))))
			continue
		}
		for _, cj := range called.jobs() {
			if !cj.runsPulumi() {
				continue
			}
			if name := firstOr(cj.environments(), ""); name != "${{ inputs.environment }}" && name != ProdEnvironment {
				r.Violations = append(r.Violations, fmt.Sprintf(
					"%s: runs Pulumi for its caller %s (stack prod) without environment: ${{ inputs.environment }} (has %q); it would run without prod's reviewers and settings",
					cj.where(), j.where(), name))
			}
		}
	}
}

// runsPulumi reports whether a job runs pulumi/actions with a command or the pulumi CLI itself.
func (j job) runsPulumi() bool {
	steps := get(j.node, "steps")
	if steps == nil {
		return false
	}
	for _, s := range steps.Content {
		if strings.HasPrefix(val(get(s, "uses")), "pulumi/actions@") && get(get(s, "with"), "command") != nil {
			return true
		}
		if pulumiCommand.MatchString(val(get(s, "run"))) {
			return true
		}
	}
	return false
}

// --- YAML helpers ---------------------------------------------------------------------------------

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func walkScalars(n *yaml.Node, f func(*yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walkScalars(c, f)
	}
}

// val is n's scalar value, or "" for a missing node.
func val(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}
