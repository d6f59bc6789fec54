package cicd

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// The repository's own workflows follow every rule, and the rules had something to check: the
// counts guard against a rule that silently matches nothing (a renamed key, a moved file).
func TestRepositoryWorkflows(t *testing.T) {
	r, err := Check("../../.github/workflows")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Violations {
		t.Error(v)
	}
	if r.PinnedUses < 6 {
		t.Errorf("checked %d third-party uses: in jobs with id-token: write, want at least 6 (2 in each of the three such jobs)", r.PinnedUses)
	}
	if r.PRJobs < 2 {
		t.Errorf("checked %d pull-request jobs, want at least 2 (dev preview, detached prod preview)", r.PRJobs)
	}
	if r.ProdDeploys != 1 {
		t.Errorf("found %d prod deploys, want 1", r.ProdDeploys)
	}
}

// Each rule on small workflows: the shapes main had before the fix (tags in OIDC jobs, prod previewed
// with the repository-wide passphrase and backend) and the ways around the rules.
func TestRules(t *testing.T) {
	const pinnedAWS = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3"
	const pinnedPulumi = "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0"
	goodDeploy := map[string]string{
		"deploy.yml": `
on: {push: {branches: [main]}}
jobs:
  prod:
    uses: ./.github/workflows/deploy-stack.yml
    permissions: {contents: read, id-token: write}
    with: {stack: prod, environment: production, repository-backend-url: "${{ vars.PULUMI_BACKEND_URL }}"}
    secrets: inherit
`,
		"deploy-stack.yml": `
on: {workflow_call: {inputs: {stack: {type: string}, environment: {type: string}}}}
permissions: {}
jobs:
  up:
    environment: {name: "${{ inputs.environment }}"}
    permissions: {contents: read, id-token: write}
    env: {PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}
    steps:
      - uses: actions/checkout@v6
      - uses: ` + pinnedAWS + `
      - uses: ` + pinnedPulumi + `
        with: {command: up, stack-name: "${{ inputs.stack }}"}
`,
	}
	with := func(files map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range goodDeploy {
			out[k] = v
		}
		for k, v := range files {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of violations; none when empty
	}{
		{name: "pinned deploy", files: goodDeploy},
		{
			name: "tag in a job with id-token: write (main before the fix)",
			files: with(map[string]string{"x.yml": `
on: push
jobs:
  a:
    permissions: {id-token: write}
    steps:
      - uses: aws-actions/configure-aws-credentials@v6
`}),
			want: []string{`x.yml: job a (line 7): "aws-actions/configure-aws-credentials@v6" is a third-party action`},
		},
		{
			name: "SHA without a version comment",
			files: with(map[string]string{"x.yml": `
on: push
jobs:
  a:
    permissions: {id-token: write}
    steps:
      - uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d
`}),
			want: []string{`"pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d" is a third-party action`},
		},
		{
			name: "short SHA",
			files: with(map[string]string{"x.yml": `
on: push
jobs:
  a:
    permissions: {id-token: write}
    steps:
      - uses: pulumi/actions@8e5e406 # v7.0.0
`}),
			want: []string{`"pulumi/actions@8e5e406" is a third-party action`},
		},
		{
			name: "id-token from workflow-level permissions, and a third-party reusable workflow",
			files: with(map[string]string{"x.yml": `
on: push
permissions: write-all
jobs:
  a:
    uses: someone/workflows/.github/workflows/w.yml@main
`}),
			want: []string{`"someone/workflows/.github/workflows/w.yml@main" is a third-party action`},
		},
		{
			name: "no OIDC token, actions/*, local actions: tags allowed",
			files: with(map[string]string{"x.yml": `
on: push
jobs:
  a:
    permissions: {contents: read}
    steps:
      - uses: someone/action@v1
  b:
    permissions: {id-token: write}
    steps:
      - uses: actions/checkout@v6
      - uses: ./.github/actions/local
`}),
		},
		{
			name: "prod previewed with the repository-wide passphrase and backend (main before the fix)",
			files: with(map[string]string{"preview.yml": `
on: {pull_request: {branches: [main]}}
jobs:
  preview:
    strategy: {matrix: {stack: [dev, prod]}}
    permissions: {id-token: write}
    env:
      PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}
      PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
    steps:
      - uses: ` + pinnedPulumi + `
        with: {command: preview, stack-name: "${{ matrix.stack }}"}
`}),
			want: []string{"preview.yml: job preview: runs on pull requests, works on stack prod and reads secrets.PULUMI_CONFIG_PASSPHRASE, vars.PULUMI_BACKEND_URL"},
		},
		{
			name: "dev preview and detached prod preview (the fix)",
			files: with(map[string]string{"preview.yml": `
on: {pull_request: {branches: [main]}}
jobs:
  preview:
    strategy: {matrix: {stack: [dev]}}
    env: {STACK: "${{ matrix.stack }}", PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}
    steps:
      - run: pulumi preview --stack "$STACK"
  preview-prod:
    env: {STACK: prod}
    steps:
      - run: bash scripts/preview-detached.sh "$STACK"
`}),
		},
		{
			name: "prod named in a run script, token through workflow-level env",
			files: with(map[string]string{"preview.yml": `
on: pull_request
env: {PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
jobs:
  p:
    steps:
      - run: pulumi preview --stack prod
`}),
			want: []string{"job p: runs on pull requests, works on stack prod and reads secrets.PULUMI_ACCESS_TOKEN"},
		},
		{
			name: "stack from an input: cannot tell, so refused",
			files: with(map[string]string{"preview.yml": `
on: pull_request_target
jobs:
  p:
    env: {PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}
    steps:
      - run: pulumi preview --stack "${{ github.head_ref }}"
`}),
			want: []string{"works on stacks it does not name literally"},
		},
		{
			name: "every secret passed to a reusable workflow for prod",
			files: with(map[string]string{"preview.yml": `
on: pull_request
jobs:
  p:
    uses: ./.github/workflows/deploy-stack.yml
    with: {stack: prod, environment: preview}
    secrets: inherit
`}),
			want: []string{"works on stack prod and reads secrets: inherit"},
		},
		{
			name: "pull-request job in the production environment",
			files: with(map[string]string{"preview.yml": `
on: pull_request
jobs:
  p:
    environment: production
    steps:
      - run: echo hi
`}),
			want: []string{`job p: runs on pull requests but uses environment "production"`},
		},
		{
			name:  "prod deployed through the dev environment",
			files: with(map[string]string{"deploy.yml": strings.Replace(goodDeploy["deploy.yml"], "environment: production", "environment: dev", 1)}),
			want:  []string{`deploy.yml: job prod: deploys stack prod with environment "dev"`},
		},
		{
			name:  "prod deployed without the repository backend to compare with",
			files: with(map[string]string{"deploy.yml": strings.Replace(goodDeploy["deploy.yml"], `, repository-backend-url: "${{ vars.PULUMI_BACKEND_URL }}"`, "", 1)}),
			want:  []string{"deploy.yml: job prod: deploys stack prod without repository-backend-url"},
		},
		{
			name: "called job runs Pulumi outside the environment",
			files: with(map[string]string{"deploy-stack.yml": strings.Replace(goodDeploy["deploy-stack.yml"], `    environment: {name: "${{ inputs.environment }}"}
`, "", 1)}),
			want: []string{"deploy-stack.yml: job up: runs Pulumi for its caller deploy.yml: job prod (stack prod) without environment"},
		},
		{
			name:  "nothing deploys prod",
			files: map[string]string{"x.yml": "on: push\njobs:\n  a:\n    steps:\n      - run: true\n"},
			want:  []string{"no workflow deploys stack prod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wfs []*Workflow
			for _, name := range sortedKeys(tt.files) {
				wf, err := Parse(name, []byte(tt.files[name]))
				if err != nil {
					t.Fatal(err)
				}
				wfs = append(wfs, wf)
			}
			got := CheckWorkflows(wfs).Violations
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("violations:\n%s", strings.Join(got, "\n"))
			}
			for _, w := range tt.want {
				if !containsSubstring(got, w) {
					t.Errorf("no violation containing %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func containsSubstring(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
