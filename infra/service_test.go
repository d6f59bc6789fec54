package infra

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

const (
	testImage     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo@" + pulumitest.Digest
	testKeyARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:django-key-AbCdEf"
	testKeyRef    = testKeyARN + ":::11111111-2222-3333-4444-555555555555"
	testDBARN     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-XyZ"
	testDBHost    = "db.abc.us-east-1.rds.amazonaws.com"
	testALBDomain = "alb-123.us-east-1.elb.amazonaws.com"
)

func serviceArgs() ServiceArgs {
	return ServiceArgs{
		Region: "us-east-1", LogGroupName: "/ecs/task-management-api-dev", LogRetentionDays: 7,
		Architecture: "X86_64", CPU: 256, Memory: 512,
		SubnetIDs:      pulumi.ToStringArray([]string{"subnet-public-a", "subnet-public-b"}),
		SecurityGroup:  pulumi.String("sg-service"),
		AssignPublicIP: true,
		ImageRef:       pulumi.String(testImage), HealthCheckPath: "/api/v1/health/", StopTimeout: 30, WebConcurrency: 2,
		AllowedHosts:             pulumi.ToStringArray([]string{testALBDomain}),
		CSRFTrustedOrigins:       pulumi.ToStringArray([]string{"http://" + testALBDomain}),
		DatabaseHost:             pulumi.String(testDBHost),
		DjangoSecretKeyARN:       pulumi.String(testKeyARN),
		DjangoSecretKeyValueFrom: pulumi.String(testKeyRef),
		DatabaseSecretARN:        pulumi.String(testDBARN),
		DesiredCount:             1, MinCount: 1, MaxCount: 4, HealthCheckGracePeriod: 60, MigrationTimeout: 300,
		AutoscalingCPUTarget: 60, AutoscalingRequestsPerTarget: 500,
		TargetGroupARN:       pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2"),
		ALBARNSuffix:         pulumi.String("app/alb/50dc"),
		TargetGroupARNSuffix: pulumi.String("targetgroup/tg/73e2"),
	}
}

// runService creates the service after a listener, as main.go does.
func runService(t *testing.T, mutate func(*ServiceArgs)) (*pulumitest.Mocks, string) {
	t.Helper()
	var listenerURN string
	m := run(t, func(ctx *pulumi.Context) error {
		listener, err := lb.NewListener(ctx, "listener", &lb.ListenerArgs{
			LoadBalancerArn: pulumi.String("arn:alb"),
			DefaultActions:  lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{Type: pulumi.String("forward")}},
		})
		if err != nil {
			return err
		}
		await(listener.URN().ToStringOutput(), &listenerURN)
		args := serviceArgs()
		args.Listener = listener
		if mutate != nil {
			mutate(&args)
		}
		_, err = NewService(ctx, "app", &args)
		return err
	})
	return m, listenerURN
}

func containerOf(t *testing.T, m *pulumitest.Mocks) containerDefinition {
	t.Helper()
	var defs []containerDefinition
	if err := json.Unmarshal([]byte(m.One(t, "aws:ecs/taskDefinition:TaskDefinition", "app-task").String("containerDefinitions")), &defs); err != nil {
		t.Fatal(err)
	}
	if len(defs) != 1 {
		t.Fatalf("%d containers", len(defs))
	}
	return defs[0]
}

