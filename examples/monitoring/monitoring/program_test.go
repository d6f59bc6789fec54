package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	project   = "task-management-api-monitoring"
	refStack  = "organization/task-management-api/prod"
	accountID = "123456789012"
)

// serviceOutputs is what a current task-management-api stack exports (the subset this program reads,
// plus one it ignores). The region is deliberately not us-east-1, the usual default.
func serviceOutputs() map[string]any {
	return map[string]any{
		"region":               "ap-northeast-1",
		"clusterName":          "task-api-prod-cluster",
		"serviceName":          "task-api-prod-svc",
		"albArnSuffix":         "app/task-api-prod-alb/50dc6c495c0c9188",
		"targetGroupArnSuffix": "targetgroup/task-api-prod-tg/73e2d6bc24d8a067",
		"databaseInstanceId":   "task-api-prod-db",
		"logGroupName":         "/ecs/task-api-prod",
		"url":                  "https://api.example.com",
		"vpcId":                "vpc-0123456789abcdef0",
	}
}

// mocks answers the engine's calls and records every resource the program registers.
type mocks struct {
	outputs map[string]any // the referenced stack's outputs; values may be resource.PropertyValue (secrets)

	mu        sync.Mutex
	resources []pulumi.MockResourceArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.resources = append(m.resources, args)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	id := args.Name + "-id"
	switch args.TypeToken {
	case "pulumi:pulumi:StackReference":
		// NewStackReference reads the stack; its state carries the stack's outputs under "outputs".
		outs := resource.PropertyMap{}
		for k, v := range m.outputs {
			if pv, ok := v.(resource.PropertyValue); ok {
				outs[resource.PropertyKey(k)] = pv
			} else {
				outs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
			}
		}
		return args.ID, resource.PropertyMap{
			"name":    resource.NewStringProperty(args.ID),
			"outputs": resource.NewObjectProperty(outs),
		}, nil
	case "aws:sns/topic:Topic":
		state["arn"] = resource.NewStringProperty("arn:aws:sns:ap-northeast-1:" + accountID + ":" + args.Inputs["name"].StringValue())
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		state["arn"] = resource.NewStringProperty("arn:aws:cloudwatch:ap-northeast-1:" + accountID + ":alarm:" + args.Inputs["name"].StringValue())
	}
	return id, state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

func (m *mocks) byType(token string) []pulumi.MockResourceArgs {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pulumi.MockResourceArgs
	for _, r := range m.resources {
		if r.TypeToken == token {
			out = append(out, r)
		}
	}
	return out
}

func run(t *testing.T, m *mocks, config map[string]string, dryRun bool) error {
	t.Helper()
	cfg := map[string]string{project + ":serviceStack": refStack}
	for k, v := range config {
		cfg[project+":"+k] = v
	}
	return pulumi.RunErr(Program, pulumi.WithMocks(project, "prod", m), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.DryRun = dryRun
	})
}

func deploy(t *testing.T, config map[string]string) *mocks {
	t.Helper()
	m := &mocks{outputs: serviceOutputs()}
	if err := run(t, m, config, false); err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return m
}

func TestReadsTheReferencedStackNamedInConfig(t *testing.T) {
	m := deploy(t, nil)
	refs := m.byType("pulumi:pulumi:StackReference")
	if len(refs) != 1 || refs[0].ID != refStack {
		t.Fatalf("want one StackReference to %q, got %+v", refStack, refs)
	}
}

func TestEveryAWSResourceUsesTheExplicitProviderInTheServiceRegion(t *testing.T) {
	m := deploy(t, nil)
	providers := m.byType("pulumi:providers:aws")
	if len(providers) != 1 {
		t.Fatalf("want exactly one aws provider, got %d", len(providers))
	}
	if got := providers[0].Inputs["region"]; !got.IsString() || got.StringValue() != "ap-northeast-1" {
		t.Errorf("provider region = %v, want the referenced stack's region ap-northeast-1", got)
	}
	want := "pulumi:providers:aws::" + providers[0].Name + "::"
	count := 0
	for _, r := range m.resources {
		if !strings.HasPrefix(r.TypeToken, "aws:") {
			continue
		}
		count++
		if !strings.Contains(r.Provider, want) {
			t.Errorf("%s %q uses provider %q, want the explicit provider %q", r.TypeToken, r.Name, r.Provider, providers[0].Name)
		}
	}
	if count < 7 { // topic, 5 alarms, dashboard
		t.Errorf("only %d aws resources registered, want at least 7", count)
	}
}

