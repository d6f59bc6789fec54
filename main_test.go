package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/testing/diagtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/infra"
	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

// wantOutputs is the stack's public contract: other projects read these through StackReferences.
var wantOutputs = []string{
	"url", "healthCheckPath", "region", "albDnsName", "albZoneId", "albArnSuffix", "targetGroupArn",
	"targetGroupArnSuffix", "repositoryUrl", "imageRef", "clusterName", "serviceName", "taskDefinitionArn",
	"logGroupName", "vpcId", "publicSubnetIds", "privateSubnetIds", "isolatedSubnetIds", "albSecurityGroupId",
	"serviceSecurityGroupId", "databaseEndpoint", "databaseInstanceId", "databaseSecretArn",
}

type deployment struct {
	mocks   *pulumitest.Mocks
	outputs map[string]any
	err     error
}

// deploy runs the whole program for a shipped stack file, with overrides, as `pulumi up` (or preview) would.
func deploy(t *testing.T, stack string, preview bool, overrides map[string]string, secretKeys ...string) deployment {
	t.Helper()
	config, err := pulumitest.StackConfig(".", stack)
	if err != nil {
		t.Fatal(err)
	}
	if stack == "prod" {
		// What Pulumi.prod.yaml asks its owner to fill in: without a domain it refuses to deploy.
		config["task-management-api:domainName"] = "api.example.com"
		config["task-management-api:hostedZoneId"] = "Z0123456789ABCDEFGHIJ"
	}
	for k, v := range overrides {
		if v == "" {
			delete(config, k)
		} else {
			config[k] = v
		}
	}
	d := deployment{mocks: &pulumitest.Mocks{Region: config["aws:region"], Preview: preview}, outputs: map[string]any{}}
	d.err = pulumitest.Run(func(ctx *pulumi.Context) error {
		if err := program(ctx); err != nil {
			return err
		}
		exports := ctx.GetCurrentExportMap()
		keys := make([]string, 0, len(exports))
		values := make([]any, 0, len(exports))
		for k, v := range exports {
			keys = append(keys, k)
			values = append(values, v)
		}
		pulumi.All(values...).ApplyT(func(vs []any) error {
			for i, v := range vs {
				d.outputs[keys[i]] = v
			}
			return nil
		})
		return nil
	}, d.mocks, pulumitest.Options{Stack: stack, Config: config, SecretKeys: secretKeys})
	return d
}

func TestEveryStackExportsTheDocumentedOutputs(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			d := deploy(t, stack, false, nil)
			if d.err != nil {
				t.Fatal(d.err)
			}
			var got []string
			for k := range d.outputs {
				got = append(got, k)
			}
			sort.Strings(got)
			want := slices.Clone(wantOutputs)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("outputs %v\nwant    %v", got, want)
			}
			for _, k := range wantOutputs {
				if v := d.outputs[k]; v == nil || v == "" {
					t.Errorf("output %s is empty", k)
				}
			}
			if wantURL := map[string]string{"prod": "https://api.example.com"}[stack]; wantURL != "" && d.outputs["url"] != wantURL {
				t.Errorf("url %v, want %s", d.outputs["url"], wantURL)
			}
			if !strings.Contains(d.outputs["imageRef"].(string), "@sha256:") {
				t.Errorf("imageRef %v", d.outputs["imageRef"])
			}
			region := d.outputs["region"].(string)
			for _, k := range []string{"repositoryUrl", "imageRef", "albDnsName", "databaseEndpoint"} {
				if !strings.Contains(d.outputs[k].(string), "."+region+".") {
					t.Errorf("%s %v is not in the stack's region %s", k, d.outputs[k], region)
				}
			}
		})
	}
}

// TestEveryAWSResourceUsesTheStackProvider is what makes the seed's region mismatch impossible: nothing
// may fall back to the default provider and the shell's AWS_REGION.
func TestEveryAWSResourceUsesTheStackProvider(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	for _, stack := range []string{"dev", "prod"} {
		d := deploy(t, stack, false, nil)
		if d.err != nil {
			t.Fatal(d.err)
		}
		var providerURN string
		for _, r := range d.mocks.Resources("pulumi:providers:aws") {
			providerURN = "urn:pulumi:" + stack + "::task-management-api::pulumi:providers:aws::" + r.Name
			if r.String("region") != d.outputs["region"] {
				t.Errorf("provider region %q", r.String("region"))
			}
			for _, tag := range []string{"project", "stack", "managed-by"} {
				if r.String("defaultTags.tags."+tag) == "" {
					t.Errorf("provider has no default tag %s", tag)
				}
			}
		}
		if n := len(d.mocks.Resources("pulumi:providers:aws")); n != 1 {
			t.Fatalf("%d aws providers, want exactly 1", n)
		}
		counted := 0
		for _, r := range d.mocks.Resources("") {
			if strings.HasPrefix(r.Type, "aws:") {
				counted++
				if !strings.HasPrefix(r.Provider, providerURN+"::") {
					t.Errorf("%s %s uses provider %q", r.Type, r.Name, r.Provider)
				}
			}
		}
		if counted < 25 {
			t.Errorf("only %d AWS resources recorded", counted)
		}
		calls := d.mocks.Calls("")
		if len(calls) == 0 {
			t.Error("no invokes recorded")
		}
		for _, c := range calls {
			if !strings.HasPrefix(c.Provider, providerURN+"::") {
				t.Errorf("invoke %s uses provider %q", c.Token, c.Provider)
			}
		}
		vpc := d.mocks.One(t, "awsx:ec2:Vpc", "-vpc")
		if got := vpc.Providers["aws"]; !strings.HasPrefix(got, providerURN+"::") {
			t.Errorf("awsx Vpc gets aws provider %q, want %s", got, providerURN)
		}
	}
}

