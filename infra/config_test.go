package infra

import (
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

// validConfig is the Pulumi.yaml defaults in us-east-1.
func validConfig() Config {
	return Config{
		Project: Namespace, Stack: "dev", Region: "us-east-1",
		Architecture: "X86_64", CPU: 256, Memory: 512,
		DesiredCount: 1, MinCount: 1, MaxCount: 2,
		NATGateways: NATNone, HealthCheckPath: "/api/v1/health/", HealthCheckGracePeriod: 60, MigrationTimeout: 300,
		DeregistrationDelay: 30, StopTimeout: 30, LogRetentionDays: 30, WebConcurrency: 2,
		AutoscalingCPUTarget: 60, AutoscalingRequestsPerTarget: 500,
		DBInstanceClass: "db.t4g.micro", DBAllocatedStorage: 20, DBBackupRetentionDays: 7, DBEngineVersion: "16",
	}
}

func TestValidateAcceptsDefaults(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
}

func TestValidateRejectsEachBadValue(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   []string // fragments of the message: key, bad value, what is allowed
	}{
		{"missing region", func(c *Config) { c.Region = "" }, []string{"aws:region is not set", "pulumi config set aws:region <region> --stack dev"}},
		{"malformed region", func(c *Config) { c.Region = "US East" }, []string{"aws:region", `"US East"`, "us-east-1"}},
		{"architecture", func(c *Config) { c.Architecture = "amd64" }, []string{"architecture", `"amd64"`, "X86_64 or ARM64"}},
		{"spot on arm", func(c *Config) { c.Architecture, c.UseSpot = "ARM64", true }, []string{"useSpot", "ARM64"}},
		{"cpu", func(c *Config) { c.CPU = 300 }, []string{"cpu: 300", "256, 512, 1024"}},
		{"memory for cpu", func(c *Config) { c.Memory = 4096 }, []string{"memory: 4096", "with cpu 256 use 512, 1024, 2048"}},
		{"memory step", func(c *Config) { c.CPU, c.Memory = 2048, 4500 }, []string{"memory: 4500", "4096 to 16384 in steps of 1024"}},
		{"min above desired", func(c *Config) { c.MinCount = 2 }, []string{"minCount/desiredCount/maxCount: 2/1/2", "0 <= minCount <= desiredCount <= maxCount"}},
		{"desired above max", func(c *Config) { c.DesiredCount = 3 }, []string{"1/3/2"}},
		{"negative min", func(c *Config) { c.MinCount = -1 }, []string{"-1/1/2"}},
		{"zero max", func(c *Config) { c.MinCount, c.DesiredCount, c.MaxCount = 0, 0, 0 }, []string{"maxCount: 0", "1 to 100"}},
		{"nat", func(c *Config) { c.NATGateways = "Single" }, []string{"natGateways", `"Single"`, "none, single or onePerAz"}},
		{"health path without slash", func(c *Config) { c.HealthCheckPath = "api/v1/health/" }, []string{"healthCheckPath", "starts with /"}},
		{"health path with query", func(c *Config) { c.HealthCheckPath = "/health?x=1" }, []string{"healthCheckPath"}},
		{"grace period", func(c *Config) { c.HealthCheckGracePeriod = 8000 }, []string{"healthCheckGracePeriod: 8000", "0 to 7200"}},
		{"migration timeout", func(c *Config) { c.MigrationTimeout = 10 }, []string{"migrationTimeout: 10", "30 to 3600"}},
		{"deregistration delay", func(c *Config) { c.DeregistrationDelay = 3601 }, []string{"deregistrationDelay: 3601", "0 to 3600"}},
		{"stop timeout", func(c *Config) { c.StopTimeout = 121 }, []string{"stopTimeout: 121", "10 to 120"}},
		{"log retention", func(c *Config) { c.LogRetentionDays = 10 }, []string{"logRetentionDays: 10", "1, 3, 5, 7, 14, 30"}},
		{"web concurrency", func(c *Config) { c.WebConcurrency = 0 }, []string{"webConcurrency: 0"}},
		{"cpu target", func(c *Config) { c.AutoscalingCPUTarget = 95 }, []string{"autoscalingCpuTarget: 95", "10 to 90"}},
		{"requests target", func(c *Config) { c.AutoscalingRequestsPerTarget = 0 }, []string{"autoscalingRequestsPerTarget: 0"}},
		{"domain without zone or cert", func(c *Config) { c.DomainName = "api.example.com" }, []string{"domainName", "needs hostedZoneId", "or certificateArn"}},
		{"bad domain", func(c *Config) { c.DomainName, c.HostedZoneID = "https://api.example.com", "Z0123456789ABC" }, []string{"domainName", "fully qualified host name"}},
		{"zone without domain", func(c *Config) { c.HostedZoneID = "Z0123456789ABC" }, []string{"domainName: is empty"}},
		{"bad zone id", func(c *Config) { c.DomainName, c.HostedZoneID = "api.example.com", "example.com" }, []string{"hostedZoneId", `"example.com"`}},
		{"certificate in another region", func(c *Config) {
			c.DomainName, c.CertificateARN = "api.example.com", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"
		}, []string{"certificateArn", "own region", "us-east-1", "eu-west-1"}},
		{"malformed certificate", func(c *Config) { c.DomainName, c.CertificateARN = "api.example.com", "abc" }, []string{"certificateArn", "ACM certificate ARN"}},
		{"db class", func(c *Config) { c.DBInstanceClass = "t4g.micro" }, []string{"dbInstanceClass", `"t4g.micro"`, "db.t4g.micro"}},
		{"db storage", func(c *Config) { c.DBAllocatedStorage = 10 }, []string{"dbAllocatedStorage: 10", "20 to 65536"}},
		{"db backups off", func(c *Config) { c.DBBackupRetentionDays = 0 }, []string{"dbBackupRetentionDays: 0", "1 to 35"}},
		{"db version", func(c *Config) { c.DBEngineVersion = "12.9" }, []string{"dbEngineVersion", `"12.9"`, "14 (until 2027-02-28)", "18 (until"}},
		// PostgreSQL 13 left RDS standard support on 2026-02-28; new instances would pay for Extended Support.
		{"db version past standard support", func(c *Config) { c.DBEngineVersion = "13" }, []string{"dbEngineVersion", `"13"`, "still supports"}},
		{"production without https", func(c *Config) { c.DeletionProtection = true }, []string{
			"deletionProtection is true", "no HTTPS", "pulumi config set hostedZoneId <zone id> --stack dev",
			"pulumi config set certificateArn arn:aws:acm:us-east-1:<account>:certificate/<id> --stack dev",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestValidateAcceptsTLSSetups(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"protected with a hosted zone": func(c *Config) {
			c.DeletionProtection, c.DomainName, c.HostedZoneID = true, "api.example.com", "Z0123456789ABCDEFGHIJ"
		},
		"hosted zone": func(c *Config) { c.DomainName, c.HostedZoneID = "api.example.com", "Z0123456789ABCDEFGHIJ" },
		"certificate": func(c *Config) {
			c.DomainName, c.CertificateARN = "api.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/0b1c-22d3"
		},
	} {
		c := validConfig()
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := validConfig()
	c.Region, c.CPU, c.NATGateways, c.LogRetentionDays = "", 100, "many", 2
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, key := range []string{"aws:region", ":cpu", ":natGateways", ":logRetentionDays"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not report %s:\n%v", key, err)
		}
	}
}

func TestFargateSizes(t *testing.T) {
	// Pairs from the AWS table, including each range's ends, and their nearest invalid neighbours.
	accepted := [][2]int{{256, 512}, {256, 2048}, {512, 1024}, {512, 4096}, {1024, 2048}, {1024, 8192},
		{2048, 4096}, {2048, 16384}, {4096, 8192}, {4096, 30720}, {8192, 16384}, {8192, 61440}, {16384, 32768}, {16384, 122880}}
	rejected := [][2]int{{256, 3072}, {256, 256}, {512, 512}, {512, 5120}, {1024, 9216}, {2048, 3072}, {2048, 17408},
		{4096, 31744}, {8192, 20000}, {8192, 65536}, {16384, 40000}, {16384, 131072}, {128, 512}, {32768, 65536}}
	for _, p := range accepted {
		c := validConfig()
		c.CPU, c.Memory = p[0], p[1]
		if err := c.Validate(); err != nil {
			t.Errorf("cpu %d memory %d rejected: %v", p[0], p[1], err)
		}
	}
	for _, p := range rejected {
		c := validConfig()
		c.CPU, c.Memory = p[0], p[1]
		if err := c.Validate(); err == nil {
			t.Errorf("cpu %d memory %d accepted", p[0], p[1])
		}
	}
}

// loadConfig runs LoadConfig under the mocks the way `pulumi up` would.
func loadConfig(t *testing.T, config map[string]string, secretKeys ...string) (*Config, error) {
	t.Helper()
	var cfg *Config
	err := pulumitest.Run(func(ctx *pulumi.Context) error {
		var err error
		cfg, err = LoadConfig(ctx)
		return err
	}, &pulumitest.Mocks{Region: "us-east-1"}, pulumitest.Options{Config: config, SecretKeys: secretKeys})
	return cfg, err
}

// withDomain fills in what Pulumi.prod.yaml asks its owner for: a domain and its hosted zone.
func withDomain(config map[string]string) {
	config[Namespace+":domainName"] = "api.example.com"
	config[Namespace+":hostedZoneId"] = "Z0123456789ABCDEFGHIJ"
}

func TestShippedStacksLoadAndValidate(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			config, err := pulumitest.StackConfig("..", stack)
			if err != nil {
				t.Fatal(err)
			}
			if stack == "prod" {
				// Shipped without a domain: it must say how to get HTTPS, then pass once given one.
				if _, err := loadConfig(t, config); err == nil || !strings.Contains(err.Error(), "no HTTPS") {
					t.Fatalf("Pulumi.prod.yaml without a domain: got %v, want the HTTPS error", err)
				}
				withDomain(config)
			}
			cfg, err := loadConfig(t, config)
			if err != nil {
				t.Fatalf("Pulumi.%s.yaml does not pass validation: %v", stack, err)
			}
			if cfg.Region == "" {
				t.Fatal("no region")
			}
			if config["pulumi:disable-default-providers"] != `["aws"]` {
				t.Errorf("Pulumi.%s.yaml must disable the default aws provider, has %q", stack, config["pulumi:disable-default-providers"])
			}
		})
	}
}