// wantDimensions is, per alarm, the CloudWatch dimensions that must point at the service's resources.
func wantDimensions() map[string]map[string]string {
	o := serviceOutputs()
	s := func(k string) string { return o[k].(string) }
	lb := map[string]string{"LoadBalancer": s("albArnSuffix")}
	return map[string]map[string]string{
		"alb-5xx-rate":         lb,
		"unhealthy-targets":    {"LoadBalancer": s("albArnSuffix"), "TargetGroup": s("targetGroupArnSuffix")},
		"ecs-cpu-high":         {"ClusterName": s("clusterName"), "ServiceName": s("serviceName")},
		"ecs-memory-high":      {"ClusterName": s("clusterName"), "ServiceName": s("serviceName")},
		"rds-free-storage-low": {"DBInstanceIdentifier": s("databaseInstanceId")},
	}
}

func stringMap(t *testing.T, v resource.PropertyValue) map[string]string {
	t.Helper()
	if !v.IsObject() {
		t.Fatalf("want an object, got %v", v)
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		out[string(k)] = e.StringValue()
	}
	return out
}

func TestEveryAlarmWatchesTheReferencedResources(t *testing.T) {
	m := deploy(t, nil)
	want := wantDimensions()
	alarms := m.byType("aws:cloudwatch/metricAlarm:MetricAlarm")
	if len(alarms) != len(want) {
		t.Fatalf("got %d alarms, want %d", len(alarms), len(want))
	}
	for _, a := range alarms {
		dims, ok := want[a.Name]
		if !ok {
			t.Errorf("unexpected alarm %q", a.Name)
			continue
		}
		if q := a.Inputs["metricQueries"]; q.IsArray() && len(q.ArrayValue()) > 0 {
			metrics := 0
			for _, query := range q.ArrayValue() {
				metric := query.ObjectValue()["metric"]
				if !metric.IsObject() {
					continue // the math expression
				}
				metrics++
				if got := stringMap(t, metric.ObjectValue()["dimensions"]); !reflect.DeepEqual(got, dims) {
					t.Errorf("alarm %q query %v: dimensions %v, want %v", a.Name, query.ObjectValue()["id"], got, dims)
				}
			}
			if metrics == 0 {
				t.Errorf("alarm %q: metric math without metrics", a.Name)
			}
		} else if got := stringMap(t, a.Inputs["dimensions"]); !reflect.DeepEqual(got, dims) {
			t.Errorf("alarm %q: dimensions %v, want %v", a.Name, got, dims)
		}
		if name := a.Inputs["name"].StringValue(); !strings.HasPrefix(name, "task-api-prod-svc-") {
			t.Errorf("alarm %q is named %q, want it prefixed with the service name", a.Name, name)
		}
	}
}

func TestFiveXXRateIsMetricMathOverTheLoadBalancer(t *testing.T) {
	m := deploy(t, nil)
	for _, a := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Name != "alb-5xx-rate" {
			continue
		}
		ids := map[string]string{}
		returned := []string{}
		for _, q := range a.Inputs["metricQueries"].ArrayValue() {
			obj := q.ObjectValue()
			id := obj["id"].StringValue()
			if metric := obj["metric"]; metric.IsObject() {
				ids[id] = metric.ObjectValue()["metricName"].StringValue()
			}
			if rd := obj["returnData"]; rd.IsBool() && rd.BoolValue() {
				returned = append(returned, obj["expression"].StringValue())
			}
		}
		want := map[string]string{"requests": "RequestCount", "target5xx": "HTTPCode_Target_5XX_Count", "elb5xx": "HTTPCode_ELB_5XX_Count"}
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("5xx metrics = %v, want %v", ids, want)
		}
		if len(returned) != 1 {
			t.Fatalf("want exactly one query returning data, got %v", returned)
		}
		for id := range want {
			if !strings.Contains(returned[0], id) {
				t.Errorf("expression %q does not use %q", returned[0], id)
			}
		}
		if got := a.Inputs["threshold"].NumberValue(); got != 5 {
			t.Errorf("threshold = %v, want the default 5", got)
		}
		return
	}
	t.Fatal("no alb-5xx-rate alarm")
}

func TestEveryAlarmNotifiesTheTopic(t *testing.T) {
	m := deploy(t, nil)
	topics := m.byType("aws:sns/topic:Topic")
	if len(topics) != 1 {
		t.Fatalf("want one SNS topic, got %d", len(topics))
	}
	topicArn := "arn:aws:sns:ap-northeast-1:" + accountID + ":" + topics[0].Inputs["name"].StringValue()
	for _, a := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		for _, key := range []resource.PropertyKey{"alarmActions", "okActions"} {
			v := a.Inputs[key]
			if !v.IsArray() || len(v.ArrayValue()) != 1 || v.ArrayValue()[0].StringValue() != topicArn {
				t.Errorf("alarm %q %s = %v, want [%s]", a.Name, key, v, topicArn)
			}
		}
	}
	if subs := m.byType("aws:sns/topicSubscription:TopicSubscription"); len(subs) != 0 {
		t.Errorf("no alarmEmail configured but %d subscriptions created", len(subs))
	}
}

