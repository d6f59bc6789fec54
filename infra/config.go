package infra

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is the Pulumi project name and the namespace of every config key the program reads.
const Namespace = "task-management-api"

// Settings the whole program agrees on; the app in app/ serves these.
const (
	ContainerName = "app"
	ContainerPort = 8000
	DatabaseName  = "taskapi"
	DatabaseUser  = "taskapi"
	DatabasePort  = 5432
)

// Config is every setting of a stack, read once and validated once.
type Config struct {
	Project string
	Stack   string
	Region  string

	Architecture                 string
	CPU                          int
	Memory                       int
	DesiredCount                 int
	MinCount                     int
	MaxCount                     int
	UseSpot                      bool
	NATGateways                  string
	HealthCheckPath              string
	HealthCheckGracePeriod       int
	MigrationTimeout             int
	DeregistrationDelay          int
	StopTimeout                  int
	LogRetentionDays             int
	WebConcurrency               int
	AutoscalingCPUTarget         int
	AutoscalingRequestsPerTarget int
	DomainName                   string
	HostedZoneID                 string
	CertificateARN               string
	EnableExecuteCommand         bool
	ContainerInsights            bool
	DeletionProtection           bool
	ForceDeleteRepository        bool
	DBInstanceClass              string
	DBAllocatedStorage           int
	DBMultiAZ                    bool
	DBBackupRetentionDays        int
	DBEngineVersion              string
	DBFinalSnapshot              bool

	// DjangoSecretKey is empty when the stack leaves the key to be generated.
	DjangoSecretKey pulumi.StringOutput
	hasDjangoKey    bool
}

// HasDjangoSecretKey reports whether the stack supplies its own Django secret key.
func (c *Config) HasDjangoSecretKey() bool { return c.hasDjangoKey }

// Name is the prefix of this stack's resources, e.g. "taskapi-dev".
func (c *Config) Name() string { return "taskapi-" + c.Stack }

// LogGroupName is the CloudWatch log group of the service's containers.
func (c *Config) LogGroupName() string { return "/ecs/" + c.Project + "-" + c.Stack }

// Platform is the Docker platform the image is built for; it always matches the task's runtimePlatform.
func (c *Config) Platform() string { return Architectures[c.Architecture] }

// Architectures maps the task's CPU architecture to the Docker build platform.
var Architectures = map[string]string{
	"X86_64": "linux/amd64",
	"ARM64":  "linux/arm64",
}

// NAT gateway strategies accepted by natGateways.
const (
	NATNone     = "none"
	NATSingle   = "single"
	NATOnePerAZ = "onePerAz"
)

var natStrategies = []string{NATNone, NATSingle, NATOnePerAZ}

// fargateMemory lists, per CPU value, the memory sizes (MiB) Fargate accepts:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// logRetentionDays are the values CloudWatch Logs accepts for a retention policy.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Defaults are the values Pulumi.yaml declares; a test keeps the two in step.
var Defaults = map[string]any{
	"architecture":                 "X86_64",
	"cpu":                          256,
	"memory":                       512,
	"desiredCount":                 1,
	"minCount":                     1,
	"maxCount":                     2,
	"useSpot":                      false,
	"natGateways":                  NATNone,
	"healthCheckPath":              "/api/v1/health/",
	"healthCheckGracePeriod":       60,
	"migrationTimeout":             300,
	"deregistrationDelay":          30,
	"stopTimeout":                  30,
	"logRetentionDays":             30,
	"webConcurrency":               1,
	"autoscalingCpuTarget":         60,
	"autoscalingRequestsPerTarget": 5850,
	"domainName":                   "",
	"hostedZoneId":                 "",
	"certificateArn":               "",
	"enableExecuteCommand":         false,
	"containerInsights":            false,
	"deletionProtection":           false,
	"forceDeleteRepository":        false,
	"dbInstanceClass":              "db.t4g.micro",
	"dbAllocatedStorage":           20,
	"dbMultiAz":                    false,
	"dbBackupRetentionDays":        7,
	"dbEngineVersion":              "16",
	"dbFinalSnapshot":              true,
	"djangoSecretKey":              "",
}

// reader reads typed keys, falling back to Defaults and collecting type errors instead of stopping.
type reader struct {
	cfg  *config.Config
	errs []error
}

func (r *reader) str(key string) string {
	if v, err := r.cfg.Try(key); err == nil {
		return v
	}
	return Defaults[key].(string)
}

