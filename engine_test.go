//go:build engine

// The program under the real Pulumi CLI and engine, with the fake provider plugins of
// tools/fakeprovider: run with `make test-engine` (one scenario: make test-engine RUN=TestEngineDevLifecycle).
// See README "Testing" for what the fakes cannot know.
package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/examples/monitoring/monitoring"
	"github.com/task-management-api/task-management-api/internal/enginetest"
)

// A Django key as the README says to set one (`--secret`), and a domain as Pulumi.prod.yaml asks.
const (
	testDjangoKey = "engine-test-django-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
	prodDomain    = "api.example.com"
	prodZone      = "Z0123456789ABCDEFGHIJ"
)

// Resource type tokens the scenarios look at.
const (
	typeTaskDef     = "aws:ecs/taskDefinition:TaskDefinition"
	typeService     = "aws:ecs/service:Service"
	typeDBInstance  = "aws:rds/instance:Instance"
	typeSubnetGroup = "aws:rds/subnetGroup:SubnetGroup"
	typeSubnet      = "aws:ec2/subnet:Subnet"
	typeSecretValue = "aws:secretsmanager/secretVersion:SecretVersion"
	typeImage       = "docker:index/image:Image"
)

// project copies the service's Pulumi project and its build context.
func project(e *enginetest.Env) string { return e.Project(".", "app") }

// upDev deploys the dev stack exactly as shipped and returns it.
func upDev(t *testing.T) (*enginetest.Env, *enginetest.Stack) {
	t.Helper()
	e := enginetest.New(t)
	dev := e.Stack(project(e), "dev", program)
	dev.MustUp()
	return e, dev
}

func TestEnginePreviewDevAsShipped(t *testing.T) {
	e := enginetest.New(t)
	dev := e.Stack(project(e), "dev", program)
	res := dev.MustPreview()
	if n := len(res.Find(typeService)); n != 1 {
		t.Errorf("preview plans %d ECS services, want 1:\n%s", n, res)
	}
	for short, op := range res.Changes() {
		if op != apitype.OpCreate {
			t.Errorf("a first preview plans %s for %s", op, short)
		}
	}
}

// Pulumi.prod.yaml ships without a domain: the program refuses plain HTTP for a protected stack before
// anything is created, naming both ways out. With a domain and the Django key set as the README says,
// it previews.
func TestEnginePreviewProd(t *testing.T) {
	e := enginetest.New(t)
	prod := e.Stack(project(e), "prod", program)
	_, err := prod.Preview()
	if ee := enginetest.AsError(err); ee == nil || !ee.Contains("no HTTPS", "hostedZoneId", "certificateArn") {
		t.Fatalf("preview of prod as shipped: want the HTTPS refusal, got %v", err)
	}

	prod.SetConfig(map[string]string{"domainName": prodDomain, "hostedZoneId": prodZone})
	prod.SetSecret("djangoSecretKey", testDjangoKey)
	res := prod.MustPreview()
	for _, want := range []string{"aws:acm/certificate:Certificate", "aws:route53/record:Record", "aws:lb/listener:Listener::taskapi-prod-lb-https"} {
		if len(res.Find(want)) == 0 {
			t.Errorf("prod with a domain plans no %s:\n%s", want, res)
		}
	}
}

// A Django key in plain text stays rejected (Pulumi.yaml cannot declare it secret; the program checks).
func TestEnginePlaintextDjangoKeyRejected(t *testing.T) {
	e := enginetest.New(t)
	dev := e.Stack(project(e), "dev", program)
	dev.SetConfig(map[string]string{"djangoSecretKey": testDjangoKey})
	_, err := dev.Preview()
	if ee := enginetest.AsError(err); ee == nil || !ee.Contains("djangoSecretKey is stored in plain text", "pulumi config set --secret djangoSecretKey") {
		t.Fatalf("want the plain-text refusal, got %v", err)
	}
}