func TestContainerRunsTheDigestOnPort8000WithItsHealthCheck(t *testing.T) {
	m, _ := runService(t, nil)
	c := containerOf(t, m)
	if c.Image != testImage || !strings.Contains(c.Image, "@sha256:") {
		t.Errorf("image %q is not the pushed digest", c.Image)
	}
	if c.Name != ContainerName || !c.Essential || len(c.PortMappings) != 1 || c.PortMappings[0].ContainerPort != 8000 {
		t.Errorf("container %s essential=%v ports %+v", c.Name, c.Essential, c.PortMappings)
	}
	cmd := strings.Join(c.HealthCheck.Command, " ")
	if c.HealthCheck.Command[0] != "CMD" || c.HealthCheck.Command[1] != "python" || !strings.Contains(cmd, "http://127.0.0.1:8000/api/v1/health/") {
		t.Errorf("health check %q does not probe the health path with Python", cmd)
	}
	// Alive while the entrypoint migrates: a long migration must not get the container killed.
	if !strings.Contains(cmd, "os.path.exists('"+MigrationMarker+"')") {
		t.Errorf("health check %q ignores the migration marker", cmd)
	}
	if c.StopTimeout != 30 {
		t.Errorf("stopTimeout %d", c.StopTimeout)
	}
	// An init as PID 1 passes SIGTERM on while the entrypoint's shell is still migrating.
	if !c.LinuxParameters.InitProcessEnabled {
		t.Error("initProcessEnabled is off")
	}
	logs := c.LogConfiguration
	if logs.LogDriver != "awslogs" || logs.Options["awslogs-group"] != "/ecs/task-management-api-dev" || logs.Options["awslogs-region"] != "us-east-1" {
		t.Errorf("logs %+v", logs)
	}
}

func TestContainerEnvironmentHasNoSecrets(t *testing.T) {
	m, _ := runService(t, nil)
	c := containerOf(t, m)
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[kv.Name] = kv.Value
		if kv.Name == "DB_SECRET_ARN" {
			continue // the name of the database secret, which the app reads at runtime; not its value
		}
		for _, word := range []string{"SECRET", "PASSWORD", "TOKEN", "KEY"} {
			if strings.Contains(kv.Name, word) {
				t.Errorf("%s is a plain environment variable", kv.Name)
			}
		}
		if strings.Contains(kv.Value, "secretsmanager") {
			t.Errorf("%s carries a secret reference in plain text", kv.Name)
		}
	}
	want := map[string]string{
		"DJANGO_ALLOWED_HOSTS": testALBDomain, "DJANGO_CSRF_TRUSTED_ORIGINS": "http://" + testALBDomain,
		"DB_HOST": testDBHost, "DB_PORT": "5432", "DB_NAME": DatabaseName, "WEB_CONCURRENCY": "2",
		"SERVER_GRACEFUL_TIMEOUT": "25", "DJANGO_HTTPS_ONLY": "false", "DB_SECRET_ARN": testDBARN,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	secrets := map[string]string{}
	for _, s := range c.Secrets {
		secrets[s.Name] = s.ValueFrom
	}
	// The Django key by version: a new key must change the task definition (and roll the service). No
	// database password: injected once at task start, it would go stale when RDS rotates it.
	wantSecrets := map[string]string{"DJANGO_SECRET_KEY": testKeyRef}
	if len(secrets) != len(wantSecrets) {
		t.Errorf("secrets %v", secrets)
	}
	for k, v := range wantSecrets {
		if secrets[k] != v {
			t.Errorf("secret %s from %q, want %q", k, secrets[k], v)
		}
	}
}

func TestGracefulTimeoutStaysBelowStopTimeout(t *testing.T) {
	for _, stop := range []int{10, 30, 120} {
		if g := GracefulTimeout(stop); g <= 0 || g >= stop {
			t.Errorf("stopTimeout %d: graceful timeout %d", stop, g)
		}
	}
}

func TestTaskDefinitionSizeAndPlatform(t *testing.T) {
	for _, arch := range []string{"X86_64", "ARM64"} {
		m, _ := runService(t, func(a *ServiceArgs) { a.Architecture, a.CPU, a.Memory = arch, 512, 1024 })
		td := m.One(t, "aws:ecs/taskDefinition:TaskDefinition", "app-task")
		if td.String("runtimePlatform.cpuArchitecture") != arch || td.String("runtimePlatform.operatingSystemFamily") != "LINUX" {
			t.Errorf("runtime platform %v", td.Get("runtimePlatform"))
		}
		if td.String("cpu") != "512" || td.String("memory") != "1024" || td.String("networkMode") != "awsvpc" ||
			!slices.Equal(td.Strings("requiresCompatibilities"), []string{"FARGATE"}) {
			t.Errorf("task definition %v", td.Inputs)
		}
	}
}

