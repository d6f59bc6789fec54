// Package monitoring is the monitoring example's Pulumi program: it watches a deployed
// task-management-api stack. It reads that stack's outputs through a StackReference and creates, in the service's own region, CloudWatch alarms on the ALB
// 5xx rate, unhealthy targets, ECS CPU and memory and RDS free storage, one SNS topic they all
// notify, and a CloudWatch dashboard of the same metrics.
//
// It is a separate Pulumi project (examples/monitoring/Pulumi.yaml; main.go there runs Program) in the
// same Go module as the service, and a package so the engine tests can run it inline.
// Run it from examples/monitoring: `pulumi up --stack dev`.
package monitoring

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// service is what this program needs from the task-management-api stack, one field per output.
type service struct {
	Stack                string // the referenced stack, e.g. organization/task-management-api/dev
	Region               string
	ClusterName          string
	ServiceName          string
	AlbArnSuffix         string // CloudWatch "LoadBalancer" dimension: app/<name>/<id>
	TargetGroupArnSuffix string // CloudWatch "TargetGroup" dimension: targetgroup/<name>/<id>
	DatabaseInstanceID   string // CloudWatch "DBInstanceIdentifier" dimension
	LogGroupName         string
	URL                  string
}

// outputs pairs every stack output this program reads with the field it fills, in a fixed order.
func (s *service) outputs() []struct {
	name string
	dst  *string
} {
	return []struct {
		name string
		dst  *string
	}{
		{"region", &s.Region},
		{"clusterName", &s.ClusterName},
		{"serviceName", &s.ServiceName},
		{"albArnSuffix", &s.AlbArnSuffix},
		{"targetGroupArnSuffix", &s.TargetGroupArnSuffix},
		{"databaseInstanceId", &s.DatabaseInstanceID},
		{"logGroupName", &s.LogGroupName},
		{"url", &s.URL},
	}
}

// settings is this project's own configuration (Pulumi.yaml declares the same keys and defaults).
type settings struct {
	ServiceStack string
	AlarmEmail   string
	// Whole numbers: Pulumi config types are string, integer, boolean, array and object (no float).
	HTTP5xxRatePercent       int
	CPUUtilizationPercent    int
	MemoryUtilizationPercent int
	FreeStorageGiB           int
}

// thresholdDefaults apply when a threshold is not configured. `pulumi up` already applies the same
// defaults from Pulumi.yaml; these matter for tests and other hosts that skip Pulumi.yaml.
var thresholdDefaults = map[string]int{
	"http5xxRatePercent":       5,
	"cpuUtilizationPercent":    80,
	"memoryUtilizationPercent": 80,
	"freeStorageGiB":           2,
}

func loadSettings(ctx *pulumi.Context) (settings, error) {
	s := settings{AlarmEmail: config.Get(ctx, "alarmEmail")}
	s.ServiceStack = strings.TrimSpace(config.Get(ctx, "serviceStack"))
	if s.ServiceStack == "" {
		return s, fmt.Errorf("config %s:serviceStack is not set: it names the task-management-api stack to watch; "+
			"run: pulumi config set serviceStack organization/task-management-api/%s --stack %s",
			ctx.Project(), ctx.Stack(), ctx.Stack())
	}
	for key, dst := range map[string]*int{
		"http5xxRatePercent":       &s.HTTP5xxRatePercent,
		"cpuUtilizationPercent":    &s.CPUUtilizationPercent,
		"memoryUtilizationPercent": &s.MemoryUtilizationPercent,
		"freeStorageGiB":           &s.FreeStorageGiB,
	} {
		v, err := config.TryInt(ctx, key)
		switch {
		case errors.Is(err, config.ErrMissingVar):
			v = thresholdDefaults[key]
		case err != nil:
			return s, fmt.Errorf("config %s:%s: %w", ctx.Project(), key, err)
		case v <= 0:
			return s, fmt.Errorf("config %s:%s must be positive, got %v", ctx.Project(), key, v)
		}
		*dst = v
	}
	return s, nil
}

