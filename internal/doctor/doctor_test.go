package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// jsonReport decodes the --json report printed on stdout.
func jsonReport(t *testing.T, stdout string) Report {
	t.Helper()
	var r Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	return r
}

func (r Report) check(t *testing.T, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in report", name)
	return Check{}
}

func wantExit(t *testing.T, res result, code int) {
	t.Helper()
	if res.code != code {
		t.Fatalf("exit code %d, want %d", res.code, code)
	}
}

func wantContains(t *testing.T, what, got string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(got, s) {
			t.Errorf("%s does not contain %q:\n%s", what, s, got)
		}
	}
}

func wantStatus(t *testing.T, c Check, st Status, class string) {
	t.Helper()
	if c.Status != st {
		t.Errorf("check %s: status %s, want %s (summary: %s)", c.Name, c.Status, st, c.Summary)
	}
	if class != "" && c.Class != class {
		t.Errorf("check %s: class %q, want %q", c.Name, c.Class, class)
	}
}

func TestHealthyDeployment(t *testing.T) {
	res := runDoctor(t, healthyScenario(), runOpts{})
	wantExit(t, res, ExitHealthy)
	for _, name := range []string{"region", "service", "tasks", "targets", "endpoint"} {
		if !strings.Contains(res.stdout, "PASS  "+name) {
			t.Errorf("no PASS line for %s", name)
		}
	}
	wantContains(t, "stdout", res.stdout,
		"HEALTHY: 5/5 checks passed",
		"image registry, cluster and stack agree on us-east-1",
		"ACTIVE, 2/2 tasks running, rollout COMPLETED",
		"2 healthy (2 desired) in taskapi-dev-lb-tg-a71d9e3",
		"GET "+fxURL+fxHealth+" → 200",
		// the shell's region is reported and ignored
		"shell default region (AWS_REGION): ap-northeast-1: differs, ignored",
	)
	if strings.Contains(res.stdout, "Last log lines") {
		t.Error("logs shown although everything passed")
	}
	if n := res.fake.called("Logs_"); n != 0 {
		t.Errorf("%d CloudWatch Logs calls on a healthy stack", n)
	}
	// Every client was built for the stack's region, not AWS_REGION=ap-northeast-1.
	want := map[string]string{"ecs": fxRegion, "elasticloadbalancing": fxRegion}
	for svc, region := range want {
		if got := res.fake.scopes[svc]; got != region {
			t.Errorf("%s requests signed for region %q, want %q", svc, got, region)
		}
	}
	for _, op := range []string{
		"AmazonEC2ContainerServiceV20141113.DescribeServices",
		"AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
		"AmazonEC2ContainerServiceV20141113.ListTasks",
		"elbv2.DescribeTargetGroups",
		"elbv2.DescribeTargetHealth",
	} {
		if res.fake.called(op) != 1 {
			t.Errorf("%s called %d times, want 1", op, res.fake.called(op))
		}
	}
	if res.appCalls != 1 {
		t.Errorf("app GET %d times, want 1", res.appCalls)
	}
}

func TestHealthyJSON(t *testing.T) {
	res := runDoctor(t, healthyScenario(), runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitHealthy)
	r := jsonReport(t, res.stdout)
	if !r.OK || len(r.Checks) != 5 || r.Region != fxRegion || r.Attempts != 1 || r.Logs != nil {
		t.Fatalf("unexpected report: %+v", r)
	}
	for _, c := range r.Checks {
		wantStatus(t, c, Pass, "")
	}
	if !strings.Contains(res.stderr, "doctor: checking") {
		t.Errorf("no progress on stderr: %q", res.stderr)
	}
}

// region403Scenario is the seed guide's CannotPullContainerError 403: the image was pushed to
// the CLI's default region (ap-northeast-1) while the service runs in us-east-1.
func region403Scenario() (*scenario, obj) {
	const tokyoRepo = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/taskapi-dev-app"
	sc := healthyScenario()
	sc.service = constService(svc(0, 1, "IN_PROGRESS",
		event(1, "(service "+fxService+") is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."),
	))
	sc.taskDefImage = tokyoRepo + "@" + fxDigest
	task := stoppedTask("a1b2c3d4e5f60718293a4b5c6d7e8f90", 2, "TaskFailedToStart",
		"CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref "+tokyoRepo+"@"+fxDigest+
			": pulling from host 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com failed with status code [manifests "+fxDigest+"]: 403 Forbidden",
		nil, "")
	task["containers"].([]any)[0].(obj)["image"] = tokyoRepo + "@" + fxDigest
	sc.stopped = []obj{task}
	sc.targets = constTargets()
	sc.app = func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "503 Service Temporarily Unavailable", 503)
	}
	out := defaultOutputs(fxURL)
	out["repositoryUrl"] = tokyoRepo
	out["imageRef"] = tokyoRepo + "@" + fxDigest
	return sc, out
}