func TestExecutionRoleReadsOnlyThisStacksSecrets(t *testing.T) {
	m, _ := runService(t, nil)
	var doc policyDocument
	if err := json.Unmarshal([]byte(m.One(t, "aws:iam/rolePolicy:RolePolicy", "app-execution-secrets").String("policy")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 {
		t.Fatalf("statements %+v", doc.Statement)
	}
	st := doc.Statement[0]
	if !slices.Equal(st.Action, []string{"secretsmanager:GetSecretValue"}) || !slices.Equal(st.Resource, []string{testKeyARN}) {
		t.Errorf("execution role may %v on %v", st.Action, st.Resource)
	}
	attach := m.One(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-execution-managed")
	if attach.String("policyArn") != ExecutionRolePolicyARN {
		t.Errorf("managed policy %q", attach.String("policyArn"))
	}
	var trust policyDocument
	if err := json.Unmarshal([]byte(m.One(t, "aws:iam/role:Role", "app-execution-role").String("assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	if trust.Statement[0].Principal["Service"] != "ecs-tasks.amazonaws.com" {
		t.Errorf("trust %+v", trust)
	}
}

// The task role reads the database secret (exactly that one) and, only with ECS Exec, its channels.
func TestTaskRoleReadsTheDatabaseSecretAndExecOnlyWhenEnabled(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		m, _ := runService(t, func(a *ServiceArgs) { a.EnableExecuteCommand = enabled })
		var taskPolicies []pulumitest.Resource
		for _, p := range m.Resources("aws:iam/rolePolicy:RolePolicy") {
			if p.String("role") == "app-task-role-1a2b3c4" && p.Name != "app-task-db-secret" {
				taskPolicies = append(taskPolicies, p)
			}
		}
		var db policyDocument
		if err := json.Unmarshal([]byte(m.One(t, "aws:iam/rolePolicy:RolePolicy", "app-task-db-secret").String("policy")), &db); err != nil {
			t.Fatal(err)
		}
		if len(db.Statement) != 1 || !slices.Equal(db.Statement[0].Action, []string{"secretsmanager:GetSecretValue"}) ||
			!slices.Equal(db.Statement[0].Resource, []string{testDBARN}) {
			t.Errorf("task role database policy %+v", db.Statement)
		}
		if m.One(t, "aws:iam/rolePolicy:RolePolicy", "app-task-db-secret").String("role") != "app-task-role-1a2b3c4" {
			t.Error("the database secret policy is not on the task role")
		}
		if (len(taskPolicies) == 1) != enabled {
			t.Fatalf("exec %v: %d task role policies", enabled, len(taskPolicies))
		}
		if enabled && !strings.Contains(taskPolicies[0].String("policy"), "ssmmessages:OpenDataChannel") {
			t.Errorf("exec policy %s", taskPolicies[0].String("policy"))
		}
		if got := m.One(t, "aws:ecs/service:Service", "app-service").Bool("enableExecuteCommand"); got != enabled {
			t.Errorf("service enableExecuteCommand %v", got)
		}
	}
}

func TestServiceDeploysSafely(t *testing.T) {
	m, listenerURN := runService(t, nil)
	svc := m.One(t, "aws:ecs/service:Service", "app-service")
	if !svc.Bool("deploymentCircuitBreaker.enable") || !svc.Bool("deploymentCircuitBreaker.rollback") {
		t.Error("no circuit breaker with rollback")
	}
	if !svc.Bool("waitForSteadyState") {
		t.Error("pulumi up would report success before the service is healthy")
	}
	if svc.Number("deploymentMinimumHealthyPercent") != 100 || svc.Number("deploymentMaximumPercent") != 200 {
		t.Errorf("min %v max %v", svc.Number("deploymentMinimumHealthyPercent"), svc.Number("deploymentMaximumPercent"))
	}
	// A task that is still migrating (up to migrationTimeout) must not be replaced for failing checks.
	if svc.Number("healthCheckGracePeriodSeconds") != 60+300 {
		t.Errorf("grace %v, want healthCheckGracePeriod + migrationTimeout", svc.Number("healthCheckGracePeriodSeconds"))
	}
	if svc.String("loadBalancers.0.containerName") != ContainerName || svc.Number("loadBalancers.0.containerPort") != 8000 {
		t.Errorf("load balancer %v", svc.Get("loadBalancers"))
	}
	if !slices.Contains(svc.IgnoreChanges, "desiredCount") {
		t.Error("pulumi up would reset the count autoscaling chose")
	}
	if !slices.Contains(svc.DependsOn, listenerURN) {
		t.Errorf("service does not wait for the listener %s: %v", listenerURN, svc.DependsOn)
	}
	if svc.String("launchType") != "" {
		t.Error("launchType conflicts with the capacity provider strategy")
	}
	// Switching useSpot must update the service in place (the engine tests show the operation).
	if !svc.Bool("forceNewDeployment") {
		t.Error("forceNewDeployment is off: a capacity provider change would replace the service")
	}
}

func TestCapacityProviderAndPlacement(t *testing.T) {
	cases := []struct {
		spot, publicIP bool
		subnets        []string
		want           string
	}{
		{true, true, []string{"subnet-public-a", "subnet-public-b"}, "FARGATE_SPOT"},
		{false, false, []string{"subnet-private-a", "subnet-private-b"}, "FARGATE"},
	}
	for _, tc := range cases {
		m, _ := runService(t, func(a *ServiceArgs) {
			a.UseSpot, a.AssignPublicIP, a.SubnetIDs = tc.spot, tc.publicIP, pulumi.ToStringArray(tc.subnets)
		})
		svc := m.One(t, "aws:ecs/service:Service", "app-service")
		if got := svc.String("capacityProviderStrategies.0.capacityProvider"); got != tc.want {
			t.Errorf("spot %v: capacity provider %q", tc.spot, got)
		}
		if svc.Bool("networkConfiguration.assignPublicIp") != tc.publicIP || !slices.Equal(svc.Strings("networkConfiguration.subnets"), tc.subnets) {
			t.Errorf("network %v", svc.Get("networkConfiguration"))
		}
		if !slices.Equal(svc.Strings("networkConfiguration.securityGroups"), []string{"sg-service"}) {
			t.Errorf("security groups %v", svc.Strings("networkConfiguration.securityGroups"))
		}
	}
}

// Container Insights is billed per metric: off unless the stack asks (prod does).
func TestContainerInsightsFollowsConfig(t *testing.T) {
	for insights, want := range map[bool]string{false: "disabled", true: "enabled"} {
		m, _ := runService(t, func(a *ServiceArgs) { a.ContainerInsights = insights })
		cluster := m.One(t, "aws:ecs/cluster:Cluster", "app-cluster")
		if cluster.String("settings.0.name") != "containerInsights" || cluster.String("settings.0.value") != want {
			t.Errorf("containerInsights %v: cluster settings %v", insights, cluster.Get("settings"))
		}
	}
}

func TestClusterLogsAndAutoscaling(t *testing.T) {
	m, _ := runService(t, nil)
	logs := m.One(t, "aws:cloudwatch/logGroup:LogGroup", "app-logs")
	if logs.String("name") != "/ecs/task-management-api-dev" || logs.Number("retentionInDays") != 7 {
		t.Errorf("log group %v", logs.Inputs)
	}
	target := m.One(t, "aws:appautoscaling/target:Target", "app-scaling")
	if target.Number("minCapacity") != 1 || target.Number("maxCapacity") != 4 || target.String("scalableDimension") != "ecs:service:DesiredCount" {
		t.Errorf("scaling target %v", target.Inputs)
	}
	if !strings.HasPrefix(target.String("resourceId"), "service/app-cluster-") {
		t.Errorf("resource id %q", target.String("resourceId"))
	}
	cpu := m.One(t, "aws:appautoscaling/policy:Policy", "app-scale-cpu")
	if cpu.String("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType") != "ECSServiceAverageCPUUtilization" ||
		cpu.Number("targetTrackingScalingPolicyConfiguration.targetValue") != 60 {
		t.Errorf("cpu policy %v", cpu.Inputs)
	}
	req := m.One(t, "aws:appautoscaling/policy:Policy", "app-scale-requests")
	if req.String("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel") != "app/alb/50dc/targetgroup/tg/73e2" {
		t.Errorf("requests policy %v", req.Inputs)
	}
}