// up, then nothing to do: a second preview and a refresh find no changes; the state holds no plaintext
// secret; destroy leaves an empty stack.
func TestEngineDevLifecycle(t *testing.T) {
	e := enginetest.New(t)
	dev := e.Stack(project(e), "dev", program)
	dev.SetSecret("djangoSecretKey", testDjangoKey)
	dev.MustUp()

	out := dev.Outputs()
	for _, key := range wantOutputs {
		if v, ok := out[key]; !ok || v.Value == nil || v.Value == "" {
			t.Errorf("output %s is missing or empty: %#v", key, v)
		}
	}
	if url, _ := out["url"].Value.(string); !strings.HasPrefix(url, "http://") || !strings.Contains(url, ".us-east-1.elb.amazonaws.com") {
		t.Errorf("url %q", url)
	}
	if ref, _ := out["imageRef"].Value.(string); !strings.Contains(ref, ".dkr.ecr.us-east-1.amazonaws.com/") || !strings.Contains(ref, "@sha256:") {
		t.Errorf("imageRef %q", ref)
	}

	t.Run("preview finds no changes", func(t *testing.T) {
		if _, err := dev.Preview(optpreview.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refresh finds no changes", func(t *testing.T) {
		if _, err := dev.Refresh(optrefresh.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("state holds no plaintext secret", func(t *testing.T) {
		state := dev.Export()
		secrets := map[string]string{"Django key": testDjangoKey}
		for region, pw := range e.ECRPasswords() {
			secrets["ECR password for "+region] = pw
		}
		if len(secrets) < 2 {
			t.Fatal("the fake handed out no ECR password")
		}
		for name, secret := range secrets {
			if strings.Contains(string(state), secret) {
				t.Errorf("pulumi stack export shows the %s in plain text", name)
			}
		}
		assertSecretProperties(t, state, map[string][]string{
			typeSecretValue: {"secretString"},
			typeImage:       {"registry"},
		})
	})
	t.Run("destroy leaves an empty stack", func(t *testing.T) {
		if _, err := dev.Destroy(); err != nil {
			t.Fatal(err)
		}
		var d struct {
			Resources []json.RawMessage `json:"resources"`
		}
		if err := json.Unmarshal(dev.Export(), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Resources) != 0 {
			t.Errorf("%d resources left after destroy", len(d.Resources))
		}
	})
}

// Each config change shows exactly the operations it needs; the database and its subnets survive all.
func TestEngineConfigChanges(t *testing.T) {
	_, dev := upDev(t)
	cases := []struct {
		name   string
		config map[string]string
		secret string // djangoSecretKey, set --secret
		// want is every resource (by type and name) the change touches, and how; nil: checked by check.
		want  map[string]apitype.OpType
		check func(t *testing.T, res *enginetest.Result)
	}{
		{
			name:   "cpu and memory",
			config: map[string]string{"cpu": "512", "memory": "1024"},
			want: map[string]apitype.OpType{
				typeTaskDef + "::taskapi-dev-app-task":    apitype.OpReplace,
				typeService + "::taskapi-dev-app-service": apitype.OpUpdate,
			},
		},
		{
			// Capacity providers change in place: the service, its task count and its name stay.
			name:   "useSpot off",
			config: map[string]string{"useSpot": "false"},
			want: map[string]apitype.OpType{
				typeService + "::taskapi-dev-app-service": apitype.OpUpdate,
			},
		},
		{
			// A new key is a new secret version, so a new task definition: every task gets the new key.
			name:   "djangoSecretKey",
			secret: testDjangoKey,
			check: func(t *testing.T, res *enginetest.Result) {
				wantOp(t, res, typeTaskDef+"::taskapi-dev-app-task", apitype.OpReplace)
				wantOp(t, res, typeService+"::taskapi-dev-app-service", apitype.OpUpdate)
				if op := res.Op(one(t, res, typeSecretValue)); op != apitype.OpUpdate && op != apitype.OpReplace {
					t.Errorf("secret value: %s, want update or replace", op)
				}
			},
		},
		{
			// NAT gateways, private subnets and routes appear; tasks move to the private subnets. The
			// isolated subnets keep their CIDRs, so the database stays where it is.
			name:   "natGateways none to single",
			config: map[string]string{"natGateways": "single"},
			check: func(t *testing.T, res *enginetest.Result) {
				if len(res.Find("aws:ec2/natGateway:NatGateway")) != 1 {
					t.Errorf("want one NAT gateway planned:\n%s", res)
				}
				natSwitch(t, res, apitype.OpReplace, apitype.OpDelete)
			},
		},
		{
			// Back again: only deletions and updates, the database still untouched.
			name:   "natGateways single to none",
			config: map[string]string{"natGateways": "none"},
			check:  func(t *testing.T, res *enginetest.Result) { natSwitch(t, res, apitype.OpReplace, apitype.OpCreate) },
		},
		{
			// A major version upgrade is an in-place modification of the instance, never a new database.
			name:   "dbEngineVersion 16 to 17",
			config: map[string]string{"dbEngineVersion": "17"},
			want: map[string]apitype.OpType{
				typeDBInstance + "::taskapi-dev-db-pg": apitype.OpUpdate,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dev.SetConfig(tc.config)
			if tc.secret != "" {
				dev.SetSecret("djangoSecretKey", tc.secret)
			}
			// The preview shows the plan; the update what was done once every value was known (a replaced
			// secret version keeps its ARN, for one, so only its version id can roll the service).
			for _, step := range []struct {
				name string
				run  func() *enginetest.Result
			}{{"preview", func() *enginetest.Result { return dev.MustPreview() }}, {"up", func() *enginetest.Result { return dev.MustUp() }}} {
				res := step.run()
				if tc.want != nil && !mapsEqual(res.Changes(), tc.want) {
					t.Errorf("%s changes:\n%s\nwant exactly %v", step.name, res, tc.want)
				}
				if tc.check != nil {
					tc.check(t, res)
				}
			}
			if _, err := dev.Preview(optpreview.ExpectNoChanges()); err != nil {
				t.Errorf("after the change, a second preview is not clean: %v", err)
			}
		})
	}
}

// The monitoring example reads dev's outputs through a real StackReference in the same backend.
func TestEngineMonitoring(t *testing.T) {
	e, _ := upDev(t)
	monDir := e.Project("examples/monitoring")
	mon := e.Stack(monDir, "dev", monitoring.Program)
	mon.MustPreview()
	mon.MustUp()
	names, _ := mon.Outputs()["alarmNames"].Value.([]any)
	if len(names) != 5 {
		t.Errorf("alarmNames %v, want 5 alarms", names)
	}
	if _, err := mon.Preview(optpreview.ExpectNoChanges()); err != nil {
		t.Error(err)
	}

	// A service stack deployed by an older version lacks outputs the example needs.
	old := e.Stack(project(e), "old", func(ctx *pulumi.Context) error {
		ctx.Export("region", pulumi.String("us-east-1"))
		ctx.Export("clusterName", pulumi.String("taskapi-old-app-cluster"))
		return nil
	})
	old.MustUp()
	watcher := e.Stack(monDir, "old", monitoring.Program)
	watcher.SetConfig(map[string]string{"serviceStack": "organization/task-management-api/old"})
	_, err := watcher.Preview()
	if ee := enginetest.AsError(err); ee == nil || !ee.Contains(`stack "organization/task-management-api/old" does not export`, `"albArnSuffix"`) {
		t.Fatalf("want the missing-output message, got %v", err)
	}
}

// one returns the single URN of a resource of this type (and name part) in res.
func one(t *testing.T, res *enginetest.Result, parts ...string) string {
	t.Helper()
	urns := res.Find(parts...)
	if len(urns) != 1 {
		t.Fatalf("%d resources match %v:\n%s", len(urns), parts, res)
	}
	return urns[0]
}

// natSwitch checks a natGateways change: the tasks move (the service is updated), the database and its
// subnet group are untouched, and no resource sees one of the forbidden operations.
func natSwitch(t *testing.T, res *enginetest.Result, forbidden ...apitype.OpType) {
	t.Helper()
	wantOp(t, res, typeService+"::taskapi-dev-app-service", apitype.OpUpdate)
	for short, op := range res.Changes() {
		switch {
		case strings.HasPrefix(short, typeDBInstance), strings.HasPrefix(short, typeSubnetGroup):
			t.Errorf("%s: %s; the database and its subnet group must stay", short, op)
		case slices.Contains(forbidden, op):
			t.Errorf("%s: %s; this NAT switch may not %s anything", short, op, op)
		}
	}
}

func wantOp(t *testing.T, res *enginetest.Result, short string, want apitype.OpType) {
	t.Helper()
	if got := res.Changes()[short]; got != want {
		t.Errorf("%s: %q, want %s:\n%s", short, got, want, res)
	}
}

func mapsEqual(a, b map[string]apitype.OpType) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// assertSecretProperties checks that each listed top-level property of every resource of the type is
// stored encrypted in the state (Pulumi's secret signature), inputs and outputs alike.
func assertSecretProperties(t *testing.T, state []byte, want map[string][]string) {
	t.Helper()
	var d struct {
		Resources []struct {
			Type    string                     `json:"type"`
			URN     string                     `json:"urn"`
			Inputs  map[string]json.RawMessage `json:"inputs"`
			Outputs map[string]json.RawMessage `json:"outputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state, &d); err != nil {
		t.Fatal(err)
	}
	const sig = `"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270"`
	seen := map[string]bool{}
	for _, r := range d.Resources {
		for _, prop := range want[r.Type] {
			seen[r.Type] = true
			for kind, props := range map[string]map[string]json.RawMessage{"inputs": r.Inputs, "outputs": r.Outputs} {
				v, ok := props[prop]
				if ok && !strings.Contains(strings.ReplaceAll(string(v), " ", ""), sig) {
					t.Errorf("%s %s.%s is not encrypted in the state", enginetest.Short(r.URN), kind, prop)
				}
			}
		}
	}
	for typ := range want {
		if !seen[typ] {
			t.Errorf("no %s in the state", typ)
		}
	}
}

// A second `up` from another checkout of the same commit (file modes differ, as under another umask)
// and a revert to content pushed before both rebuild the image (pulumi-docker hashes full file modes)
// and push to a tag that already exists in the repository: that must succeed.
func TestEngineImageRebuildFromAnotherCheckoutAndRevert(t *testing.T) {
	e, dev := upDev(t)
	other := t.TempDir()
	if err := enginetest.CopyTree(dev.Dir, other); err != nil {
		t.Fatal(err)
	}
	// umask 077: files rw-------, directories rwx------.
	if err := filepath.WalkDir(filepath.Join(other, "app"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(path, info.Mode().Perm()&0o700)
	}); err != nil {
		t.Fatal(err)
	}
	checkout := e.Stack(other, "dev", program)
	pushes := func() int {
		n := 0
		for _, c := range e.Calls() {
			if c.Op == "Push" && c.Error == "" {
				n++
			}
		}
		return n
	}

	before := pushes()
	checkout.MustUp()
	if pushes() != before+1 {
		t.Fatalf("the other checkout did not rebuild and push (pushes %d -> %d); the scenario tests nothing", before, pushes())
	}

	// Change a file, deploy, change it back, deploy: the old content's tag exists already.
	settings := filepath.Join(other, "app", "config", "settings.py")
	original, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, append(append([]byte{}, original...), []byte("\n# a change\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	checkout.MustUp()
	if err := os.WriteFile(settings, original, 0o600); err != nil {
		t.Fatal(err)
	}
	before = pushes()
	checkout.MustUp()
	if pushes() != before+1 {
		t.Fatalf("the revert did not rebuild and push (pushes %d -> %d)", before, pushes())
	}
	if _, err := checkout.Preview(optpreview.ExpectNoChanges()); err != nil {
		t.Error(err)
	}
}

// IAM actions behind the calls a preview makes, and the ReadOnlyAccess patterns that grant them (the
// README's preview role). A preview must need nothing else: no write, no secretsmanager:GetRandomPassword.
var previewActions = map[string]string{
	"aws:ecr/getAuthorizationToken:getAuthorizationToken": "ecr:GetAuthorizationToken",
	"aws:index/getAvailabilityZones:getAvailabilityZones": "ec2:DescribeAvailabilityZones",
}

var readOnlyAccess = []string{"ecr:Get*", "ec2:Describe*"}

func TestEnginePreviewNeedsOnlyReadOnlyAccess(t *testing.T) {
	e, dev := upDev(t)
	seen := len(e.Calls())
	dev.SetConfig(map[string]string{"cpu": "512", "memory": "1024"}) // a preview with something to show
	dev.MustPreview()
	calls := e.Calls()[seen:]
	if len(calls) == 0 {
		t.Fatal("the fakes logged no call during the preview")
	}
	for _, c := range calls {
		switch c.Op {
		case "Invoke":
			action, ok := previewActions[c.Type]
			if !ok {
				t.Errorf("preview calls %s, which the preview role is not known to allow", c.Type)
				continue
			}
			if !slices.ContainsFunc(readOnlyAccess, func(p string) bool { return strings.HasPrefix(action, strings.TrimSuffix(p, "*")) }) {
				t.Errorf("%s needs %s, outside ReadOnlyAccess", c.Type, action)
			}
		case "Create", "Update", "Delete", "Build", "Push":
			if !c.Preview {
				t.Errorf("preview made a write: %s %s %s", c.Op, c.Type, c.URN)
			}
		}
	}
}

// AWSGuard, Pulumi's AWS best-practice policy pack, on the preview of both shipped stacks: every
// mandatory policy passes, except the ones tools/awsguard/config/<stack>.json turns off (README lists
// them with the reason).
func TestEngineAWSGuard(t *testing.T) {
	shim, err := filepath.Abs("tools/awsguard/analyzer.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			config, err := filepath.Abs("tools/awsguard/config/" + stack + ".json")
			if err != nil {
				t.Fatal(err)
			}
			e := enginetest.New(t)
			s := e.Stack(project(e), stack, program)
			if stack == "prod" {
				s.SetConfig(map[string]string{"domainName": prodDomain, "hostedZoneId": prodZone})
				s.SetSecret("djangoSecretKey", testDjangoKey)
			}
			if stack == "dev" {
				// The pack really runs: without dev's exceptions, its single-AZ database is a violation.
				_, err := s.Preview(optpreview.PolicyPacks(shim))
				if ee := enginetest.AsError(err); ee == nil || !ee.Contains("rds-instance-multi-az-enabled") {
					t.Fatalf("without config/dev.json: want the mandatory rds-instance-multi-az-enabled violation, got %v", err)
				}
			}
			res, err := s.Preview(optpreview.PolicyPacks(shim), optpreview.PolicyPackConfigs(config))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Diagnostics {
				if strings.HasPrefix(d, "policy ") {
					t.Errorf("policy finding: %s", d)
				}
			}
		})
	}
}