func TestRegionMismatchImagePull403(t *testing.T) {
	sc, out := region403Scenario()
	res := runDoctor(t, sc, runOpts{outputs: out, args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	region := r.check(t, "region")
	wantStatus(t, region, Fail, "registry-region-mismatch")
	wantContains(t, "region cause", region.Cause, "CannotPullContainerError 403", "outside us-east-1")
	wantContains(t, "region fix", region.Fix, "aws:region in Pulumi.<stack>.yaml")
	wantContains(t, "region summary", region.Summary, "ECR registry of imageRef is in ap-northeast-1")
	if !region.Terminal {
		t.Error("a region mismatch must be terminal (waiting cannot fix it)")
	}
	tasks := r.check(t, "tasks")
	wantStatus(t, tasks, Fail, ClassImagePullForbidden)
	wantContains(t, "tasks cause", tasks.Cause, "ap-northeast-1 registry but the service runs in us-east-1")
	wantStatus(t, r.check(t, "service"), Fail, "tasks-crashing")
	wantStatus(t, r.check(t, "targets"), Fail, "no-targets")
	ep := r.check(t, "endpoint")
	wantStatus(t, ep, Fail, "http-503")
	if r.Logs == nil || len(r.Logs.Streams) == 0 {
		t.Fatalf("no logs section on failure: %+v", r.Logs)
	}
	wantContains(t, "log stream note", r.Logs.Streams[0].Why, "never started")
}

func TestOutOfMemory(t *testing.T) {
	sc := healthyScenario()
	sc.service = constService(svc(1, 2, "IN_PROGRESS"))
	sc.stopped = []obj{
		stoppedTask("0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e01", 1, "EssentialContainerExited", "Essential container in task exited", 137,
			"OutOfMemoryError: Container killed due to memory usage"),
	}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	tasks := r.check(t, "tasks")
	wantStatus(t, tasks, Fail, ClassOutOfMemory)
	wantContains(t, "tasks", tasks.Cause+tasks.Fix, "512 MiB", "Raise the task's memory", "server workers (WEB_CONCURRENCY)")
	wantStatus(t, r.check(t, "service"), Fail, "tasks-not-running")
}

func TestExit137WithoutOOMReasonIsMemory(t *testing.T) {
	sc := healthyScenario()
	sc.service = constService(svc(1, 2, "IN_PROGRESS"))
	sc.stopped = []obj{stoppedTask("0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e02", 1, "EssentialContainerExited", "Essential container in task exited", 137, "")}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	wantStatus(t, jsonReport(t, res.stdout).check(t, "tasks"), Fail, ClassOutOfMemory)
}

func TestEssentialContainerExitedShowsTaskLogs(t *testing.T) {
	const id = "5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d"
	sc := healthyScenario()
	sc.service = constService(svc(0, 2, "IN_PROGRESS",
		event(1, "(service "+fxService+") has started 2 tasks: (task "+id+")."),
	))
	sc.stopped = []obj{stoppedTask(id, 1, "EssentialContainerExited", "Essential container in task exited", 1, "")}
	sc.targets = constTargets()
	sc.streams["app/app/"+id] = []logEvent{
		{2, "Operations to perform:"},
		{2, "Traceback (most recent call last):"},
		{1.5, `django.db.utils.OperationalError: connection to server at "taskapi-dev-db-pg-0b6f4c2.abc.us-east-1.rds.amazonaws.com" (10.0.3.7), port 5432 failed: timeout expired`},
	}
	res := runDoctor(t, sc, runOpts{})
	wantExit(t, res, ExitUnhealthy)
	wantContains(t, "stdout", res.stdout,
		"FAIL  tasks",
		"essential-container-exited ×1",
		"the app container exited with code 1",
		"the database is unreachable for `migrate`",
		"Last log lines from /ecs/task-management-api-dev:",
		"== app/app/"+id+" (stopped task "+id+")",
		"django.db.utils.OperationalError",
		"UNHEALTHY",
	)
}

func TestExitCodeZeroMeansCommandFinished(t *testing.T) {
	sc := healthyScenario()
	sc.service = constService(svc(0, 1, "IN_PROGRESS"))
	sc.stopped = []obj{stoppedTask("7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a", 1, "EssentialContainerExited", "Essential container in task exited", 0, "")}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tasks := jsonReport(t, res.stdout).check(t, "tasks")
	wantStatus(t, tasks, Fail, ClassEssentialExited)
	wantContains(t, "tasks fix", tasks.Fix, "exec python -m config.server")
}

// allowedHostsScenario: Django's DisallowedHost. The ALB health check sends the task IP as
// Host → 400, so no target turns healthy and ECS keeps replacing the tasks.
func allowedHostsScenario() *scenario {
	const id = "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c"
	sc := healthyScenario()
	sc.service = constService(svc(1, 2, "IN_PROGRESS",
		event(1, "(service "+fxService+") (port 8000) is unhealthy in (target-group "+fxTG+") due to (reason Health checks failed with these codes: [400])."),
		event(3, "(service "+fxService+") has started 1 tasks: (task "+id+")."),
	))
	sc.stopped = []obj{stoppedTask(id, 2, "ServiceSchedulerInitiated",
		"Task failed ELB health checks in (target-group "+fxTG+")", 137, "")}
	sc.targets = constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "unhealthy", reason: "Target.ResponseCodeMismatch", desc: "Health checks failed with these codes: [400]"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "unhealthy", reason: "Target.ResponseCodeMismatch", desc: "Health checks failed with these codes: [400]"},
	)
	sc.streams["app/app/"+id] = []logEvent{
		{5, "[INFO] Listening at: http://0.0.0.0:8000"},
		{4.5, "Invalid HTTP_HOST header: '10.0.1.23:8000'. You may need to add '10.0.1.23' to ALLOWED_HOSTS."},
		{4.5, "Bad Request: /api/v1/health/"},
		{2.1, "[INFO] Shutting down granian"},
	}
	sc.app = func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<h1>503 Service Temporarily Unavailable</h1>", 503)
	}
	return sc
}