// readService reads the referenced stack's outputs. It waits for them (GetOutputDetails) so that a
// missing output stops `pulumi preview` as well as `pulumi up` with one message naming every
// missing output, instead of resolving to an unknown value during preview.
func readService(ctx *pulumi.Context, stackName string) (*service, error) {
	ref, err := pulumi.NewStackReference(ctx, stackName, nil)
	if err != nil {
		return nil, err
	}
	svc := &service{Stack: stackName}
	var missing []string
	for _, out := range svc.outputs() {
		details, err := ref.GetOutputDetails(out.name)
		if err != nil {
			return nil, fmt.Errorf("reading output %q of stack %q: %w", out.name, stackName, err)
		}
		value := details.Value
		if value == nil {
			// These are resource names and ARN suffixes, not secrets; accept them either way.
			value = details.SecretValue
		}
		if value == nil {
			missing = append(missing, out.name)
			continue
		}
		str, ok := value.(string)
		if !ok || str == "" {
			return nil, fmt.Errorf("output %q of stack %q is %#v, want a non-empty string", out.name, stackName, value)
		}
		*out.dst = str
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("stack %q does not export %s, which this program needs to find the service's resources. "+
			"Run `pulumi up` on that stack with a current task-management-api (older versions did not export them), "+
			"or point %s:serviceStack at the right stack", stackName, quoted(missing), ctx.Project())
	}
	return svc, nil
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// CloudWatch namespaces and the statistics period used by every alarm and graph.
const (
	nsALB  = "AWS/ApplicationELB"
	nsECS  = "AWS/ECS"
	nsRDS  = "AWS/RDS"
	period = 60 // seconds
)

// http5xxRateExpression is the share of requests answered with a 5xx, in percent, from the target
// (Django) or from the load balancer itself. RequestCount has no datapoint in a minute without
// traffic, so it is filled with 1: a minute with only load-balancer 5xx (no target to send to)
// then shows as a rate of 100% or more and alarms, and a quiet minute shows 0.
const http5xxRateExpression = "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / FILL(requests, 1)"

// Program is the monitoring project's pulumi.RunFunc.
func Program(ctx *pulumi.Context) error {
	cfg, err := loadSettings(ctx)
	if err != nil {
		return err
	}
	svc, err := readService(ctx, cfg.ServiceStack)
	if err != nil {
		return err
	}

	// One explicit provider in the service's region: the alarms live next to what they watch,
	// whatever region this stack or the shell happens to be configured for.
	provider, err := aws.NewProvider(ctx, "service-region", &aws.ProviderArgs{
		Region: pulumi.String(svc.Region),
	})
	if err != nil {
		return err
	}
	inRegion := pulumi.Provider(provider)

	topic, err := sns.NewTopic(ctx, "alarms", &sns.TopicArgs{
		Name: pulumi.String(svc.ServiceName + "-alarms"),
	}, inRegion)
	if err != nil {
		return err
	}
	if cfg.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, "alarm-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(cfg.AlarmEmail),
		}, inRegion); err != nil {
			return err
		}
	}

	lb := pulumi.StringMap{"LoadBalancer": pulumi.String(svc.AlbArnSuffix)}
	albMetric := func(id, name string) cloudwatch.MetricAlarmMetricQueryInput {
		return cloudwatch.MetricAlarmMetricQueryArgs{
			Id: pulumi.String(id),
			Metric: cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace:  pulumi.String(nsALB),
				MetricName: pulumi.String(name),
				Dimensions: lb,
				Stat:       pulumi.String("Sum"),
				Period:     pulumi.Int(period),
			},
			ReturnData: pulumi.Bool(false),
		}
	}
	ecsService := pulumi.StringMap{
		"ClusterName": pulumi.String(svc.ClusterName),
		"ServiceName": pulumi.String(svc.ServiceName),
	}

	alarms := []struct {
		key  string
		args *cloudwatch.MetricAlarmArgs
	}{
		{"alb-5xx-rate", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String(fmt.Sprintf("More than %v%% of requests to %s end in a 5xx (from Django or the load balancer).",
				cfg.HTTP5xxRatePercent, svc.URL)),
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
				albMetric("requests", "RequestCount"),
				albMetric("target5xx", "HTTPCode_Target_5XX_Count"),
				albMetric("elb5xx", "HTTPCode_ELB_5XX_Count"),
				cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("rate"),
					Expression: pulumi.String(http5xxRateExpression),
					Label:      pulumi.String("5xx rate (%)"),
					ReturnData: pulumi.Bool(true),
				},
			},
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(float64(cfg.HTTP5xxRatePercent)),
			EvaluationPeriods:  pulumi.Int(5),
			DatapointsToAlarm:  pulumi.Int(3),
			TreatMissingData:   pulumi.String("notBreaching"), // no traffic is not an error
		}},
		{"unhealthy-targets", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String("The load balancer reports at least one unhealthy task for 3 minutes."),
			Namespace:        pulumi.String(nsALB),
			MetricName:       pulumi.String("UnHealthyHostCount"),
			Dimensions: pulumi.StringMap{
				"TargetGroup":  pulumi.String(svc.TargetGroupArnSuffix),
				"LoadBalancer": pulumi.String(svc.AlbArnSuffix),
			},
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(period),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(0),
			EvaluationPeriods:  pulumi.Int(3),
			DatapointsToAlarm:  pulumi.Int(3),
			TreatMissingData:   pulumi.String("notBreaching"),
		}},
		{"ecs-cpu-high", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(fmt.Sprintf("Average CPU of service %s above %v%% for 5 minutes.", svc.ServiceName, cfg.CPUUtilizationPercent)),
			Namespace:          pulumi.String(nsECS),
			MetricName:         pulumi.String("CPUUtilization"),
			Dimensions:         ecsService,
			Statistic:          pulumi.String("Average"),
			Period:             pulumi.Int(period),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(float64(cfg.CPUUtilizationPercent)),
			EvaluationPeriods:  pulumi.Int(5),
			TreatMissingData:   pulumi.String("missing"), // no datapoints = no running task: shows as INSUFFICIENT_DATA
		}},
		{"ecs-memory-high", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(fmt.Sprintf("Average memory of service %s above %v%% for 5 minutes.", svc.ServiceName, cfg.MemoryUtilizationPercent)),
			Namespace:          pulumi.String(nsECS),
			MetricName:         pulumi.String("MemoryUtilization"),
			Dimensions:         ecsService,
			Statistic:          pulumi.String("Average"),
			Period:             pulumi.Int(period),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(float64(cfg.MemoryUtilizationPercent)),
			EvaluationPeriods:  pulumi.Int(5),
			TreatMissingData:   pulumi.String("missing"),
		}},
		{"rds-free-storage-low", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(fmt.Sprintf("Database %s has less than %v GiB of free storage.", svc.DatabaseInstanceID, cfg.FreeStorageGiB)),
			Namespace:          pulumi.String(nsRDS),
			MetricName:         pulumi.String("FreeStorageSpace"),
			Dimensions:         pulumi.StringMap{"DBInstanceIdentifier": pulumi.String(svc.DatabaseInstanceID)},
			Statistic:          pulumi.String("Minimum"),
			Period:             pulumi.Int(300),
			ComparisonOperator: pulumi.String("LessThanThreshold"),
			Threshold:          pulumi.Float64(float64(cfg.FreeStorageGiB) * (1 << 30)), // the metric is in bytes
			EvaluationPeriods:  pulumi.Int(2),
			TreatMissingData:   pulumi.String("missing"),
		}},
	}

	// Every alarm notifies the topic when it fires and when it recovers.
	notify := pulumi.Array{topic.Arn}
	alarmArns := make(pulumi.StringArray, 0, len(alarms))
	alarmNames := make(pulumi.StringArray, 0, len(alarms))
	for _, a := range alarms {
		a.args.Name = pulumi.String(svc.ServiceName + "-" + a.key)
		a.args.AlarmActions = notify
		a.args.OkActions = notify
		alarm, err := cloudwatch.NewMetricAlarm(ctx, a.key, a.args, inRegion)
		if err != nil {
			return err
		}
		alarmArns = append(alarmArns, alarm.Arn)
		alarmNames = append(alarmNames, alarm.Name)
	}

	// The dashboard shows the alarms' states, so its body waits for their ARNs.
	body := alarmArns.ToStringArrayOutput().ApplyT(func(arns []string) (string, error) {
		return dashboardBody(svc, cfg, arns)
	}).(pulumi.StringOutput)
	board, err := cloudwatch.NewDashboard(ctx, "service", &cloudwatch.DashboardArgs{
		// Dashboard names are unique per account (not per region): the service name carries the stack.
		DashboardName: pulumi.String(svc.ServiceName),
		DashboardBody: body,
	}, inRegion)
	if err != nil {
		return err
	}

	ctx.Export("region", pulumi.String(svc.Region))
	ctx.Export("alarmTopicArn", topic.Arn)
	ctx.Export("alarmNames", alarmNames)
	ctx.Export("dashboardName", board.DashboardName)
	ctx.Export("dashboardUrl", pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s",
		svc.Region, svc.Region, board.DashboardName))
	return nil
}