func TestShippedStacksDifferWhereProductionMust(t *testing.T) {
	dev, err := pulumitest.StackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := pulumitest.StackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	devCfg, err := loadConfig(t, dev)
	if err != nil {
		t.Fatal(err)
	}
	withDomain(prod)
	prodCfg, err := loadConfig(t, prod)
	if err != nil {
		t.Fatal(err)
	}
	if devCfg.Region != "us-east-1" || prodCfg.Region != "ap-northeast-1" {
		t.Errorf("regions: dev %s, prod %s", devCfg.Region, prodCfg.Region)
	}
	if devCfg.CPU != 256 || !devCfg.UseSpot || devCfg.NATGateways != NATNone || !devCfg.ForceDeleteRepository || devCfg.DeletionProtection || devCfg.ContainerInsights {
		t.Errorf("dev is not the cheap, disposable stack: %+v", devCfg)
	}
	if prodCfg.DesiredCount < 2 || prodCfg.MinCount < 2 || prodCfg.NATGateways == NATNone || !prodCfg.DeletionProtection ||
		prodCfg.ForceDeleteRepository || !prodCfg.DBMultiAZ || !prodCfg.DBFinalSnapshot || prodCfg.UseSpot || !prodCfg.ContainerInsights {
		t.Errorf("prod is not redundant and protected: %+v", prodCfg)
	}
}