func TestTargetsResponseCodeMismatch400(t *testing.T) {
	sc := allowedHostsScenario()
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	tg := r.check(t, "targets")
	wantStatus(t, tg, Fail, "Target.ResponseCodeMismatch/400")
	wantContains(t, "targets", tg.Cause+tg.Fix, "DisallowedHost", "ALLOWED_HOSTS", "middleware placed first")
	wantContains(t, "targets summary", tg.Summary, "2 unhealthy")
	tasks := r.check(t, "tasks")
	wantStatus(t, tasks, Fail, ClassELBHealthChecks)
	wantContains(t, "tasks cause", tasks.Cause, "not an out-of-memory kill")
	wantStatus(t, r.check(t, "service"), Fail, "unhealthy-targets")
	wantStatus(t, r.check(t, "endpoint"), Fail, "http-503")
}

func TestTargetsResponseCodeMismatch404(t *testing.T) {
	sc := healthyScenario()
	sc.targets = constTargets(targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "unhealthy", reason: "Target.ResponseCodeMismatch", desc: "Health checks failed with these codes: [404]"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "healthy"})
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tg := jsonReport(t, res.stdout).check(t, "targets")
	wantStatus(t, tg, Fail, "Target.ResponseCodeMismatch/404")
	wantContains(t, "targets", tg.Cause+tg.Fix, "health check path "+fxHealth+" does not exist", "trailing slash")
}

func TestTargetsTimeout(t *testing.T) {
	sc := healthyScenario()
	sc.service = constService(svc(2, 2, "IN_PROGRESS"))
	sc.targets = constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "unhealthy", reason: "Target.Timeout", desc: "Request timed out"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "unhealthy", reason: "Target.Timeout", desc: "Request timed out"},
	)
	sc.app = func(w http.ResponseWriter, r *http.Request) { http.Error(w, "502 Bad Gateway", 502) }
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	tg := r.check(t, "targets")
	wantStatus(t, tg, Fail, "Target.Timeout")
	wantContains(t, "targets", tg.Cause+tg.Fix, "security group", "port 8000", "0.0.0.0:8000")
	ep := r.check(t, "endpoint")
	wantStatus(t, ep, Fail, "http-502")
	wantContains(t, "endpoint fix", ep.Fix, "keep-alive idle timeout longer than the ALB's 60 s")
}

func TestTargetsFailedHealthChecks(t *testing.T) {
	sc := healthyScenario()
	sc.targets = constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "unhealthy", reason: "Target.FailedHealthChecks", desc: "Health checks failed"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "healthy"},
	)
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tg := jsonReport(t, res.stdout).check(t, "targets")
	wantStatus(t, tg, Fail, "Target.FailedHealthChecks")
	wantContains(t, "targets", tg.Cause, "nothing listens")
}

func TestTargetGroupMisconfigured(t *testing.T) {
	sc := healthyScenario()
	sc.tg = obj{"HealthCheckPath": "/api/v1/health"}
	sc.tgNoLB = true
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tg := jsonReport(t, res.stdout).check(t, "targets")
	wantStatus(t, tg, Fail, "health-path-mismatch")
	wantContains(t, "targets summary", tg.Summary, "differs from the stack's healthCheckPath", "not attached to a load balancer")
}

