// Package e2e runs small inline programs under the real Pulumi CLI and engine against the installed fake
// provider plugins (../install.sh). The CLI comes from $PULUMI_CLI_ROOT (the directory holding bin/pulumi),
// else from <repo>/tools/pulumi/build.sh when the repository has it; without either the tests are skipped.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

const project = "fakeprovider-e2e"

// env is one isolated Pulumi installation: PULUMI_HOME with the fake plugins, a file:// backend, a fake
// AWS account state directory.
type env struct {
	t        *testing.T
	cli      auto.PulumiCommand
	home     string
	backend  string
	stateDir string
	workDir  string
}

var (
	installOnce sync.Once
	installErr  error
	cliRoot     string
)

func cliDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("PULUMI_CLI_ROOT"); d != "" {
		return d
	}
	script := filepath.Join("..", "..", "pulumi", "build.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skip("no Pulumi CLI: set PULUMI_CLI_ROOT to the directory holding bin/pulumi (tools/pulumi/build.sh prints it)")
	}
	out, err := exec.Command("bash", script).Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return strings.TrimSpace(string(out))
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := cliDir(t)
	base := t.TempDir()
	e := &env{t: t, home: filepath.Join(base, "home"), backend: filepath.Join(base, "backend"),
		stateDir: filepath.Join(base, "aws"), workDir: filepath.Join(base, "work")}
	for _, d := range []string{e.home, e.backend, e.stateDir, e.workDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("../install.sh", e.home).CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	e.cli = cli
	return e
}

func (e *env) envVars() map[string]string {
	return map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + e.backend,
		"PULUMI_CONFIG_PASSPHRASE":                    "test",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING":        "true",
		"FAKE_AWS_STATE_DIR":                          e.stateDir,
		"AWS_REGION":                                  "", // the explicit provider's region must be the only source
	}
}

