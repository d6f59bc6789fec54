package infra

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ServiceType is the type token of the Service component.
const ServiceType = "taskapi:infra:Service"

// ContainerHealthCheckInterval is how often ECS runs the container's own health check, in seconds.
const ContainerHealthCheckInterval = 15

// ExecutionRolePolicyARN is AWS's managed policy for pulling images from ECR and writing logs.
const ExecutionRolePolicyARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

// ServiceArgs configures the cluster, task definition, service and autoscaling.
type ServiceArgs struct {
	Region           string // for the awslogs driver
	LogGroupName     string
	LogRetentionDays int
	// ContainerInsights turns on CloudWatch Container Insights (billed per metric).
	ContainerInsights bool

	// Task size and placement.
	Architecture   string // X86_64 or ARM64, the same value the image was built for
	CPU            int
	Memory         int
	UseSpot        bool
	SubnetIDs      pulumi.StringArrayInput
	SecurityGroup  pulumi.StringInput
	AssignPublicIP bool

	// The container.
	ImageRef           pulumi.StringInput // repository@sha256:digest
	HealthCheckPath    string
	StopTimeout        int
	WebConcurrency     int
	HTTPSOnly          bool // clients use HTTPS: Django redirects, secures cookies, sends HSTS
	AllowedHosts       pulumi.StringArrayInput
	CSRFTrustedOrigins pulumi.StringArrayInput
	DatabaseHost       pulumi.StringInput
	DjangoSecretKeyARN pulumi.StringInput // for the execution role's policy
	// DjangoSecretKeyValueFrom names the exact version of the key the containers get (see Secrets).
	DjangoSecretKeyValueFrom pulumi.StringInput
	DatabaseSecretARN        pulumi.StringInput // RDS-managed JSON secret with username and password
	EnableExecuteCommand     bool

	// The service and its scaling.
	DesiredCount                 int
	MinCount                     int
	MaxCount                     int
	HealthCheckGracePeriod       int
	MigrationTimeout             int
	AutoscalingCPUTarget         int
	AutoscalingRequestsPerTarget int
	TargetGroupARN               pulumi.StringInput
	ALBARNSuffix                 pulumi.StringInput
	TargetGroupARNSuffix         pulumi.StringInput
	// Listener must exist before the service: ECS rejects a target group no listener forwards to.
	Listener pulumi.Resource
}

// Service runs the app on Fargate behind the load balancer.
type Service struct {
	pulumi.ResourceState

	ClusterName       pulumi.StringOutput
	ServiceName       pulumi.StringOutput
	TaskDefinitionARN pulumi.StringOutput
	LogGroupName      pulumi.StringOutput
}

// The JSON shapes below follow the ECS RegisterTaskDefinition and IAM policy grammar.

type containerDefinition struct {
	Name             string               `json:"name"`
	Image            string               `json:"image"`
	Essential        bool                 `json:"essential"`
	PortMappings     []portMapping        `json:"portMappings"`
	Environment      []keyValue           `json:"environment"`
	Secrets          []secretRef          `json:"secrets"`
	LogConfiguration logConfiguration     `json:"logConfiguration"`
	HealthCheck      containerHealthCheck `json:"healthCheck"`
	StopTimeout      int                  `json:"stopTimeout"`
	LinuxParameters  linuxParameters      `json:"linuxParameters"`
}

// linuxParameters.InitProcessEnabled runs an init (tini) as PID 1: it forwards ECS's SIGTERM to the
// entrypoint's children and reaps zombies, so a task stopped while it migrates exits at once.
type linuxParameters struct {
	InitProcessEnabled bool `json:"initProcessEnabled"`
}

type portMapping struct {
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type keyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type secretRef struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type logConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

type containerHealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
}

func marshalPolicy(statements ...policyStatement) (string, error) {
	doc, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: statements})
	return string(doc), err
}

// GracefulTimeout is the server's graceful timeout (SERVER_GRACEFUL_TIMEOUT) for an ECS stop timeout: it
// finishes in-flight requests and exits before ECS sends SIGKILL.
func GracefulTimeout(stopTimeout int) int { return stopTimeout - 5 }

// MigrationMarker exists while the container's entrypoint runs migrations (app/docker-entrypoint.sh).
const MigrationMarker = "/tmp/migrating"