func TestAlarmEmailSubscribesToTheTopic(t *testing.T) {
	m := deploy(t, map[string]string{"alarmEmail": "oncall@example.com"})
	subs := m.byType("aws:sns/topicSubscription:TopicSubscription")
	if len(subs) != 1 {
		t.Fatalf("want one subscription, got %d", len(subs))
	}
	in := subs[0].Inputs
	if in["protocol"].StringValue() != "email" || in["endpoint"].StringValue() != "oncall@example.com" ||
		!strings.HasPrefix(in["topic"].StringValue(), "arn:aws:sns:") {
		t.Errorf("subscription inputs = %v", in)
	}
}

func TestThresholdsComeFromConfig(t *testing.T) {
	m := deploy(t, map[string]string{"cpuUtilizationPercent": "65", "freeStorageGiB": "10"})
	got := map[string]float64{}
	for _, a := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		got[a.Name] = a.Inputs["threshold"].NumberValue()
	}
	want := map[string]float64{
		"alb-5xx-rate": 5, "unhealthy-targets": 0, "ecs-cpu-high": 65, "ecs-memory-high": 80,
		"rds-free-storage-low": 10 * 1024 * 1024 * 1024,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("thresholds = %v, want %v", got, want)
	}
}

// The dashboard must graph the same resources the alarms watch, in the same region, and show the alarms.
func TestDashboardNamesTheSameResources(t *testing.T) {
	m := deploy(t, nil)
	boards := m.byType("aws:cloudwatch/dashboard:Dashboard")
	if len(boards) != 1 {
		t.Fatalf("want one dashboard, got %d", len(boards))
	}
	var body struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	raw := boards[0].Inputs["dashboardBody"].StringValue()
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, raw)
	}

	o := serviceOutputs()
	wantDims := map[string]string{
		"LoadBalancer":         o["albArnSuffix"].(string),
		"TargetGroup":          o["targetGroupArnSuffix"].(string),
		"ClusterName":          o["clusterName"].(string),
		"ServiceName":          o["serviceName"].(string),
		"DBInstanceIdentifier": o["databaseInstanceId"].(string),
	}
	seenDims := map[string]bool{}
	seenMetrics := map[string]bool{}
	var alarmArns []string
	sawLogs := false
	for _, w := range body.Widgets {
		if r, ok := w.Properties["region"]; ok && r != "ap-northeast-1" {
			t.Errorf("%s widget in region %v, want ap-northeast-1", w.Type, r)
		}
		switch w.Type {
		case "metric":
			for _, row := range w.Properties["metrics"].([]any) {
				cells := row.([]any)
				if _, isExpression := cells[0].(map[string]any); isExpression {
					continue
				}
				seenMetrics[cells[0].(string)+" "+cells[1].(string)] = true
				for i := 2; i+1 < len(cells); i += 2 {
					name, value := cells[i].(string), cells[i+1].(string)
					if wantDims[name] != value {
						t.Errorf("dashboard metric %v: dimension %s=%q, want %q", cells[:2], name, value, wantDims[name])
					}
					seenDims[name] = true
				}
			}
		case "alarm":
			for _, a := range w.Properties["alarms"].([]any) {
				alarmArns = append(alarmArns, a.(string))
			}
		case "log":
			sawLogs = true
			if q := w.Properties["query"].(string); !strings.Contains(q, "SOURCE '"+o["logGroupName"].(string)+"'") {
				t.Errorf("log widget query %q does not read the service's log group", q)
			}
		}
	}
	for name := range wantDims {
		if !seenDims[name] {
			t.Errorf("dashboard never graphs a metric with dimension %s", name)
		}
	}
	for _, metric := range []string{
		"AWS/ApplicationELB RequestCount", "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
		"AWS/ApplicationELB HTTPCode_ELB_5XX_Count", "AWS/ApplicationELB UnHealthyHostCount",
		"AWS/ECS CPUUtilization", "AWS/ECS MemoryUtilization", "AWS/RDS FreeStorageSpace",
	} {
		if !seenMetrics[metric] {
			t.Errorf("dashboard does not graph %s", metric)
		}
	}
	if !sawLogs {
		t.Error("dashboard has no log widget")
	}

	var wantArns []string
	for _, a := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		wantArns = append(wantArns, "arn:aws:cloudwatch:ap-northeast-1:"+accountID+":alarm:"+a.Inputs["name"].StringValue())
	}
	sort.Strings(alarmArns)
	sort.Strings(wantArns)
	if !reflect.DeepEqual(alarmArns, wantArns) {
		t.Errorf("alarm widget shows %v, want %v", alarmArns, wantArns)
	}
}