func (e *env) stack(ctx context.Context, name string, program pulumi.RunFunc) auto.Stack {
	e.t.Helper()
	s, err := auto.UpsertStackInlineSource(ctx, name, project, program,
		auto.Pulumi(e.cli), auto.PulumiHome(e.home), auto.EnvVars(e.envVars()), auto.WorkDir(e.workDir))
	if err != nil {
		e.t.Fatalf("stack: %v", cliOutput(err))
	}
	if err := s.SetConfigWithOptions(ctx, "pulumi:disable-default-providers", auto.ConfigValue{Value: `["aws"]`}, &auto.ConfigOptions{Path: false}); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// cliOutput is the error with the CLI's own stdout and stderr (the Automation API's errors carry them), not
// just "exit status 255".
func cliOutput(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func (e *env) calls() []map[string]any {
	data, err := os.ReadFile(filepath.Join(e.stateDir, "calls.jsonl"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (e *env) export(ctx context.Context, s auto.Stack) []byte {
	e.t.Helper()
	var env []string
	for k, v := range e.envVars() {
		env = append(env, k+"="+v)
	}
	env = append(env, "PULUMI_HOME="+e.home)
	stdout, stderr, _, err := e.cli.Run(ctx, e.workDir, nil, nil, nil, env, "stack", "export", "--stack", s.Name())
	if err != nil {
		e.t.Fatalf("pulumi stack export: %v\n%s\n%s", err, stdout, stderr)
	}
	return []byte(stdout)
}

// --- the program ---

type awsProvider struct{ pulumi.ProviderResourceState }

type custom struct {
	pulumi.CustomResourceState
	Arn           pulumi.StringOutput `pulumi:"arn"`
	Name          pulumi.StringOutput `pulumi:"name"`
	RepositoryURL pulumi.StringOutput `pulumi:"repositoryUrl"`
	RepoDigest    pulumi.StringOutput `pulumi:"repoDigest"`
	VersionID     pulumi.StringOutput `pulumi:"versionId"`
	ArnSuffix     pulumi.StringOutput `pulumi:"arnSuffix"`
}

type vpc struct {
	pulumi.ResourceState
	VpcID             pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIDs   pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs  pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	IsolatedSubnetIDs pulumi.StringArrayOutput `pulumi:"isolatedSubnetIds"`
}

type invokeToken struct {
	UserName      string `pulumi:"userName"`
	Password      string `pulumi:"password"`
	ProxyEndpoint string `pulumi:"proxyEndpoint"`
}

// program is a miniature of the project's: explicit provider, awsx VPC, ECR + docker image, secrets, a
// target group whose port can force a replacement.
func program(appDir string, withVpcProvider bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		prov := &awsProvider{}
		if err := ctx.RegisterResource("pulumi:providers:aws", "aws", pulumi.Map{
			"region":      pulumi.String("us-east-1"),
			"defaultTags": pulumi.Map{"tags": pulumi.StringMap{"stack": pulumi.String(ctx.Stack())}},
		}, prov, pulumi.Version("6.83.4")); err != nil {
			return err
		}
		aws := []pulumi.ResourceOption{pulumi.Provider(prov), pulumi.Version("6.83.4")}

		net := &vpc{}
		vpcOpts := []pulumi.ResourceOption{pulumi.Version("2.22.0")}
		if withVpcProvider {
			vpcOpts = append(vpcOpts, pulumi.Providers(prov))
		}
		if err := ctx.RegisterRemoteComponentResource("awsx:ec2:Vpc", "net", pulumi.Map{
			"cidrBlock":                 pulumi.String("10.0.0.0/16"),
			"numberOfAvailabilityZones": pulumi.Int(2),
			"subnetStrategy":            pulumi.String("Auto"),
			"subnetSpecs": pulumi.Array{
				pulumi.Map{"type": pulumi.String("Public"), "cidrMask": pulumi.Int(24)},
				pulumi.Map{"type": pulumi.String("Private"), "cidrMask": pulumi.Int(22)},
				pulumi.Map{"type": pulumi.String("Isolated"), "cidrMask": pulumi.Int(24)},
			},
			"natGateways":        pulumi.Map{"strategy": pulumi.String("Single")},
			"enableDnsHostnames": pulumi.Bool(true),
		}, net, vpcOpts...); err != nil {
			return err
		}

		port := cfg.GetInt("port")
		if port == 0 {
			port = 8000
		}
		tg := &custom{}
		if err := ctx.RegisterResource("aws:lb/targetGroup:TargetGroup", "app-tg", pulumi.Map{
			"port": pulumi.Int(port), "protocol": pulumi.String("HTTP"), "targetType": pulumi.String("ip"), "vpcId": net.VpcID,
		}, tg, aws...); err != nil {
			return err
		}

		repo := &custom{}
		if err := ctx.RegisterResource("aws:ecr/repository:Repository", "repo", pulumi.Map{
			"imageTagMutability": pulumi.String("IMMUTABLE"), "forceDelete": pulumi.Bool(true),
		}, repo, aws...); err != nil {
			return err
		}
		token := ctx.InvokeOutput("aws:ecr/getAuthorizationToken:getAuthorizationToken", pulumi.Map{},
			pulumi.AnyOutput{}, pulumi.InvokeOutputOptions{InvokeOptions: []pulumi.InvokeOption{pulumi.Provider(prov), pulumi.Version("6.83.4")}})
		tok := token.ApplyT(func(v any) map[string]any { return v.(map[string]any) })
		image := &custom{}
		if err := ctx.RegisterResource("docker:index/image:Image", "image", pulumi.Map{
			"imageName": pulumi.Sprintf("%s:v1", repo.RepositoryURL),
			"build": pulumi.Map{"context": pulumi.String(appDir), "dockerfile": pulumi.String(filepath.Join(appDir, "Dockerfile")),
				"platform": pulumi.String("linux/amd64")},
			"registry": pulumi.Map{
				"server":   repo.RepositoryURL,
				"username": tok.ApplyT(func(m map[string]any) string { return m["userName"].(string) }),
				"password": pulumi.ToSecret(tok.ApplyT(func(m map[string]any) string { return m["password"].(string) })),
			},
		}, image, pulumi.Version("4.10.0")); err != nil {
			return err
		}

		secretValue := cfg.GetSecret("secretValue")
		secret := &custom{}
		if err := ctx.RegisterResource("aws:secretsmanager/secret:Secret", "key", pulumi.Map{}, secret, aws...); err != nil {
			return err
		}
		version := &custom{}
		if err := ctx.RegisterResource("aws:secretsmanager/secretVersion:SecretVersion", "key-value", pulumi.Map{
			"secretId": secret.ID(), "secretString": secretValue,
		}, version, aws...); err != nil {
			return err
		}

		ctx.Export("vpcId", net.VpcID)
		ctx.Export("publicSubnetIds", net.PublicSubnetIDs)
		ctx.Export("privateSubnetIds", net.PrivateSubnetIDs)
		ctx.Export("isolatedSubnetIds", net.IsolatedSubnetIDs)
		ctx.Export("tgArn", tg.Arn)
		ctx.Export("repoUrl", repo.RepositoryURL)
		ctx.Export("repoDigest", image.RepoDigest)
		ctx.Export("versionId", version.VersionID)
		return nil
	}
}

func writeApp(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"Dockerfile": "FROM scratch\nCOPY app.py /\n", "app.py": "print('hi')\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var digestRe = regexp.MustCompile(`^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/repo-[0-9a-f]{7}@sha256:[0-9a-f]{64}$`)

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	appDir := filepath.Join(e.workDir, "app")
	writeApp(t, appDir)
	s := e.stack(ctx, "dev", program(appDir, true))
	if err := s.SetConfig(ctx, "secretValue", auto.ConfigValue{Value: "s3cr3t-django-key", Secret: true}); err != nil {
		t.Fatal(err)
	}

	up, err := s.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", cliOutput(err))
	}
	outs := up.Outputs
	if d, _ := outs["repoDigest"].Value.(string); !digestRe.MatchString(d) {
		t.Errorf("repoDigest = %q", d)
	}
	if v, _ := outs["vpcId"].Value.(string); !strings.HasPrefix(v, "vpc-") {
		t.Errorf("vpcId = %q", v)
	}
	for key, n := range map[string]int{"publicSubnetIds": 2, "privateSubnetIds": 2, "isolatedSubnetIds": 2} {
		if ids, _ := outs[key].Value.([]any); len(ids) != n {
			t.Errorf("%s = %v, want %d ids", key, outs[key].Value, n)
		}
	}
	firstVersion := outs["versionId"].Value

	// A second preview sees no changes: names kept, old inputs diffed against new inputs.
	if _, err := s.Preview(ctx, optpreview.ExpectNoChanges()); err != nil {
		t.Fatalf("preview after up: %v", cliOutput(err))
	}
	if _, err := s.Refresh(ctx, optrefresh.ExpectNoChanges()); err != nil {
		t.Fatalf("refresh: %v", cliOutput(err))
	}

	// No plaintext secret in the state (auto's Export adds --show-secrets, so run the CLI's plain export).
	export := e.export(ctx, s)
	for _, secret := range []string{"s3cr3t-django-key", "fake-ecr-password-"} {
		if bytes.Contains(export, []byte(secret)) {
			t.Errorf("stack export contains plaintext %q", secret)
		}
	}
	dep, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The component returns its children as resource references, like awsx.
	var state struct {
		Resources []struct {
			Type    string         `json:"type"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(dep.Deployment, &state); err != nil {
		t.Fatal(err)
	}
	for _, r := range state.Resources {
		if r.Type == "awsx:ec2:Vpc" {
			subnets, _ := r.Outputs["subnets"].([]any)
			if len(subnets) != 6 {
				t.Errorf("awsx:ec2:Vpc subnets output = %v, want 6 resource references", r.Outputs["subnets"])
			} else if ref, _ := subnets[0].(map[string]any); ref["urn"] == nil {
				t.Errorf("subnets[0] = %v, want a resource reference", subnets[0])
			}
		}
	}

	// A port change replaces the target group; the preview says so and does nothing.
	before := len(e.calls())
	if err := s.SetConfig(ctx, "port", auto.ConfigValue{Value: "8080"}); err != nil {
		t.Fatal(err)
	}
	pre, err := s.Preview(ctx)
	if err != nil {
		t.Fatalf("preview: %v", cliOutput(err))
	}
	if pre.ChangeSummary[apitype.OpReplace] != 1 {
		t.Errorf("preview change summary = %v, want one replace", pre.ChangeSummary)
	}
	for _, c := range e.calls()[before:] {
		if op := c["op"]; (op == "Create" || op == "Update" || op == "Delete" || op == "Push") && c["preview"] != true {
			t.Errorf("preview made a write call: %v", c)
		}
	}
	up2, err := s.Up(ctx)
	if err != nil {
		t.Fatalf("up (replace): %v", cliOutput(err))
	}
	if up2.Outputs["tgArn"].Value == outs["tgArn"].Value {
		t.Errorf("target group ARN unchanged after replacement")
	}

	// A new secret value replaces the secret version: a new versionId.
	if err := s.SetConfig(ctx, "secretValue", auto.ConfigValue{Value: "another-key", Secret: true}); err != nil {
		t.Fatal(err)
	}
	up3, err := s.Up(ctx)
	if err != nil {
		t.Fatalf("up (secret): %v", cliOutput(err))
	}
	if up3.Outputs["versionId"].Value == firstVersion {
		t.Errorf("versionId unchanged after a new secretString")
	}

	// A checkout with other file modes changes pulumi-docker's context digest: rebuild, new digest, and the
	// immutable tag refuses it, exactly as ECR would.
	if err := os.Chmod(filepath.Join(appDir, "app.py"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "tag invalid: The image tag 'v1' already exists in the 'repo-") ||
		!strings.Contains(err.Error(), "cannot be overwritten because the repository is immutable") {
		t.Errorf("up after chmod: want ECR's immutable-tag error, got %v", cliOutput(err))
	}
	t.Logf("up after chmod failed as ECR would: %s", diagnostics(err))
	if err := os.Chmod(filepath.Join(appDir, "app.py"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := s.Destroy(ctx, optdestroy.Message("e2e")); err != nil {
		t.Fatalf("destroy: %v", cliOutput(err))
	}
	for _, c := range e.calls() {
		if c["op"] == "Invoke" && c["type"] == "aws:index/getAvailabilityZones:getAvailabilityZones" {
			return
		}
	}
	t.Errorf("awsx did not call getAvailabilityZones through the aws provider")
}

// TestVpcWithoutProvider: a remote component does not inherit its parent's provider; with default aws
// providers disabled the engine refuses the VPC's children, the bug the project once had.
func TestVpcWithoutProvider(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	appDir := filepath.Join(e.workDir, "app")
	writeApp(t, appDir)
	s := e.stack(ctx, "dev", program(appDir, false))
	_, err := s.Preview(ctx)
	if err == nil || !strings.Contains(err.Error(), "Default provider for 'aws' disabled") {
		t.Fatalf("preview: want the engine's disabled-default-provider error, got %v", cliOutput(err))
	}
	t.Logf("preview failed as expected: %s", diagnostics(err))
}

// diagnostics returns the Diagnostics section of a failed CLI run.
func diagnostics(err error) string {
	s := fmt.Sprint(err)
	if i := strings.Index(s, "Diagnostics:"); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, "Outputs:"); j >= 0 {
			s = s[:j]
		} else if j := strings.Index(s, "Resources:"); j >= 0 {
			s = s[:j]
		}
	}
	return s
}