// HealthCheckCommand is the container's liveness probe, in Python (the slim image has no curl): healthy
// while the entrypoint migrates (nothing listens yet, and a long migration must not get the container
// killed), then only when the health path answers 200.
func HealthCheckCommand(path string) []string {
	script := fmt.Sprintf("import os,sys,urllib.request; sys.exit(0 if os.path.exists('%s') or urllib.request.urlopen('http://127.0.0.1:%d%s', timeout=3).status == 200 else 1)",
		MigrationMarker, ContainerPort, path)
	return []string{"CMD", "python", "-c", script}
}

// ServiceGracePeriod is how long ECS ignores a new task's failing load-balancer health checks: the
// migration budget, then the time to start serving. The ALB sends the task no traffic until it
// answers, so a long migration completes while the old tasks keep serving.
func ServiceGracePeriod(healthCheckGracePeriod, migrationTimeout int) int {
	return healthCheckGracePeriod + migrationTimeout
}

// containerSpec is what the container definition needs once every output is known.
type containerSpec struct {
	image, region, logGroup, dbHost     string
	djangoKeyRef, dbSecretARN           string
	allowedHosts, trustedOrigins        []string
	healthPath                          string
	stopTimeout, webConcurrency, health int
	migrationTimeout                    int
	httpsOnly                           bool
}

func (s containerSpec) JSON() (string, error) {
	env := map[string]string{
		"DJANGO_ALLOWED_HOSTS":        strings.Join(s.allowedHosts, ","),
		"DJANGO_CSRF_TRUSTED_ORIGINS": strings.Join(s.trustedOrigins, ","),
		"DB_HOST":                     s.dbHost,
		"DB_PORT":                     strconv.Itoa(DatabasePort),
		"DB_NAME":                     DatabaseName,
		// The app reads the RDS-managed credentials itself, when it opens a connection: RDS rotates the
		// password (every 7 days), and a value ECS injected at task start would go stale.
		"DB_SECRET_ARN":           s.dbSecretARN,
		"WEB_CONCURRENCY":         strconv.Itoa(s.webConcurrency),
		"SERVER_GRACEFUL_TIMEOUT": strconv.Itoa(GracefulTimeout(s.stopTimeout)),
		"DJANGO_HTTPS_ONLY":       strconv.FormatBool(s.httpsOnly),
		"MIGRATION_TIMEOUT":       strconv.Itoa(s.migrationTimeout),
	}
	environment := make([]keyValue, 0, len(env))
	for k, v := range env {
		environment = append(environment, keyValue{Name: k, Value: v})
	}
	// A stable order keeps `pulumi preview` from showing a changed task definition on every run.
	sort.Slice(environment, func(i, j int) bool { return environment[i].Name < environment[j].Name })

	doc, err := json.Marshal([]containerDefinition{{
		Name:         ContainerName,
		Image:        s.image,
		Essential:    true,
		PortMappings: []portMapping{{ContainerPort: ContainerPort, Protocol: "tcp"}},
		Environment:  environment,
		Secrets: []secretRef{
			{Name: "DJANGO_SECRET_KEY", ValueFrom: s.djangoKeyRef},
		},
		LogConfiguration: logConfiguration{
			LogDriver: "awslogs",
			Options: map[string]string{
				"awslogs-group":         s.logGroup,
				"awslogs-region":        s.region,
				"awslogs-stream-prefix": ContainerName,
			},
		},
		HealthCheck: containerHealthCheck{
			Command:     HealthCheckCommand(s.healthPath),
			Interval:    ContainerHealthCheckInterval,
			Timeout:     5,
			Retries:     3,
			StartPeriod: s.health,
		},
		StopTimeout:     s.stopTimeout,
		LinuxParameters: linuxParameters{InitProcessEnabled: true},
	}})
	return string(doc), err
}