func TestLoadConfigMissingRegionSaysWhatToRun(t *testing.T) {
	_, err := loadConfig(t, map[string]string{})
	if err == nil {
		t.Fatal("ran without aws:region")
	}
	for _, want := range []string{"nothing was created", "pulumi config set aws:region <region> --stack dev"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestLoadConfigRejectsMistypedValues(t *testing.T) {
	_, err := loadConfig(t, map[string]string{
		"aws:region":                   "us-east-1",
		Namespace + ":cpu":             "a lot",
		Namespace + ":useSpot":         "sometimes",
		Namespace + ":desiredCount":    "1",
		Namespace + ":dbFinalSnapshot": "true",
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`:cpu: "a lot" is not a whole number`, `:useSpot: "sometimes" is not true or false`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDjangoSecretKeyMustBeSecretAndStrong(t *testing.T) {
	strong := strings.Repeat("k3y-Of-", 8)
	base := map[string]string{"aws:region": "us-east-1"}
	with := func(v string) map[string]string {
		m := map[string]string{Namespace + ":djangoSecretKey": v}
		for k, val := range base {
			m[k] = val
		}
		return m
	}
	key := Namespace + ":djangoSecretKey"

	if _, err := loadConfig(t, with(strong)); err == nil || !strings.Contains(err.Error(), "pulumi config set --secret djangoSecretKey") {
		t.Errorf("plain-text key: got %v", err)
	}
	if _, err := loadConfig(t, with("short"), key); err == nil || !strings.Contains(err.Error(), "at least 50 characters") {
		t.Errorf("short key: got %v", err)
	}
	cfg, err := loadConfig(t, with(strong), key)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.HasDjangoSecretKey() {
		t.Error("configured key not used")
	}
	cfg, err = loadConfig(t, base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HasDjangoSecretKey() {
		t.Error("no key configured, but the program thinks one is")
	}
}

func TestRegionEnvWarning(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if w := regionEnvWarning("us-east-1"); w != "" {
		t.Errorf("warned without a differing variable: %s", w)
	}
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1")
	if w := regionEnvWarning("us-east-1"); w != "" {
		t.Errorf("warned for the same region: %s", w)
	}
	t.Setenv("AWS_REGION", "ap-northeast-1")
	w := regionEnvWarning("us-east-1")
	if !strings.Contains(w, "AWS_REGION=ap-northeast-1") || !strings.Contains(w, "goes to us-east-1") {
		t.Errorf("warning %q does not say which region wins", w)
	}
}

// TestDefaultsMatchPulumiYAML keeps the declared defaults (what `pulumi config` shows) and the program's
// fallbacks (what tests and older CLIs get) the same, and every key documented.
func TestDefaultsMatchPulumiYAML(t *testing.T) {
	data, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Name    string
		Runtime any
		Config  map[string]struct {
			Type        string `yaml:"type"`
			Description string `yaml:"description"`
			Default     any    `yaml:"default"`
			Secret      bool   `yaml:"secret"`
		}
	}
	if err := yaml.Unmarshal(data, &project); err != nil {
		t.Fatal(err)
	}
	if project.Name != Namespace || project.Runtime != "go" {
		t.Errorf("project %q runtime %v", project.Name, project.Runtime)
	}
	for key, want := range Defaults {
		decl, ok := project.Config[Namespace+":"+key]
		if !ok {
			t.Errorf("%s is not declared in Pulumi.yaml", key)
			continue
		}
		if decl.Description == "" {
			t.Errorf("%s has no description", key)
		}
		wantType := map[string]string{"string": "string", "int": "integer", "bool": "boolean"}[typeName(want)]
		if decl.Type != wantType {
			t.Errorf("%s: Pulumi.yaml type %q, program reads %s", key, decl.Type, wantType)
		}
		if decl.Default != want {
			t.Errorf("%s: Pulumi.yaml default %#v, program default %#v", key, decl.Default, want)
		}
	}
	for key := range project.Config {
		if _, ok := Defaults[strings.TrimPrefix(key, Namespace+":")]; !ok {
			t.Errorf("Pulumi.yaml declares %s, which the program never reads", key)
		}
	}
	// The CLI merges a default into the stack's config and then refuses it when the key is declared
	// secret (pkg/v3 workspace/config.go, validateStackConfigValue): `pulumi preview` would fail
	// before the program starts. The engine tests run the real check; this is the cheap one.
	for key, decl := range project.Config {
		if decl.Secret && decl.Default != nil {
			t.Errorf("%s is declared secret with a default; the Pulumi CLI refuses every stack that does not set it", key)
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case bool:
		return "bool"
	}
	return "string"
}

func TestLogGroupAndPlatform(t *testing.T) {
	c := validConfig()
	if got := c.LogGroupName(); got != "/ecs/task-management-api-dev" {
		t.Errorf("log group %s", got)
	}
	for arch, platform := range map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"} {
		c.Architecture = arch
		if c.Platform() != platform {
			t.Errorf("%s builds for %s", arch, c.Platform())
		}
	}
}