func TestMissingRegionStopsBeforeAnythingIsCreated(t *testing.T) {
	d := deploy(t, "dev", false, map[string]string{"aws:region": ""})
	if d.err == nil || !strings.Contains(d.err.Error(), "pulumi config set aws:region <region> --stack dev") {
		t.Fatalf("got %v", d.err)
	}
	if n := len(d.mocks.Resources("")); n != 0 {
		t.Errorf("%d resources registered before the configuration was rejected", n)
	}
}

func TestImagePlatformMatchesRuntimePlatform(t *testing.T) {
	for arch, platform := range map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"} {
		d := deploy(t, "prod", false, map[string]string{"task-management-api:architecture": arch})
		if d.err != nil {
			t.Fatal(d.err)
		}
		image := d.mocks.One(t, "docker:index/image:Image", "-image")
		task := d.mocks.One(t, "aws:ecs/taskDefinition:TaskDefinition", "-task")
		if image.String("build.platform") != platform || task.String("runtimePlatform.cpuArchitecture") != arch {
			t.Errorf("%s: image built for %q, task runs %q", arch, image.String("build.platform"), task.String("runtimePlatform.cpuArchitecture"))
		}
		if image.String("build.context") != "app" || image.String("build.dockerfile") != "app/Dockerfile" {
			t.Errorf("build %v", image.Get("build"))
		}
	}
}

func TestHealthCheckPathIsTheSameEverywhere(t *testing.T) {
	for _, path := range []string{"", "/healthz/"} {
		d := deploy(t, "dev", false, map[string]string{"task-management-api:healthCheckPath": path})
		if d.err != nil {
			t.Fatal(d.err)
		}
		want := path
		if want == "" {
			want = "/api/v1/health/" // the Pulumi.yaml default, which app/ serves
		}
		tg := d.mocks.One(t, "aws:lb/targetGroup:TargetGroup", "-tg")
		var containers []struct {
			HealthCheck struct{ Command []string } `json:"healthCheck"`
		}
		if err := json.Unmarshal([]byte(d.mocks.One(t, "aws:ecs/taskDefinition:TaskDefinition", "-task").String("containerDefinitions")), &containers); err != nil {
			t.Fatal(err)
		}
		if tg.String("healthCheck.path") != want || !strings.Contains(strings.Join(containers[0].HealthCheck.Command, " "), ":8000"+want+"'") ||
			d.outputs["healthCheckPath"] != want {
			t.Errorf("ALB checks %q, container checks %v, output %v; want %q", tg.String("healthCheck.path"), containers[0].HealthCheck.Command, d.outputs["healthCheckPath"], want)
		}
	}
}

func TestTasksRunWhereTheyCanReachECR(t *testing.T) {
	cases := map[string]struct {
		publicIP bool
		subnets  string
	}{
		"none":     {true, "subnet-public-"},
		"single":   {false, "subnet-private-"},
		"onePerAz": {false, "subnet-private-"},
	}
	for nat, want := range cases {
		d := deploy(t, "dev", false, map[string]string{"task-management-api:natGateways": nat})
		if d.err != nil {
			t.Fatal(d.err)
		}
		svc := d.mocks.One(t, "aws:ecs/service:Service", "-service")
		subnets := svc.Strings("networkConfiguration.subnets")
		if svc.Bool("networkConfiguration.assignPublicIp") != want.publicIP || len(subnets) != 2 || !strings.HasPrefix(subnets[0], want.subnets) {
			t.Errorf("natGateways %s: subnets %v public IP %v", nat, subnets, svc.Bool("networkConfiguration.assignPublicIp"))
		}
	}
}