// NewService creates the cluster, log group, roles, task definition, service and autoscaling.
func NewService(ctx *pulumi.Context, name string, args *ServiceArgs, opts ...pulumi.ResourceOption) (*Service, error) {
	s := &Service{}
	if err := ctx.RegisterComponentResource(ServiceType, name, s, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(s)

	insights := "disabled"
	if args.ContainerInsights {
		insights = "enabled"
	}
	cluster, err := ecs.NewCluster(ctx, name+"-cluster", &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name:  pulumi.String("containerInsights"),
			Value: pulumi.String(insights),
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	capacityProvider := "FARGATE"
	if args.UseSpot {
		capacityProvider = "FARGATE_SPOT"
	}
	providers, err := ecs.NewClusterCapacityProviders(ctx, name+"-capacity", &ecs.ClusterCapacityProvidersArgs{
		ClusterName:       cluster.Name,
		CapacityProviders: pulumi.StringArray{pulumi.String("FARGATE"), pulumi.String("FARGATE_SPOT")},
	}, child)
	if err != nil {
		return nil, err
	}

	logs, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(args.LogGroupName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, child)
	if err != nil {
		return nil, err
	}

	execRole, taskRole, err := newTaskRoles(ctx, name, args, child)
	if err != nil {
		return nil, err
	}

	containers := pulumi.All(args.ImageRef, pulumi.String(args.Region), logs.Name, args.DatabaseHost, args.DjangoSecretKeyValueFrom,
		args.DatabaseSecretARN, args.AllowedHosts, args.CSRFTrustedOrigins).ApplyT(func(v []any) (string, error) {
		return containerSpec{
			image: v[0].(string), region: v[1].(string), logGroup: v[2].(string), dbHost: v[3].(string),
			djangoKeyRef: v[4].(string), dbSecretARN: v[5].(string),
			allowedHosts: v[6].([]string), trustedOrigins: v[7].([]string),
			healthPath: args.HealthCheckPath, stopTimeout: args.StopTimeout,
			webConcurrency: args.WebConcurrency, health: min(args.HealthCheckGracePeriod, 300),
			httpsOnly: args.HTTPSOnly, migrationTimeout: args.MigrationTimeout,
		}.JSON()
	}).(pulumi.StringOutput)

	taskDef, err := ecs.NewTaskDefinition(ctx, name+"-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(name),
		Cpu:                     pulumi.String(strconv.Itoa(args.CPU)),
		Memory:                  pulumi.String(strconv.Itoa(args.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(args.Architecture),
		},
		ExecutionRoleArn:     execRole.Arn,
		TaskRoleArn:          taskRole.Arn,
		ContainerDefinitions: containers,
	}, child)
	if err != nil {
		return nil, err
	}

	service, err := ecs.NewService(ctx, name+"-service", &ecs.ServiceArgs{
		Cluster:        cluster.Arn,
		TaskDefinition: taskDef.Arn,
		DesiredCount:   pulumi.Int(args.DesiredCount),
		CapacityProviderStrategies: ecs.ServiceCapacityProviderStrategyArray{&ecs.ServiceCapacityProviderStrategyArgs{
			CapacityProvider: pulumi.String(capacityProvider),
			Weight:           pulumi.Int(1),
		}},
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		HealthCheckGracePeriodSeconds:   pulumi.Int(ServiceGracePeriod(args.HealthCheckGracePeriod, args.MigrationTimeout)),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        args.SubnetIDs,
			SecurityGroups: pulumi.StringArray{args.SecurityGroup},
			AssignPublicIp: pulumi.Bool(args.AssignPublicIP),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: args.TargetGroupARN,
			ContainerName:  pulumi.String(ContainerName),
			ContainerPort:  pulumi.Int(ContainerPort),
		}},
		// Without it a change of the capacity provider strategy (useSpot) replaces the service: its task
		// count resets and everything that names it (alarms, dashboards) points at a deleted service.
		// Every update of the service rolls out its tasks anyway.
		ForceNewDeployment:   pulumi.Bool(true),
		EnableExecuteCommand: pulumi.Bool(args.EnableExecuteCommand),
		EnableEcsManagedTags: pulumi.Bool(true),
		PropagateTags:        pulumi.String("SERVICE"),
		// `pulumi up` returns only when the new tasks are healthy, and fails when the circuit breaker
		// rolls a broken deployment back, instead of reporting success on a service that never serves.
		WaitForSteadyState: pulumi.Bool(true),
	}, child, pulumi.DependsOn([]pulumi.Resource{args.Listener, providers}),
		// Autoscaling owns the task count after the first deploy.
		pulumi.IgnoreChanges([]string{"desiredCount"}))
	if err != nil {
		return nil, err
	}

	if err := newAutoscaling(ctx, name, args, cluster.Name, service.Name, child); err != nil {
		return nil, err
	}

	s.ClusterName = cluster.Name
	s.ServiceName = service.Name
	s.TaskDefinitionARN = taskDef.Arn
	s.LogGroupName = logs.Name
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"clusterName":       s.ClusterName,
		"serviceName":       s.ServiceName,
		"taskDefinitionArn": s.TaskDefinitionARN,
		"logGroupName":      s.LogGroupName,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// newTaskRoles creates the execution role (pull the image, write logs, read exactly this stack's secrets)
// and the task role (the app's own AWS permissions: only ECS Exec's channels, and only when enabled).
func newTaskRoles(ctx *pulumi.Context, name string, args *ServiceArgs, child pulumi.ResourceOption) (*iam.Role, *iam.Role, error) {
	trust, err := marshalPolicy(policyStatement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "ecs-tasks.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	})
	if err != nil {
		return nil, nil, err
	}

	execRole, err := iam.NewRole(ctx, name+"-execution-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("ECS agent: pull the image, write logs, read the Django key"),
	}, child)
	if err != nil {
		return nil, nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-execution-managed", &iam.RolePolicyAttachmentArgs{
		Role:      execRole.Name,
		PolicyArn: pulumi.String(ExecutionRolePolicyARN),
	}, child); err != nil {
		return nil, nil, err
	}
	secretsPolicy := readSecretPolicy(args.DjangoSecretKeyARN)
	if _, err := iam.NewRolePolicy(ctx, name+"-execution-secrets", &iam.RolePolicyArgs{
		Role:   execRole.Name,
		Policy: secretsPolicy,
	}, child); err != nil {
		return nil, nil, err
	}

	taskRole, err := iam.NewRole(ctx, name+"-task-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("The task API's own AWS permissions"),
	}, child)
	if err != nil {
		return nil, nil, err
	}
	// The app reads the database credentials at runtime (they rotate), so the task role, not the
	// execution role, may read that one secret.
	if _, err := iam.NewRolePolicy(ctx, name+"-task-db-secret", &iam.RolePolicyArgs{
		Role:   taskRole.Name,
		Policy: readSecretPolicy(args.DatabaseSecretARN),
	}, child); err != nil {
		return nil, nil, err
	}
	if args.EnableExecuteCommand {
		execPolicy, err := marshalPolicy(policyStatement{
			Effect: "Allow",
			Action: []string{
				"ssmmessages:CreateControlChannel",
				"ssmmessages:CreateDataChannel",
				"ssmmessages:OpenControlChannel",
				"ssmmessages:OpenDataChannel",
			},
			Resource: []string{"*"},
		})
		if err != nil {
			return nil, nil, err
		}
		if _, err := iam.NewRolePolicy(ctx, name+"-task-exec", &iam.RolePolicyArgs{
			Role:   taskRole.Name,
			Policy: pulumi.String(execPolicy),
		}, child); err != nil {
			return nil, nil, err
		}
	}
	return execRole, taskRole, nil
}