func TestTargetsStillRegisteringIsNotHealthy(t *testing.T) {
	sc := healthyScenario()
	sc.targets = constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "healthy"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "initial", reason: "Elb.InitialHealthChecking", desc: "Initial health checks in progress"},
	)
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tg := jsonReport(t, res.stdout).check(t, "targets")
	wantStatus(t, tg, Fail, "Elb.InitialHealthChecking")
	wantContains(t, "targets fix", tg.Fix, "--wait")
}

func TestDrainingTargetsDoNotFail(t *testing.T) {
	sc := healthyScenario()
	sc.targets = constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "healthy"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "healthy"},
		targetFx{ip: "10.0.1.99", az: "us-east-1a", state: "draining", reason: "Target.DeregistrationInProgress", desc: "Target deregistration is in progress"},
	)
	res := runDoctor(t, sc, runOpts{})
	wantExit(t, res, ExitHealthy)
}

func TestEndpointDisallowedHost(t *testing.T) {
	sc := healthyScenario()
	sc.app = func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<h1>Bad Request (400)</h1>", http.StatusBadRequest)
	}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	ep := jsonReport(t, res.stdout).check(t, "endpoint")
	wantStatus(t, ep, Fail, "http-400")
	wantContains(t, "endpoint", ep.Cause+ep.Fix, "ALLOWED_HOSTS", "taskapi-dev-lb-alb-5e1c0a9-123.us-east-1.elb.amazonaws.com")
}

func TestEndpointSlowerThanBound(t *testing.T) {
	sc := healthyScenario()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	sc.app = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	res := runDoctor(t, sc, runOpts{args: []string{"--json", "--http-timeout", "300ms"}})
	wantExit(t, res, ExitUnhealthy)
	ep := jsonReport(t, res.stdout).check(t, "endpoint")
	wantStatus(t, ep, Fail, "unreachable")
	wantContains(t, "endpoint evidence", strings.Join(ep.Evidence, "\n"), "no response within 300ms")
	if res.elapsed > 3*time.Second {
		t.Errorf("took %s: the HTTP bound was not applied", res.elapsed)
	}
}

func TestEndpointUnreachable(t *testing.T) {
	closed := closedAddr(t)
	res := runDoctor(t, healthyScenario(), runOpts{args: []string{"--json"}, appDial: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", closed)
	}})
	wantExit(t, res, ExitUnhealthy)
	ep := jsonReport(t, res.stdout).check(t, "endpoint")
	wantStatus(t, ep, Fail, "unreachable")
	wantContains(t, "endpoint fix", ep.Fix, "ALB's security group")
}