// A name that needs JSON escaping must still produce valid JSON with the exact value.
func TestDashboardBodyEscapesValues(t *testing.T) {
	svc := &service{ServiceName: `svc"with\quotes`, Region: "eu-west-1", LogGroupName: "/ecs/x", URL: "https://x"}
	body, err := dashboardBody(svc, settings{HTTP5xxRatePercent: 5}, []string{`arn:"odd"`})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, body)
	}
	if !strings.Contains(body, `svc\"with\\quotes`) {
		t.Errorf("service name not escaped in %s", body)
	}
}

func TestMissingOutputsFailWithAClearMessage(t *testing.T) {
	for _, dryRun := range []bool{true, false} {
		t.Run(fmt.Sprintf("dryRun=%v", dryRun), func(t *testing.T) {
			outs := serviceOutputs()
			delete(outs, "albArnSuffix")
			delete(outs, "targetGroupArnSuffix")
			m := &mocks{outputs: outs}
			err := run(t, m, nil, dryRun)
			if err == nil {
				t.Fatal("program succeeded although the referenced stack lacks albArnSuffix and targetGroupArnSuffix")
			}
			for _, want := range []string{refStack, `"albArnSuffix", "targetGroupArnSuffix"`, "pulumi up"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
			for _, r := range m.resources {
				if strings.HasPrefix(r.TypeToken, "aws:") || r.TypeToken == "pulumi:providers:aws" {
					t.Errorf("%s %q created although outputs are missing", r.TypeToken, r.Name)
				}
			}
		})
	}
}

func TestNonStringOutputFails(t *testing.T) {
	outs := serviceOutputs()
	outs["serviceName"] = 42.0
	err := run(t, &mocks{outputs: outs}, nil, false)
	if err == nil || !strings.Contains(err.Error(), `output "serviceName"`) {
		t.Fatalf("want an error about serviceName, got %v", err)
	}
}

func TestSecretOutputsAreAccepted(t *testing.T) {
	outs := serviceOutputs()
	outs["clusterName"] = resource.MakeSecret(resource.NewStringProperty("task-api-prod-cluster"))
	m := &mocks{outputs: outs}
	if err := run(t, m, nil, false); err != nil {
		t.Fatalf("program failed on a secret output: %v", err)
	}
	for _, a := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Name == "ecs-cpu-high" {
			if got := stringMap(t, a.Inputs["dimensions"])["ClusterName"]; got != "task-api-prod-cluster" {
				t.Errorf("ClusterName = %q", got)
			}
		}
	}
}

func TestMissingServiceStackConfigFails(t *testing.T) {
	err := pulumi.RunErr(Program, pulumi.WithMocks(project, "staging", &mocks{outputs: serviceOutputs()}))
	if err == nil {
		t.Fatal("program succeeded without serviceStack")
	}
	want := "pulumi config set serviceStack organization/task-management-api/staging --stack staging"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not tell to run %q", err, want)
	}
}

func TestInvalidThresholdFails(t *testing.T) {
	err := run(t, &mocks{outputs: serviceOutputs()}, map[string]string{"cpuUtilizationPercent": "lots"}, false)
	if err == nil || !strings.Contains(err.Error(), "cpuUtilizationPercent") {
		t.Fatalf("want an error naming cpuUtilizationPercent, got %v", err)
	}
}

// Pulumi.yaml declares the same defaults the program falls back to (mocks do not apply Pulumi.yaml).
func TestPulumiYamlDefaultsMatchTheProgram(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(thresholdDefaults) != 4 {
		t.Errorf("thresholdDefaults has %d keys, want 4", len(thresholdDefaults))
	}
	for key, want := range thresholdDefaults {
		re := regexp.MustCompile(`(?m)^  ` + project + `:` + key + `:\n(?:    .*\n)*?    default: (\S+)`)
		got := re.FindSubmatch(raw)
		if got == nil || string(got[1]) != fmt.Sprint(want) {
			t.Errorf("Pulumi.yaml default for %s = %q, want %v", key, got, want)
		}
	}
}