func (r *reader) int(key string) int {
	raw, err := r.cfg.Try(key)
	if err != nil {
		return Defaults[key].(int)
	}
	v, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s:%s: %q is not a whole number", Namespace, key, raw))
	}
	return v
}

func (r *reader) bool(key string) bool {
	raw, err := r.cfg.Try(key)
	if err != nil {
		return Defaults[key].(bool)
	}
	v, err := strconv.ParseBool(strings.TrimSpace(raw))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s:%s: %q is not true or false", Namespace, key, raw))
	}
	return v
}

// LoadConfig reads the stack's configuration and validates all of it, returning every problem at once.
// Nothing has been created when it fails.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	r := &reader{cfg: config.New(ctx, Namespace)}
	c := &Config{
		Project:                      ctx.Project(),
		Stack:                        ctx.Stack(),
		Region:                       config.New(ctx, "aws").Get("region"),
		Architecture:                 r.str("architecture"),
		CPU:                          r.int("cpu"),
		Memory:                       r.int("memory"),
		DesiredCount:                 r.int("desiredCount"),
		MinCount:                     r.int("minCount"),
		MaxCount:                     r.int("maxCount"),
		UseSpot:                      r.bool("useSpot"),
		NATGateways:                  r.str("natGateways"),
		HealthCheckPath:              r.str("healthCheckPath"),
		HealthCheckGracePeriod:       r.int("healthCheckGracePeriod"),
		MigrationTimeout:             r.int("migrationTimeout"),
		DeregistrationDelay:          r.int("deregistrationDelay"),
		StopTimeout:                  r.int("stopTimeout"),
		LogRetentionDays:             r.int("logRetentionDays"),
		WebConcurrency:               r.int("webConcurrency"),
		AutoscalingCPUTarget:         r.int("autoscalingCpuTarget"),
		AutoscalingRequestsPerTarget: r.int("autoscalingRequestsPerTarget"),
		DomainName:                   strings.TrimSuffix(strings.ToLower(r.str("domainName")), "."),
		HostedZoneID:                 r.str("hostedZoneId"),
		CertificateARN:               r.str("certificateArn"),
		EnableExecuteCommand:         r.bool("enableExecuteCommand"),
		ContainerInsights:            r.bool("containerInsights"),
		DeletionProtection:           r.bool("deletionProtection"),
		ForceDeleteRepository:        r.bool("forceDeleteRepository"),
		DBInstanceClass:              r.str("dbInstanceClass"),
		DBAllocatedStorage:           r.int("dbAllocatedStorage"),
		DBMultiAZ:                    r.bool("dbMultiAz"),
		DBBackupRetentionDays:        r.int("dbBackupRetentionDays"),
		DBEngineVersion:              r.str("dbEngineVersion"),
		DBFinalSnapshot:              r.bool("dbFinalSnapshot"),
	}
	errs := r.errs

	key := r.str("djangoSecretKey")
	if key != "" {
		c.hasDjangoKey = true
		c.DjangoSecretKey = pulumi.ToSecret(pulumi.String(key)).(pulumi.StringOutput)
		if !ctx.IsConfigSecret(Namespace + ":djangoSecretKey") {
			errs = append(errs, fmt.Errorf("%s:djangoSecretKey is stored in plain text; set it with `pulumi config set --secret djangoSecretKey <value> --stack %s`", Namespace, c.Stack))
		}
		if err := validateDjangoKey(key); err != nil {
			errs = append(errs, err)
		}
	}

	if err := errors.Join(append(errs, c.Validate())...); err != nil {
		return nil, fmt.Errorf("stack %q has invalid configuration (nothing was created):\n%w", c.Stack, err)
	}
	if warning := regionEnvWarning(c.Region); warning != "" {
		_ = ctx.Log.Warn(warning, nil)
	}
	return c, nil
}

func validateDjangoKey(key string) error {
	unique := map[rune]bool{}
	for _, r := range key {
		unique[r] = true
	}
	// Django's own deployment check (security.W009) asks for the same.
	if len(key) < 50 || len(unique) < 5 {
		return fmt.Errorf("%s:djangoSecretKey: must be at least 50 characters with at least 5 different ones (got %d characters)", Namespace, len(key))
	}
	return nil
}

// regionEnvWarning explains that the stack's region wins over the shell's, the root of the seed guide's
// CannotPullContainerError (image pushed to one region, service created in another).
func regionEnvWarning(region string) string {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(name); v != "" && v != region {
			return fmt.Sprintf("%s=%s differs from this stack's aws:region %s; everything (image, registry, service) goes to %s", name, v, region, region)
		}
	}
	return ""
}