func TestEndpointDNSFailure(t *testing.T) {
	res := runDoctor(t, healthyScenario(), runOpts{
		outputs: func() obj { o := defaultOutputs("https://api.example.com"); return o }(),
		args:    []string{"--json"},
		appDial: func(ctx context.Context) (net.Conn, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "api.example.com", IsNotFound: true}
		},
	})
	wantExit(t, res, ExitUnhealthy)
	ep := jsonReport(t, res.stdout).check(t, "endpoint")
	wantStatus(t, ep, Fail, "dns")
	wantContains(t, "endpoint cause", ep.Cause, "api.example.com does not resolve")
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestAWSEndpointUnreachable(t *testing.T) {
	res := runDoctor(t, healthyScenario(), runOpts{awsEndpoint: "http://" + closedAddr(t), args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	svc := r.check(t, "service")
	wantStatus(t, svc, Fail, "aws-call-failed")
	wantContains(t, "service", svc.Summary+svc.Cause, "endpoint unreachable", "could not reach the ECS API in us-east-1")
	wantStatus(t, r.check(t, "tasks"), Skip, "")
	wantStatus(t, r.check(t, "targets"), Fail, "aws-call-failed")
	if r.Logs == nil || r.Logs.Error == "" {
		t.Errorf("the logs section should say the logs could not be read: %+v", r.Logs)
	}
	if res.elapsed > 5*time.Second {
		t.Errorf("took %s", res.elapsed)
	}
}

func TestClusterNotFound(t *testing.T) {
	out := defaultOutputs(fxURL)
	out["clusterName"] = "taskapi-dev-app-cluster-3f2b7d1-old"
	res := runDoctor(t, healthyScenario(), runOpts{outputs: out, args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	svc := r.check(t, "service")
	wantStatus(t, svc, Fail, "cluster-not-found")
	wantContains(t, "service cause", svc.Cause, "fell back to the shell's region")
	wantContains(t, "region evidence", strings.Join(r.check(t, "region").Evidence, "\n"), "not found in us-east-1")
}

func TestServiceMissing(t *testing.T) {
	sc := healthyScenario()
	sc.missing = true
	res := runDoctor(t, sc, runOpts{args: []string{"--json", "--wait", "10s", "--interval", "50ms"}})
	wantExit(t, res, ExitUnhealthy)
	r := jsonReport(t, res.stdout)
	wantStatus(t, r.check(t, "service"), Fail, "service-not-found")
	wantContains(t, "gaveUp", r.GaveUp, "Stopped waiting: the service check")
	if r.Attempts != 1 || res.elapsed > 3*time.Second {
		t.Errorf("a missing service must stop --wait at once: %d attempts in %s", r.Attempts, res.elapsed)
	}
}

func TestAccessDenied(t *testing.T) {
	sc := healthyScenario()
	sc.serviceErr = &apiError{400, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices"}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	svc := jsonReport(t, res.stdout).check(t, "service")
	wantStatus(t, svc, Fail, "aws-call-failed")
	wantContains(t, "service", svc.Summary+svc.Cause+svc.Fix, "access denied", "ecs:DescribeServices", "ReadOnlyAccess")
}

func TestTargetGroupNotFound(t *testing.T) {
	out := defaultOutputs(fxURL)
	out["targetGroupArn"] = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/taskapi-dev-lb-tg-a71d9e3/ffffffffffffffff"
	res := runDoctor(t, healthyScenario(), runOpts{outputs: out, args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	tg := jsonReport(t, res.stdout).check(t, "targets")
	wantStatus(t, tg, Fail, "target-group-not-found")
	wantContains(t, "targets evidence", strings.Join(tg.Evidence, "\n"), "TargetGroupNotFound")
}

func TestRolloutFailedStopsWaiting(t *testing.T) {
	sc := healthyScenario()
	s := svc(0, 2, "FAILED", event(1, "(service "+fxService+") (deployment "+fxDeploy+") deployment failed: tasks failed to start."))
	sc.service = constService(s)
	sc.targets = constTargets()
	sc.stopped = []obj{stoppedTask("3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b", 1, "EssentialContainerExited", "Essential container in task exited", 127, "")}
	res := runDoctor(t, sc, runOpts{args: []string{"--wait", "10s", "--interval", "50ms"}})
	wantExit(t, res, ExitUnhealthy)
	wantContains(t, "stdout", res.stdout, "rollout FAILED", "circuit breaker", "Stopped waiting: the service check", "command not found")
	if res.elapsed > 3*time.Second {
		t.Errorf("a FAILED rollout must stop --wait early; took %s", res.elapsed)
	}
}

func TestTaskDefinitionDrift(t *testing.T) {
	sc := healthyScenario()
	s := svc(2, 2, "COMPLETED", event(3, "(service "+fxService+") rolling back to deployment "+fxOldDep+"."))
	s["deployments"].([]any)[0].(obj)["taskDefinition"] = fxOldTD
	sc.service = constService(s)
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitUnhealthy)
	svcCheck := jsonReport(t, res.stdout).check(t, "service")
	wantStatus(t, svcCheck, Fail, "task-definition-drift")
	wantContains(t, "service summary", svcCheck.Summary, "service runs taskapi-dev-app:6, stack exported taskapi-dev-app:7")
}

// A task of the current deployment died but the service recovered: worth a warning, not a failure.
func TestRecoveredTaskFailureIsAWarning(t *testing.T) {
	sc := healthyScenario()
	sc.stopped = []obj{
		stoppedTask("6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e", 12, "EssentialContainerExited", "Essential container in task exited", 1, ""),
	}
	older := stoppedTask("8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f", 40, "EssentialContainerExited", "Essential container in task exited", 1, "")
	older["startedBy"], older["taskDefinitionArn"] = fxOldDep, fxOldTD
	replaced := stoppedTask("9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a", 20, "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "+fxDeploy+")", 0, "")
	replaced["startedBy"], replaced["taskDefinitionArn"] = fxOldDep, fxOldTD
	sc.stopped = append(sc.stopped, older, replaced)
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitHealthy)
	r := jsonReport(t, res.stdout)
	tasks := r.check(t, "tasks")
	wantStatus(t, tasks, Warn, ClassEssentialExited)
	wantContains(t, "tasks summary", tasks.Summary, "1 task(s) of the current deployment", "steady state")
	if r.Logs != nil {
		t.Error("no logs expected when the run passes")
	}
}

func TestOlderDeploymentFailuresPass(t *testing.T) {
	sc := healthyScenario()
	older := stoppedTask("8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f", 40, "EssentialContainerExited", "Essential container in task exited", 1, "")
	older["startedBy"], older["taskDefinitionArn"] = fxOldDep, fxOldTD
	sc.stopped = []obj{older}
	res := runDoctor(t, sc, runOpts{args: []string{"--json"}})
	wantExit(t, res, ExitHealthy)
	tasks := jsonReport(t, res.stdout).check(t, "tasks")
	wantStatus(t, tasks, Pass, "")
	wantContains(t, "tasks summary", tasks.Summary, "earlier deployments")
}

func TestLogGroupMissing(t *testing.T) {
	sc := healthyScenario()
	sc.logsMissing = true
	sc.app = func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }
	res := runDoctor(t, sc, runOpts{})
	wantExit(t, res, ExitUnhealthy)
	wantContains(t, "stdout", res.stdout, "log group /ecs/task-management-api-dev does not exist in us-east-1", "hint: The task definition's awslogs-group")
	if res.fake.scopes["logs"] != fxRegion {
		t.Errorf("logs requests signed for %q", res.fake.scopes["logs"])
	}
}

// --wait polls until the rollout completes, printing progress.
func TestWaitUntilHealthy(t *testing.T) {
	sc := healthyScenario()
	sc.service = func(n int) obj {
		if n < 3 {
			return svc(1, 2, "IN_PROGRESS")
		}
		return svc(2, 2, "COMPLETED")
	}
	sc.targets = func(n int) []targetFx {
		if n < 3 {
			return []targetFx{{ip: "10.0.1.23", az: "us-east-1a", state: "healthy"},
				{ip: "10.0.2.41", az: "us-east-1b", state: "initial", reason: "Elb.InitialHealthChecking", desc: "Initial health checks in progress"}}
		}
		return healthyTargets()(n)
	}
	res := runDoctor(t, sc, runOpts{args: []string{"--wait", "20s", "--interval", "20ms", "--json"}})
	wantExit(t, res, ExitHealthy)
	r := jsonReport(t, res.stdout)
	if r.Attempts != 3 {
		t.Errorf("attempts %d, want 3", r.Attempts)
	}
	wantContains(t, "stderr", res.stderr, "until healthy, at most 20s", "attempt 1: not healthy yet: service: 1/2 tasks running; rollout IN_PROGRESS", "attempt 2:")
	if strings.Contains(res.stderr, "attempt 3:") {
		t.Error("no progress line expected after the healthy attempt")
	}
}

// --wait has a hard deadline.
func TestWaitDeadline(t *testing.T) {
	sc := healthyScenario()
	sc.service = constService(svc(1, 2, "IN_PROGRESS"))
	res := runDoctor(t, sc, runOpts{args: []string{"--wait", "500ms", "--interval", "100ms"}})
	wantExit(t, res, ExitUnhealthy)
	wantContains(t, "stdout", res.stdout, "Gave up: --wait 500ms deadline reached", "FAIL  service")
	wantContains(t, "stderr", res.stderr, "attempt 1: not healthy yet")
	if res.elapsed > 3*time.Second {
		t.Errorf("--wait 500ms took %s", res.elapsed)
	}
	if n := res.fake.called("AmazonEC2ContainerServiceV20141113.DescribeServices"); n < 2 {
		t.Errorf("only %d polls in 500ms at a 100ms interval", n)
	}
}

// A poll cut short by the deadline (AWS hangs) still ends on time.
func TestWaitDeadlineWithHangingAWS(t *testing.T) {
	release := make(chan struct{})
	hang := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hang.Serve(l)
	t.Cleanup(func() { close(release); hang.Close() })
	res := runDoctor(t, healthyScenario(), runOpts{awsEndpoint: "http://" + l.Addr().String(),
		args: []string{"--wait", "600ms", "--interval", "50ms", "--timeout", "1s"}})
	wantExit(t, res, ExitUnhealthy)
	// The polls are cut at 600ms; the log excerpt may take one more --timeout (1s).
	if res.elapsed > 4*time.Second {
		t.Errorf("took %s", res.elapsed)
	}
	wantContains(t, "stdout", res.stdout, "timed out")
}

func TestMalformedOutputs(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		edit func(obj)
		want []string
	}{
		{name: "not json", raw: "Current stack outputs (3):\n    OUTPUT  VALUE\n", want: []string{"not a JSON object of stack outputs"}},
		{name: "json array", raw: `["url"]`, want: []string{"not a JSON object of stack outputs"}},
		{name: "null", raw: `null`, want: []string{"got null"}},
		{name: "missing region", edit: func(o obj) { delete(o, "region") }, want: []string{`"region" is missing`}},
		{name: "missing several", edit: func(o obj) { delete(o, "clusterName"); delete(o, "logGroupName") },
			want: []string{`"clusterName" is missing`, `"logGroupName" is missing`}},
		{name: "number", edit: func(o obj) { o["serviceName"] = 42 }, want: []string{`"serviceName" must be a string, got 42`}},
		{name: "secret", edit: func(o obj) { o["url"] = "[secret]" }, want: []string{`"url" is shown as [secret]`}},
		{name: "unpushed image", edit: func(o obj) { o["imageRef"] = "<none>@<none>" }, want: []string{`"imageRef" must be <repository>@sha256:`}},
		{name: "tag not digest", edit: func(o obj) { o["imageRef"] = fxRepo + ":latest" }, want: []string{`"imageRef" must be`}},
		{name: "bad region", edit: func(o obj) { o["region"] = "US East" }, want: []string{`"region" is not an AWS region name`}},
		{name: "bad url", edit: func(o obj) { o["url"] = "taskapi-dev-lb-alb-5e1c0a9-123.us-east-1.elb.amazonaws.com" }, want: []string{`"url" must be an absolute http(s) URL`}},
		{name: "bad path", edit: func(o obj) { o["healthCheckPath"] = "api/v1/health/" }, want: []string{`"healthCheckPath" must start with "/"`}},
		{name: "bad repo", edit: func(o obj) { o["repositoryUrl"] = "docker.io/library/python" }, want: []string{`"repositoryUrl" is not an ECR repository URL`}},
		{name: "bad task def", edit: func(o obj) { o["taskDefinitionArn"] = "taskapi-dev-app:7" }, want: []string{`"taskDefinitionArn" is not an ECS task definition ARN`}},
		{name: "bad tg", edit: func(o obj) { o["targetGroupArn"] = fxTaskDef }, want: []string{`"targetGroupArn" is not an ELBv2 target group ARN`}},
		{name: "empty", edit: func(o obj) { o["clusterName"] = "" }, want: []string{`"clusterName" is empty`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := runOpts{rawOutputs: tc.raw}
			if tc.edit != nil {
				o := defaultOutputs(fxURL)
				tc.edit(o)
				ro.outputs = o
			}
			res := runDoctor(t, healthyScenario(), ro)
			wantExit(t, res, ExitUsage)
			wantContains(t, "stderr", res.stderr, append([]string{"are not usable"}, tc.want...)...)
			if n := len(res.fake.calls); n != 0 {
				t.Errorf("%d AWS calls made with unusable outputs", n)
			}
		})
	}
}

func TestMalformedOutputsJSON(t *testing.T) {
	o := defaultOutputs(fxURL)
	delete(o, "targetGroupArn")
	res := runDoctor(t, healthyScenario(), runOpts{outputs: o, args: []string{"--json"}})
	wantExit(t, res, ExitUsage)
	var v struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatalf("--json error is not JSON: %v: %s", err, res.stdout)
	}
	if v.OK || len(v.Problems) != 1 || !strings.Contains(v.Problems[0], "targetGroupArn") {
		t.Errorf("unexpected error object: %+v", v)
	}
}

func TestOutputsFileMissing(t *testing.T) {
	isolateAWSEnv(t)
	var stdout, stderr strings.Builder
	code := Main(context.Background(), []string{"--outputs", "/nonexistent/outputs.json"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	wantContains(t, "stderr", stderr.String(), "reading --outputs", "/nonexistent/outputs.json")
}

func TestUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := Main(context.Background(), nil, Env{Stdout: &stdout, Stderr: &stderr}); code != ExitUsage {
		t.Errorf("no args: exit %d", code)
	}
	wantContains(t, "usage", stderr.String(), "--stack", "--outputs", "--wait", "--json")
	if strings.Contains(stderr.String(), "endpoint-url") {
		t.Error("the testing flag --endpoint-url shows in the usage")
	}
	stderr.Reset()
	if code := Main(context.Background(), []string{"--stack", "dev", "--wait", "-1s"}, Env{Stdout: &stdout, Stderr: &stderr}); code != ExitUsage {
		t.Errorf("negative wait: exit %d", code)
	}
	stderr.Reset()
	if code := Main(context.Background(), []string{"--bogus"}, Env{Stdout: &stdout, Stderr: &stderr}); code != ExitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
}

func TestStackWithoutPulumiCLI(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr strings.Builder
	code := Main(context.Background(), []string{"--stack", "dev"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	wantContains(t, "stderr", stderr.String(), "pulumi CLI is not on PATH", "--outputs")
}

// ---- unit tests of the classifiers -------------------------------------------------------

func TestParseOutputsIgnoresOtherKeys(t *testing.T) {
	data, _ := json.Marshal(defaultOutputs("https://api.example.com"))
	o, err := ParseOutputs(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	if o.Region != fxRegion || o.ImageRef != fxRepo+"@"+fxDigest || o.URL != "https://api.example.com" {
		t.Errorf("%+v", o)
	}
	var oe *OutputsError
	if _, err := ParseOutputs([]byte(`{}`), "x"); !errors.As(err, &oe) || len(oe.Problems) != len(RequiredOutputs) {
		t.Errorf("empty object: %v", err)
	}
}

func TestRegistryRegion(t *testing.T) {
	for in, want := range map[string]string{
		fxRepo:                  "us-east-1",
		fxRepo + "@" + fxDigest: "us-east-1",
		"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/x:latest": "ap-northeast-1",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/x":    "us-gov-west-1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/x":         "cn-north-1",
	} {
		if got, err := registryRegion(in); err != nil || got != want {
			t.Errorf("registryRegion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := registryRegion("public.ecr.aws/x/y"); err == nil {
		t.Error("public.ecr.aws is not a regional registry")
	}
}

func TestTargetHintCodes(t *testing.T) {
	for code, want := range map[string]string{
		"400": "ALLOWED_HOSTS", "404": "does not exist", "301": "APPEND_SLASH", "403": "AllowAny", "500": "database",
	} {
		h := TargetHint("Target.ResponseCodeMismatch", "Health checks failed with these codes: ["+code+"]", fxHealth, "200")
		if !strings.Contains(h.Cause+h.Fix, want) {
			t.Errorf("%s: %q lacks %q", code, h.Cause+h.Fix, want)
		}
	}
	h := TargetHint("Target.ResponseCodeMismatch", "", fxHealth, "200")
	wantContains(t, "generic mismatch", h.Cause, "health check path", "ALLOWED_HOSTS")
	for reason, want := range map[string]string{
		"Target.NotInUse": "listener", "Target.NotRegistered": "loadBalancers", "Elb.RegistrationInProgress": "Wait",
	} {
		h := TargetHint(reason, "", fxHealth, "200")
		if !strings.Contains(h.Cause+h.Fix, want) {
			t.Errorf("%s: %q lacks %q", reason, h.Cause+h.Fix, want)
		}
	}
}

func TestClassifyTask(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	task := func(stopCode, reason string, exit *int32, creason string) ecstypes.Task {
		return ecstypes.Task{
			StopCode: ecstypes.TaskStopCode(stopCode), StoppedReason: &reason, Memory: aws.String("512"),
			Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: exit, Reason: aws.String(creason), Image: aws.String(fxRepo + "@" + fxDigest)}},
		}
	}
	cases := []struct {
		name  string
		task  ecstypes.Task
		class string
		hint  string
	}{
		{"pull 403 same region", task("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: unexpected status code 403 Forbidden", nil, ""),
			ClassImagePullForbidden, "task execution role lacks ECR read permissions"},
		{"pull not found", task("TaskFailedToStart", "CannotPullContainerError: ref pull has been retried 1 time(s): failed to resolve reference: "+fxRepo+":v2: not found", nil, ""),
			ClassImageNotFound, "never pushed"},
		{"ecr auth timeout", task("TaskFailedToStart", `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 52.46.0.1:443: i/o timeout`, nil, ""),
			ClassImagePullNetwork, "NAT gateway or VPC endpoints"},
		{"secret denied", task("TaskFailedToStart", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException", nil, ""),
			ClassSecrets, "secretsmanager:GetSecretValue"},
		{"oom reason", task("EssentialContainerExited", "Essential container in task exited", i32(137), "OutOfMemoryError: Container killed due to memory usage"),
			ClassOutOfMemory, "512 MiB"},
		{"elb", task("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group "+fxTG+")", i32(137), ""),
			ClassELBHealthChecks, "not an out-of-memory kill"},
		{"container health", task("ServiceSchedulerInitiated", "Task failed container health checks", i32(143), ""),
			ClassContainerHealth, "healthCheck command"},
		{"exit 1", task("EssentialContainerExited", "Essential container in task exited", i32(1), ""),
			ClassEssentialExited, "code 1"},
		{"exit 127", task("EssentialContainerExited", "Essential container in task exited", i32(127), ""),
			ClassEssentialExited, "command not found"},
		{"scale in", task("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "+fxDeploy+")", i32(0), ""),
			ClassReplaced, "on purpose"},
		{"user", task("UserInitiated", "Task stopped by user", i32(143), ""), ClassReplaced, "on purpose"},
		{"spot", task("SpotInterruption", "Your Spot Task was interrupted.", i32(143), ""), "spot-interrupted", "FARGATE_SPOT"},
		{"exit 255", task("EssentialContainerExited", "Essential container in task exited", i32(255), ""), ClassEssentialExited, "exec format error"},
	}
	for _, tc := range cases {
		h := ClassifyTask(tc.task, fxRegion)
		if h.Class != tc.class || !strings.Contains(h.Cause+" "+h.Fix, tc.hint) {
			t.Errorf("%s: got %s %q / %q; want %s containing %q", tc.name, h.Class, h.Cause, h.Fix, tc.class, tc.hint)
		}
	}
}
