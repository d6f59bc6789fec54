// Package pulumitest runs Pulumi programs under the SDK's mocks and records what they register, so tests
// can assert on the inputs AWS would receive. Mocked outputs follow the shapes the real providers return.
package pulumitest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Project is the Pulumi project name the mocks run under.
const Project = "task-management-api"

// Account and Digest are the fake AWS account and image digest the mocks hand out.
const (
	Account = "123456789012"
	Digest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// Resource is one registered resource as the engine saw it.
type Resource struct {
	Type     string
	Name     string
	Provider string
	Custom   bool
	Inputs   resource.PropertyMap
	// IgnoreChanges, DependsOn and Providers are the resource options the program set.
	IgnoreChanges []string
	DependsOn     []string
	Providers     map[string]string
}

// Call is one invoke.
type Call struct {
	Token    string
	Provider string
	Args     resource.PropertyMap
}

// Mocks implements pulumi.MockResourceMonitor and records every registration and invoke.
type Mocks struct {
	// Region shapes ARNs and URLs.
	Region string
	// Preview leaves every provider-computed output unknown, as `pulumi preview` does.
	Preview bool
	// RepoDigest, when set, replaces the digest a pushed docker.Image reports.
	RepoDigest string

	mu        sync.Mutex
	resources []Resource
	calls     []Call
}

// Resources returns the recorded resources of the given type token, or all of them for "".
func (m *Mocks) Resources(typ string) []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Resource
	for _, r := range m.resources {
		if typ == "" || r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Calls returns the recorded invokes of the given token, or all of them for "".
func (m *Mocks) Calls(token string) []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Call
	for _, c := range m.calls {
		if token == "" || c.Token == token {
			out = append(out, c)
		}
	}
	return out
}

// Call answers invokes with what AWS would.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, Call{Token: args.Token, Provider: args.Provider, Args: args.Args})
	m.mu.Unlock()
	switch args.Token {
	case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
		return resource.NewPropertyMapFromMap(map[string]any{
			"userName":      "AWS",
			"password":      "ecr-token-password",
			"proxyEndpoint": fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", Account, m.Region),
		}), nil
	}
	return resource.PropertyMap{}, nil
}

// NewResource returns the inputs plus the outputs the provider would compute (none during Preview).
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	r := Resource{Type: args.TypeToken, Name: args.Name, Provider: args.Provider, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.DependsOn = rpc.GetDependencies()
		r.Providers = rpc.GetProviders()
	}
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	if m.Preview {
		return "", state, nil
	}
	in := func(key string) string {
		v, ok := args.Inputs[resource.PropertyKey(key)]
		if ok && v.IsSecret() {
			v = v.SecretValue().Element
		}
		if ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(kv map[string]any) {
		for k, v := range resource.NewPropertyMapFromMap(kv) {
			state[k] = v
		}
	}
	name := in("name")
	if name == "" {
		name = args.Name + "-1a2b3c4"
	}
	id := name
	service := strings.SplitN(strings.TrimPrefix(args.TypeToken, "aws:"), "/", 2)[0]
	arn := fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.Region, Account, name)
	set(map[string]any{"arn": arn, "name": name})

	switch args.TypeToken {
	case "awsx:ec2:Vpc":
		private := []any{}
		if specs, ok := args.Inputs["subnetSpecs"]; ok && specs.IsArray() {
			for _, s := range specs.ArrayValue() {
				if s.IsObject() && s.ObjectValue()["type"].StringValue() == "Private" {
					private = []any{"subnet-private-a", "subnet-private-b"}
				}
			}
		}
		set(map[string]any{
			"vpcId":             "vpc-0123456789",
			"publicSubnetIds":   []any{"subnet-public-a", "subnet-public-b"},
			"privateSubnetIds":  private,
			"isolatedSubnetIds": []any{"subnet-isolated-a", "subnet-isolated-b"},
		})
		id = ""
	case "aws:ec2/securityGroup:SecurityGroup":
		id = "sg-" + args.Name
	case "aws:ecr/repository:Repository":
		set(map[string]any{
			"repositoryUrl": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, m.Region, name),
			"registryId":    Account,
		})
	case "docker:index/image:Image":
		image := in("imageName")
		repo := image[:strings.LastIndex(image, ":")]
		digest := repo + "@" + Digest
		if m.RepoDigest != "" {
			digest = m.RepoDigest
		}
		set(map[string]any{"repoDigest": digest, "baseImageName": image})
		id = image
	case "aws:lb/loadBalancer:LoadBalancer":
		set(map[string]any{
			"dnsName":   fmt.Sprintf("%s-123456789.%s.elb.amazonaws.com", name, m.Region),
			"zoneId":    "Z35SXDOTRQ7X7K",
			"arnSuffix": "app/" + name + "/50dc6c495c0c9188",
		})
		id = arn
	case "aws:lb/targetGroup:TargetGroup":
		set(map[string]any{"arnSuffix": "targetgroup/" + name + "/73e2d6bc24d8a067"})
		id = arn
	case "aws:rds/instance:Instance":
		address := fmt.Sprintf("%s.abcdefghijkl.%s.rds.amazonaws.com", name, m.Region)
		set(map[string]any{
			"identifier":        name,
			"address":           address,
			"endpoint":          address + ":5432",
			"masterUserSecrets": []any{map[string]any{"secretArn": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!db-%s", m.Region, Account, name)}},
		})
	case "aws:secretsmanager/secret:Secret":
		id = arn
	case "aws:secretsmanager/secretVersion:SecretVersion":
		// Secrets Manager gives every new value a new version id.
		sum := sha256.Sum256([]byte(in("secretString")))
		set(map[string]any{"arn": in("secretId"), "versionId": hex.EncodeToString(sum[:16])})
	case "aws:acm/certificate:Certificate":
		set(map[string]any{"domainValidationOptions": []any{map[string]any{
			"domainName":          in("domainName"),
			"resourceRecordName":  "_abc." + in("domainName") + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_xyz.acm-validations.aws.",
		}}})
	case "aws:acm/certificateValidation:CertificateValidation":
		set(map[string]any{"certificateArn": in("certificateArn")})
	case "aws:route53/record:Record":
		set(map[string]any{"fqdn": in("name")})
	}
	if id == "" {
		id = args.Name + "-id"
	}
	return id, state, nil
}