var (
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	hostnamePattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	zoneIDPattern   = regexp.MustCompile(`^Z[A-Z0-9]{4,31}$`)
	certARNPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$`)
	dbClassPattern  = regexp.MustCompile(`^db\.[a-z0-9-]+\.[a-z0-9]+$`)
	pathPattern     = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
)

// Validate checks every rule and returns all violations joined, each naming the key, the value and what is allowed.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s:%s: %v is not allowed; %s", Namespace, key, value, allowed))
	}
	inRange := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			bad(key, v, fmt.Sprintf("use %d to %d", lo, hi))
		}
	}

	switch {
	case c.Region == "":
		errs = append(errs, fmt.Errorf("aws:region is not set for stack %q; the stack file must name the region so the image, the registry and the service can never end up in different regions. Run: pulumi config set aws:region <region> --stack %s   (for example us-east-1)", c.Stack, c.Stack))
	case !regionPattern.MatchString(c.Region):
		bad("aws:region", fmt.Sprintf("%q", c.Region), "use an AWS region code such as us-east-1 or ap-northeast-1")
	}

	if _, ok := Architectures[c.Architecture]; !ok {
		bad("architecture", fmt.Sprintf("%q", c.Architecture), "use X86_64 or ARM64")
	}
	if c.UseSpot && c.Architecture == "ARM64" {
		errs = append(errs, fmt.Errorf("%s:useSpot: FARGATE_SPOT does not run ARM64 tasks; set useSpot to false or architecture to X86_64", Namespace))
	}
	if mem, ok := fargateMemory[c.CPU]; !ok {
		bad("cpu", c.CPU, "use one of 256, 512, 1024, 2048, 4096, 8192, 16384")
	} else if !slices.Contains(mem, c.Memory) {
		bad("memory", c.Memory, fmt.Sprintf("with cpu %d use %s", c.CPU, describeSizes(mem)))
	}

	if c.MinCount < 0 || c.MinCount > c.DesiredCount || c.DesiredCount > c.MaxCount {
		errs = append(errs, fmt.Errorf("%s:minCount/desiredCount/maxCount: %d/%d/%d is not allowed; need 0 <= minCount <= desiredCount <= maxCount", Namespace, c.MinCount, c.DesiredCount, c.MaxCount))
	}
	inRange("maxCount", c.MaxCount, 1, 100)

	if !slices.Contains(natStrategies, c.NATGateways) {
		bad("natGateways", fmt.Sprintf("%q", c.NATGateways), "use none, single or onePerAz")
	}
	if !pathPattern.MatchString(c.HealthCheckPath) || len(c.HealthCheckPath) > 1024 {
		bad("healthCheckPath", fmt.Sprintf("%q", c.HealthCheckPath), "use a path that starts with / (letters, digits, . _ ~ - /), e.g. /api/v1/health/")
	}
	inRange("healthCheckGracePeriod", c.HealthCheckGracePeriod, 0, 7200)
	inRange("migrationTimeout", c.MigrationTimeout, 30, 3600)
	inRange("deregistrationDelay", c.DeregistrationDelay, 0, 3600)
	// AWS allows 2 s, but the server needs a few seconds below stopTimeout to finish in-flight requests.
	inRange("stopTimeout", c.StopTimeout, 10, 120)
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		bad("logRetentionDays", c.LogRetentionDays, "use one of "+joinInts(logRetentionDays))
	}
	inRange("webConcurrency", c.WebConcurrency, 1, 32)
	inRange("autoscalingCpuTarget", c.AutoscalingCPUTarget, 10, 90)
	inRange("autoscalingRequestsPerTarget", c.AutoscalingRequestsPerTarget, 1, 100000)

	c.validateTLS(bad, &errs)

	if !dbClassPattern.MatchString(c.DBInstanceClass) {
		bad("dbInstanceClass", fmt.Sprintf("%q", c.DBInstanceClass), "use an RDS instance class such as db.t4g.micro")
	}
	inRange("dbAllocatedStorage", c.DBAllocatedStorage, 20, 65536)
	inRange("dbBackupRetentionDays", c.DBBackupRetentionDays, 1, 35)
	if _, ok := postgresStandardSupportEnds[c.DBMajorVersion()]; !ok {
		bad("dbEngineVersion", fmt.Sprintf("%q", c.DBEngineVersion), "use a PostgreSQL major version RDS still supports: "+supportedPostgres())
	}
	return errors.Join(errs...)
}

// postgresStandardSupportEnds lists the PostgreSQL majors under RDS standard support and when it ends, from
// the RDS release calendar (https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html).
// 13 left standard support on 2026-02-28; after its date a major costs RDS Extended Support fees, which
// this program opts out of (Database: engineLifecycleSupport). Drop a major here when its date passes.
var postgresStandardSupportEnds = map[int]string{
	14: "2027-02-28",
	15: "2028-02-29",
	16: "2029-02-28",
	17: "2030-02-28",
	18: "2031-02-28",
}

func supportedPostgres() string {
	majors := make([]int, 0, len(postgresStandardSupportEnds))
	for m := range postgresStandardSupportEnds {
		majors = append(majors, m)
	}
	slices.Sort(majors)
	parts := make([]string, len(majors))
	for i, m := range majors {
		parts[i] = fmt.Sprintf("%d (until %s)", m, postgresStandardSupportEnds[m])
	}
	return strings.Join(parts, ", ") + ", e.g. 16 or 16.4"
}

// DBMajorVersion is the PostgreSQL major of dbEngineVersion (16 for "16" or "16.4"), 0 when malformed.
func (c *Config) DBMajorVersion() int {
	major, err := strconv.Atoi(strings.SplitN(c.DBEngineVersion, ".", 2)[0])
	if err != nil {
		return 0
	}
	return major
}

func (c *Config) validateTLS(bad func(string, any, string), errs *[]error) {
	if c.DomainName != "" && !hostnamePattern.MatchString(c.DomainName) {
		bad("domainName", fmt.Sprintf("%q", c.DomainName), "use a fully qualified host name such as api.example.com")
	}
	if c.HostedZoneID != "" && !zoneIDPattern.MatchString(c.HostedZoneID) {
		bad("hostedZoneId", fmt.Sprintf("%q", c.HostedZoneID), "use a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ")
	}
	if c.CertificateARN != "" {
		m := certARNPattern.FindStringSubmatch(c.CertificateARN)
		switch {
		case m == nil:
			bad("certificateArn", fmt.Sprintf("%q", c.CertificateARN), "use an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
		case c.Region != "" && m[1] != c.Region:
			bad("certificateArn", fmt.Sprintf("%q", c.CertificateARN), fmt.Sprintf("an ALB can only use a certificate from its own region: request or import it in %s (it is in %s)", c.Region, m[1]))
		}
	}
	if c.DomainName != "" && c.HostedZoneID == "" && c.CertificateARN == "" {
		*errs = append(*errs, fmt.Errorf("%s:domainName: %q needs hostedZoneId (to create the certificate and DNS record) or certificateArn (an existing certificate)", Namespace, c.DomainName))
	}
	if c.DomainName == "" && (c.HostedZoneID != "" || c.CertificateARN != "") {
		*errs = append(*errs, fmt.Errorf("%s:domainName: is empty, but hostedZoneId/certificateArn are set; set domainName to the host name they are for", Namespace))
	}
	// Logins and tokens must not cross the internet in plain text where it matters most. A domain without
	// a zone or a certificate is reported above.
	if c.DeletionProtection && c.DomainName == "" {
		*errs = append(*errs, fmt.Errorf("%s:deletionProtection is true (the production posture), but the stack has no HTTPS: logins and tokens "+
			"would travel in plain text. Give it a domain, one of two ways:\n"+
			"  1. a Route 53 hosted zone of the domain (the program requests the certificate and creates the DNS record):\n"+
			"       pulumi config set domainName api.example.com --stack %[2]s\n"+
			"       pulumi config set hostedZoneId <zone id> --stack %[2]s\n"+
			"  2. an existing ACM certificate for the domain in %[3]s (DNS is then yours to point at the albDnsName output):\n"+
			"       pulumi config set domainName api.example.com --stack %[2]s\n"+
			"       pulumi config set certificateArn arn:aws:acm:%[3]s:<account>:certificate/<id> --stack %[2]s",
			Namespace, c.Stack, c.Region))
	}
}

func describeSizes(sizes []int) string {
	if len(sizes) > 3 {
		return fmt.Sprintf("%d to %d in steps of %d", sizes[0], sizes[len(sizes)-1], sizes[1]-sizes[0])
	}
	return joinInts(sizes)
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}