// readSecretPolicy allows secretsmanager:GetSecretValue on exactly one secret.
func readSecretPolicy(arn pulumi.StringInput) pulumi.StringOutput {
	return arn.ToStringOutput().ApplyT(func(arn string) (string, error) {
		return marshalPolicy(policyStatement{
			Effect:   "Allow",
			Action:   []string{"secretsmanager:GetSecretValue"},
			Resource: []string{arn},
		})
	}).(pulumi.StringOutput)
}

// newAutoscaling lets Application Auto Scaling move the task count between min and max, on CPU and on
// ALB requests per task, whichever asks for more.
func newAutoscaling(ctx *pulumi.Context, name string, args *ServiceArgs, cluster, service pulumi.StringOutput, child pulumi.ResourceOption) error {
	target, err := appautoscaling.NewTarget(ctx, name+"-scaling", &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster, service),
		MinCapacity:       pulumi.Int(args.MinCount),
		MaxCapacity:       pulumi.Int(args.MaxCount),
	}, child)
	if err != nil {
		return err
	}
	policies := []struct {
		suffix, metric string
		label          pulumi.StringPtrInput
		target         int
	}{
		{"cpu", "ECSServiceAverageCPUUtilization", nil, args.AutoscalingCPUTarget},
		{"requests", "ALBRequestCountPerTarget", pulumi.Sprintf("%s/%s", args.ALBARNSuffix, args.TargetGroupARNSuffix), args.AutoscalingRequestsPerTarget},
	}
	for _, p := range policies {
		if _, err := appautoscaling.NewPolicy(ctx, name+"-scale-"+p.suffix, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				TargetValue:      pulumi.Float64(float64(p.target)),
				ScaleInCooldown:  pulumi.Int(300),
				ScaleOutCooldown: pulumi.Int(60),
				PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
					PredefinedMetricType: pulumi.String(p.metric),
					ResourceLabel:        p.label,
				},
			},
		}, child); err != nil {
			return err
		}
	}
	return nil
}