// Options says how to run a program.
type Options struct {
	Stack string
	// Config holds full keys ("aws:region", "task-management-api:cpu") and their string values.
	Config map[string]string
	// SecretKeys lists the Config keys the stack stores as secrets.
	SecretKeys []string
}

// Run runs program under m and returns the error the engine would report; it waits for every registration.
func Run(program pulumi.RunFunc, m *Mocks, opts Options) error {
	if opts.Stack == "" {
		opts.Stack = "dev"
	}
	if m.Region == "" {
		m.Region = opts.Config["aws:region"]
	}
	return pulumi.RunErr(program, pulumi.WithMocks(Project, opts.Stack, m), func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.SecretKeys
		info.DryRun = m.Preview
	})
}

// StackConfig reads Pulumi.yaml and Pulumi.<stack>.yaml from dir and returns the configuration the Pulumi
// CLI would hand the program: the project's declared defaults overlaid with the stack file's values.
func StackConfig(dir, stack string) (map[string]string, error) {
	var project struct {
		Config map[string]struct {
			Type    string `yaml:"type"`
			Default any    `yaml:"default"`
		} `yaml:"config"`
	}
	if err := readYAML(filepath.Join(dir, "Pulumi.yaml"), &project); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for key, decl := range project.Config {
		if decl.Default != nil {
			out[key] = scalar(decl.Default)
		}
	}

	var stackFile struct {
		Config map[string]any `yaml:"config"`
	}
	if err := readYAML(filepath.Join(dir, "Pulumi."+stack+".yaml"), &stackFile); err != nil {
		return nil, err
	}
	for key, v := range stackFile.Config {
		if list, ok := v.([]any); ok {
			quoted := make([]string, len(list))
			for i, item := range list {
				quoted[i] = strconv.Quote(scalar(item))
			}
			out[key] = "[" + strings.Join(quoted, ",") + "]"
			continue
		}
		out[key] = scalar(v)
	}
	return out, nil
}

func scalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func readYAML(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Get follows a dotted path such as "healthCheck.path" or "defaultActions.0.type" through the inputs,
// looking through secrets; a missing path gives a null value.
func (r Resource) Get(path string) resource.PropertyValue {
	v := resource.NewObjectProperty(r.Inputs)
	for _, part := range strings.Split(path, ".") {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		switch {
		case v.IsObject():
			v = v.ObjectValue()[resource.PropertyKey(part)]
		case v.IsArray():
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[i]
		default:
			return resource.NewNullProperty()
		}
	}
	return v
}

// String is Get for a string value, looking through a secret; "" when absent.
func (r Resource) String(path string) string {
	v := r.Get(path)
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Number is Get for a number; -1 when absent, so a missing setting never passes for zero.
func (r Resource) Number(path string) float64 {
	if v := r.Get(path); v.IsNumber() {
		return v.NumberValue()
	}
	return -1
}

// Bool is Get for a boolean; false when absent.
func (r Resource) Bool(path string) bool {
	v := r.Get(path)
	return v.IsBool() && v.BoolValue()
}

// Strings is Get for an array of strings.
func (r Resource) Strings(path string) []string {
	var out []string
	if v := r.Get(path); v.IsArray() {
		for _, item := range v.ArrayValue() {
			for item.IsSecret() {
				item = item.SecretValue().Element
			}
			if item.IsString() {
				out = append(out, item.StringValue())
			}
		}
	}
	return out
}

// One returns the single resource of typ whose logical name ends with suffix, failing the test otherwise.
func (m *Mocks) One(t testing.TB, typ, suffix string) Resource {
	t.Helper()
	var found []Resource
	for _, r := range m.Resources(typ) {
		if strings.HasSuffix(r.Name, suffix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		var names []string
		for _, r := range m.Resources(typ) {
			names = append(names, r.Name)
		}
		t.Fatalf("want exactly one %s named *%s, found %d among %v", typ, suffix, len(found), names)
	}
	return found[0]
}