func TestConfiguredDjangoKeyNeverAppearsInPlainText(t *testing.T) {
	key := "0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP"
	d := deploy(t, "dev", false, map[string]string{"task-management-api:djangoSecretKey": key}, "task-management-api:djangoSecretKey")
	if d.err != nil {
		t.Fatal(d.err)
	}
	found := false
	for _, r := range d.mocks.Resources("") {
		walkPlain(resource.NewObjectProperty(r.Inputs), func(s string) {
			if strings.Contains(s, key) {
				t.Errorf("%s %s holds the key in a non-secret input", r.Type, r.Name)
			}
		})
		if r.Type == "aws:secretsmanager/secretVersion:SecretVersion" && r.String("secretString") == key {
			found = true
		}
	}
	if !found {
		t.Error("the configured key is not stored in Secrets Manager")
	}
	for k, v := range d.outputs {
		if s, ok := v.(string); ok && strings.Contains(s, key) {
			t.Errorf("output %s contains the key", k)
		}
	}
}

// walkPlain calls fn for every string not wrapped in a secret.
func walkPlain(v resource.PropertyValue, fn func(string)) {
	switch {
	case v.IsSecret():
	case v.IsString():
		fn(v.StringValue())
	case v.IsArray():
		for _, item := range v.ArrayValue() {
			walkPlain(item, fn)
		}
	case v.IsObject():
		for _, item := range v.ObjectValue() {
			walkPlain(item, fn)
		}
	}
}

// TestPreviewSurvivesUnknownsAndPushesNothing is `pulumi preview` in a pull request: every provider-computed
// value is unknown, no image is built or pushed, and the program still completes.
func TestPreviewSurvivesUnknownsAndPushesNothing(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		d := deploy(t, stack, true, nil)
		if d.err != nil {
			t.Fatalf("%s preview failed: %v", stack, d.err)
		}
		image := d.mocks.One(t, "docker:index/image:Image", "-image")
		if image.Bool("buildOnPreview") {
			t.Error("preview would build and push the image")
		}
		if len(d.mocks.Resources("aws:ecs/service:Service")) != 1 {
			t.Error("preview does not show the service")
		}
	}
}

func TestREADMEDocumentsEveryKeyAndOutput(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for key := range infra.Defaults {
		if !strings.Contains(readme, "| `"+key+"` |") {
			t.Errorf("README's configuration table lacks %s", key)
		}
	}
	for _, out := range wantOutputs {
		if !strings.Contains(readme, "`"+out+"`") {
			t.Errorf("README does not document output %s", out)
		}
	}
}

func TestCustomDomainServesHTTPSAndTellsDjango(t *testing.T) {
	d := deploy(t, "prod", false, map[string]string{
		"task-management-api:domainName":   "api.example.com",
		"task-management-api:hostedZoneId": "Z0123456789ABCDEFGHIJ",
	})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if d.outputs["url"] != "https://api.example.com" {
		t.Errorf("url %v", d.outputs["url"])
	}
	var containers []struct {
		Environment []struct{ Name, Value string } `json:"environment"`
	}
	if err := json.Unmarshal([]byte(d.mocks.One(t, "aws:ecs/taskDefinition:TaskDefinition", "-task").String("containerDefinitions")), &containers); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range containers[0].Environment {
		env[kv.Name] = kv.Value
	}
	if env["DJANGO_HTTPS_ONLY"] != "true" || !strings.HasPrefix(env["DJANGO_ALLOWED_HOSTS"], "api.example.com,") ||
		env["DJANGO_CSRF_TRUSTED_ORIGINS"] != "https://api.example.com" {
		t.Errorf("Django is not told about HTTPS and its domain: %v", env)
	}
}

// Every Pulumi.yaml and Pulumi.<stack>.yaml loads through the SDK's own loaders, which validate them
// against Pulumi's project schema (an unknown config type such as `number` fails here, as it fails
// the CLI). The engine tests (engine_test.go) run the CLI's full config validation on top.
func TestPulumiProjectFilesLoad(t *testing.T) {
	for _, dir := range []string{".", "examples/monitoring"} {
		project, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
		if err != nil {
			t.Errorf("%s/Pulumi.yaml: %v", dir, err)
			continue
		}
		stacks, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
		if err != nil || len(stacks) == 0 {
			t.Fatalf("%s: no stack files (%v)", dir, err)
		}
		for _, path := range stacks {
			if _, err := workspace.LoadProjectStack(diagtest.LogSink(t), project, path); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
}

// The image's HEALTHCHECK (what `docker run` uses) and the task definition's container health check
// (what ECS uses) are the same probe, marker file for migrations included.
func TestDockerfileHealthcheckIsTheTaskDefinitionsProbe(t *testing.T) {
	data, err := os.ReadFile("app/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var cmd string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "HEALTHCHECK "); ok {
			_, cmd, _ = strings.Cut(rest, "CMD ")
		}
	}
	var argv []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(cmd)), &argv); err != nil {
		t.Fatalf("HEALTHCHECK CMD %q is not an exec-form JSON array: %v", cmd, err)
	}
	want := infra.HealthCheckCommand(infra.Defaults["healthCheckPath"].(string))[1:] // without ECS's "CMD"
	if !slices.Equal(argv, want) {
		t.Errorf("Dockerfile HEALTHCHECK runs\n  %q\nthe task definition runs\n  %q", argv, want)
	}
}
