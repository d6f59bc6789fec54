package doctor

// A fake AWS that answers the services' real wire protocols, so the real SDK clients are
// exercised end to end: ECS and CloudWatch Logs speak JSON 1.1 (POST /, X-Amz-Target,
// application/x-amz-json-1.1, epoch-second timestamps, errors as {"__type","message"});
// ELBv2 speaks the query protocol (form-encoded Action=…&Version=2015-12-01, XML answers
// wrapped in <XResponse><XResult>, errors as <ErrorResponse><Error><Code>).

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	fxAccount  = "123456789012"
	fxRegion   = "us-east-1"
	fxCluster  = "taskapi-dev-app-cluster-3f2b7d1"
	fxService  = "taskapi-dev-app-service-8c4e2a0"
	fxTaskDef  = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskapi-dev-app:7"
	fxOldTD    = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskapi-dev-app:6"
	fxTG       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/taskapi-dev-lb-tg-a71d9e3/0123456789abcdef"
	fxALB      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/taskapi-dev-lb-alb-5e1c0a9/fedcba9876543210"
	fxLogGroup = "/ecs/task-management-api-dev"
	fxRepo     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/taskapi-dev-app"
	fxDigest   = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
	fxURL      = "http://taskapi-dev-lb-alb-5e1c0a9-123.us-east-1.elb.amazonaws.com"
	fxHealth   = "/api/v1/health/"
	fxDeploy   = "ecs-svc/1111111111111111111"
	fxOldDep   = "ecs-svc/0000000000000000000"
)

// fxNow is the fixed clock of every scenario; fixture times are relative to it.
var fxNow = time.Date(2025, 11, 26, 18, 30, 0, 0, time.UTC)

func at(minutesAgo float64) float64 {
	return float64(fxNow.Add(-time.Duration(minutesAgo * float64(time.Minute))).Unix())
}

type obj = map[string]any

type apiError struct {
	status  int
	code    string
	message string
}

type targetFx struct {
	ip, az, state, reason, desc string
}

type logEvent struct {
	minutesAgo float64
	msg        string
}

// scenario is one state of the deployment as AWS would describe it.
type scenario struct {
	// service returns the DescribeServices service object for the n-th call (from 1).
	service    func(n int) obj
	serviceErr *apiError
	missing    bool // answer with a MISSING failure

	taskDefImage  string
	taskDefLogsRg string
	stopped       []obj
	tasksErr      *apiError

	tg          obj // DescribeTargetGroups member fields (XML element name → value)
	tgNoLB      bool
	tgErr       *apiError
	targets     func(n int) []targetFx
	targetsErr  *apiError
	logsMissing bool
	streams     map[string][]logEvent
	streamOrder []string

	app http.HandlerFunc
}

type fakeAWS struct {
	t  *testing.T
	sc *scenario

	mu           sync.Mutex
	calls        []string
	scopes       map[string]string // signing service → region in the credential scope
	badRequests  []string
	nServices    int
	nTargetCalls int
}

var scopeRe = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// The client gave up mid-request (a --wait deadline cancelled it): nothing to answer or judge.
		return
	}
	f.mu.Lock()
	if m := scopeRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		f.scopes[m[2]] = m[1]
	} else {
		f.badRequests = append(f.badRequests, "unsigned request "+r.Header.Get("X-Amz-Target"))
	}
	f.mu.Unlock()

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" || r.Method != http.MethodPost || r.URL.Path != "/" {
			f.bad("json request %s with content type %q, %s %s", target, ct, r.Method, r.URL.Path)
		}
		var in obj
		if err := json.Unmarshal(body, &in); err != nil {
			f.bad("%s body is not JSON: %v", target, err)
		}
		f.record(target)
		svc, op, _ := strings.Cut(target, ".")
		switch svc {
		case "AmazonEC2ContainerServiceV20141113":
			f.ecs(w, op, in)
		case "Logs_20140328":
			f.logs(w, op, in)
		default:
			jsonError(w, &apiError{400, "UnknownOperationException", "unknown target " + target})
		}
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := parseForm(body)
		if err != nil {
			f.bad("bad form: %v", err)
		}
		if form.Get("Version") != "2015-12-01" {
			f.bad("ELBv2 Version %q", form.Get("Version"))
		}
		f.record("elbv2." + form.Get("Action"))
		f.elb(w, form.Get("Action"), form)
		return
	}
	f.bad("unrecognised request %s %s", r.Method, r.URL)
	http.Error(w, "no", http.StatusBadRequest)
}

func (f *fakeAWS) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeAWS) bad(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.badRequests = append(f.badRequests, fmt.Sprintf(format, args...))
}

func (f *fakeAWS) called(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	_ = json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(obj{"__type": e.code, "message": e.message})
}

func str(v any) string { s, _ := v.(string); return s }

func (f *fakeAWS) ecs(w http.ResponseWriter, op string, in obj) {
	sc := f.sc
	if in["cluster"] != nil && str(in["cluster"]) != fxCluster {
		jsonError(w, &apiError{400, "ClusterNotFoundException", "Cluster not found."})
		return
	}
	switch op {
	case "DescribeServices":
		f.mu.Lock()
		f.nServices++
		n := f.nServices
		f.mu.Unlock()
		if sc.serviceErr != nil {
			jsonError(w, sc.serviceErr)
			return
		}
		svcs, _ := in["services"].([]any)
		if len(svcs) != 1 || str(svcs[0]) != fxService || sc.missing {
			writeJSON(w, obj{"services": []any{}, "failures": []any{obj{
				"arn": "arn:aws:ecs:us-east-1:123456789012:service/" + fxCluster + "/" + fxService, "reason": "MISSING"}}})
			return
		}
		writeJSON(w, obj{"services": []any{sc.service(n)}, "failures": []any{}})
	case "DescribeTaskDefinition":
		td := str(in["taskDefinition"])
		if !strings.HasPrefix(td, "arn:aws:ecs:us-east-1:123456789012:task-definition/taskapi-dev-app:") {
			jsonError(w, &apiError{400, "ClientException", "Unable to describe task definition."})
			return
		}
		img := sc.taskDefImage
		if img == "" {
			img = fxRepo + "@" + fxDigest
		}
		lr := sc.taskDefLogsRg
		if lr == "" {
			lr = fxRegion
		}
		writeJSON(w, obj{"taskDefinition": obj{
			"taskDefinitionArn": td, "family": "taskapi-dev-app", "revision": 7, "cpu": "256", "memory": "512",
			"networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "status": "ACTIVE",
			"containerDefinitions": []any{obj{
				"name": "app", "image": img, "essential": true,
				"portMappings": []any{obj{"containerPort": 8000, "protocol": "tcp"}},
				"logConfiguration": obj{"logDriver": "awslogs", "options": obj{
					"awslogs-group": fxLogGroup, "awslogs-region": lr, "awslogs-stream-prefix": "app"}},
			}},
		}})
	case "ListTasks":
		if sc.tasksErr != nil {
			jsonError(w, sc.tasksErr)
			return
		}
		if str(in["serviceName"]) != fxService || str(in["desiredStatus"]) != "STOPPED" {
			f.bad("ListTasks input %v", in)
		}
		var arns []string
		for _, t := range sc.stopped {
			arns = append(arns, str(t["taskArn"]))
		}
		writeJSON(w, obj{"taskArns": arns})
	case "DescribeTasks":
		want, _ := in["tasks"].([]any)
		var out []any
		for _, a := range want {
			for _, t := range sc.stopped {
				if str(t["taskArn"]) == str(a) {
					out = append(out, t)
				}
			}
		}
		writeJSON(w, obj{"tasks": out, "failures": []any{}})
	default:
		jsonError(w, &apiError{400, "UnknownOperationException", op})
	}
}

func (f *fakeAWS) logs(w http.ResponseWriter, op string, in obj) {
	sc := f.sc
	if str(in["logGroupName"]) != fxLogGroup || sc.logsMissing {
		jsonError(w, &apiError{400, "ResourceNotFoundException", "The specified log group does not exist."})
		return
	}
	switch op {
	case "DescribeLogStreams":
		if str(in["orderBy"]) != "LastEventTime" || in["descending"] != true {
			f.bad("DescribeLogStreams input %v", in)
		}
		var streams []any
		for _, name := range sc.streamOrder {
			ev := sc.streams[name]
			last := fxNow
			if len(ev) > 0 {
				last = fxNow.Add(-time.Duration(ev[len(ev)-1].minutesAgo * float64(time.Minute)))
			}
			streams = append(streams, obj{"logStreamName": name, "lastEventTimestamp": last.UnixMilli(), "creationTime": last.Add(-time.Hour).UnixMilli()})
		}
		writeJSON(w, obj{"logStreams": streams})
	case "GetLogEvents":
		ev, ok := sc.streams[str(in["logStreamName"])]
		if !ok {
			jsonError(w, &apiError{400, "ResourceNotFoundException", "The specified log stream does not exist."})
			return
		}
		limit := int(in["limit"].(float64))
		if in["startFromHead"] != false {
			f.bad("GetLogEvents must read from the tail: %v", in)
		}
		if len(ev) > limit {
			ev = ev[len(ev)-limit:]
		}
		var out []any
		for _, e := range ev {
			ts := fxNow.Add(-time.Duration(e.minutesAgo * float64(time.Minute))).UnixMilli()
			out = append(out, obj{"timestamp": ts, "message": e.msg + "\n", "ingestionTime": ts + 200})
		}
		writeJSON(w, obj{"events": out, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"})
	default:
		jsonError(w, &apiError{400, "UnknownOperationException", op})
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func xmlResponse(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <%[1]sResult>%[2]s</%[1]sResult>
  <ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata>
</%[1]sResponse>`, action, result)
}

func xmlError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>11111111-2222-3333-4444-555555555555</RequestId>
</ErrorResponse>`, e.code, xmlEscape(e.message))
}

func (f *fakeAWS) elb(w http.ResponseWriter, action string, form formValues) {
	sc := f.sc
	switch action {
	case "DescribeTargetGroups":
		if sc.tgErr != nil {
			xmlError(w, sc.tgErr)
			return
		}
		if form.Get("TargetGroupArns.member.1") != fxTG {
			xmlError(w, &apiError{400, "TargetGroupNotFound", "One or more target groups not found"})
			return
		}
		fields := obj{
			"TargetGroupArn": fxTG, "TargetGroupName": "taskapi-dev-lb-tg-a71d9e3", "Protocol": "HTTP", "Port": "8000",
			"VpcId": "vpc-0abc", "HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port",
			"HealthCheckEnabled": "true", "HealthCheckIntervalSeconds": "10", "HealthCheckTimeoutSeconds": "5",
			"HealthyThresholdCount": "2", "UnhealthyThresholdCount": "3", "HealthCheckPath": fxHealth,
			"TargetType": "ip", "IpAddressType": "ipv4",
		}
		for k, v := range sc.tg {
			fields[k] = v
		}
		var b strings.Builder
		for _, k := range sortedKeys(fields) {
			fmt.Fprintf(&b, "<%s>%s</%s>", k, xmlEscape(fmt.Sprint(fields[k])), k)
		}
		b.WriteString("<Matcher><HttpCode>200</HttpCode></Matcher>")
		if sc.tgNoLB {
			b.WriteString("<LoadBalancerArns/>")
		} else {
			fmt.Fprintf(&b, "<LoadBalancerArns><member>%s</member></LoadBalancerArns>", fxALB)
		}
		xmlResponse(w, action, "<TargetGroups><member>"+b.String()+"</member></TargetGroups>")
	case "DescribeTargetHealth":
		f.mu.Lock()
		f.nTargetCalls++
		n := f.nTargetCalls
		f.mu.Unlock()
		if sc.targetsErr != nil {
			xmlError(w, sc.targetsErr)
			return
		}
		if form.Get("TargetGroupArn") != fxTG {
			xmlError(w, &apiError{400, "TargetGroupNotFound", "Target groups '" + form.Get("TargetGroupArn") + "' not found"})
			return
		}
		var b strings.Builder
		for _, t := range sc.targets(n) {
			b.WriteString("<member><HealthCheckPort>8000</HealthCheckPort><TargetHealth>")
			fmt.Fprintf(&b, "<State>%s</State>", t.state)
			if t.reason != "" {
				fmt.Fprintf(&b, "<Reason>%s</Reason>", t.reason)
			}
			if t.desc != "" {
				fmt.Fprintf(&b, "<Description>%s</Description>", xmlEscape(t.desc))
			}
			fmt.Fprintf(&b, "</TargetHealth><Target><Port>8000</Port><Id>%s</Id><AvailabilityZone>%s</AvailabilityZone></Target></member>", t.ip, t.az)
		}
		xmlResponse(w, action, "<TargetHealthDescriptions>"+b.String()+"</TargetHealthDescriptions>")
	default:
		xmlError(w, &apiError{400, "InvalidAction", "Could not find operation " + action})
	}
}

type formValues map[string][]string

func (v formValues) Get(k string) string {
	if vs := v[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func parseForm(body []byte) (formValues, error) {
	r, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return formValues(r.PostForm), nil
}

// ---- fixtures ------------------------------------------------------------------------

func event(minutesAgo float64, msg string) obj {
	return obj{"id": fmt.Sprintf("e-%v", minutesAgo), "createdAt": at(minutesAgo), "message": msg}
}

// svc builds a DescribeServices service object.
func svc(running, desired int, rollout string, events ...obj) obj {
	evs := make([]any, len(events))
	for i, e := range events {
		evs[i] = e
	}
	deps := []any{obj{
		"id": fxDeploy, "status": "PRIMARY", "taskDefinition": fxTaskDef, "desiredCount": desired,
		"pendingCount": max(desired-running, 0), "runningCount": running, "failedTasks": 0,
		"createdAt": at(25), "updatedAt": at(2), "launchType": "FARGATE",
		"rolloutState": rollout, "rolloutStateReason": rolloutReason(rollout),
	}}
	return obj{
		"serviceArn":  "arn:aws:ecs:us-east-1:123456789012:service/" + fxCluster + "/" + fxService,
		"serviceName": fxService, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/" + fxCluster,
		"status": "ACTIVE", "desiredCount": desired, "runningCount": running, "pendingCount": max(desired-running, 0),
		"launchType": "FARGATE", "taskDefinition": fxTaskDef, "deployments": deps, "events": evs,
		"loadBalancers":                 []any{obj{"targetGroupArn": fxTG, "containerName": "app", "containerPort": 8000}},
		"healthCheckGracePeriodSeconds": 60,
	}
}

func rolloutReason(state string) string {
	switch state {
	case "COMPLETED":
		return "ECS deployment " + fxDeploy + " completed."
	case "FAILED":
		return "ECS deployment circuit breaker: tasks failed to start."
	}
	return "ECS deployment " + fxDeploy + " in progress."
}

func constService(o obj) func(int) obj { return func(int) obj { return o } }

func constTargets(t ...targetFx) func(int) []targetFx { return func(int) []targetFx { return t } }

func healthyTargets() func(int) []targetFx {
	return constTargets(
		targetFx{ip: "10.0.1.23", az: "us-east-1a", state: "healthy"},
		targetFx{ip: "10.0.2.41", az: "us-east-1b", state: "healthy"},
	)
}

// stoppedTask builds a DescribeTasks task object.
func stoppedTask(id string, minutesAgo float64, stopCode, reason string, exit any, containerReason string) obj {
	c := obj{"name": "app", "image": fxRepo + "@" + fxDigest, "lastStatus": "STOPPED",
		"containerArn": "arn:aws:ecs:us-east-1:123456789012:container/" + fxCluster + "/" + id + "/c1"}
	if exit != nil {
		c["exitCode"] = exit
	}
	if containerReason != "" {
		c["reason"] = containerReason
	}
	return obj{
		"taskArn":           "arn:aws:ecs:us-east-1:123456789012:task/" + fxCluster + "/" + id,
		"taskDefinitionArn": fxTaskDef, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/" + fxCluster,
		"lastStatus": "STOPPED", "desiredStatus": "STOPPED", "launchType": "FARGATE", "cpu": "256", "memory": "512",
		"startedBy": fxDeploy, "group": "service:" + fxService, "stopCode": stopCode, "stoppedReason": reason,
		"createdAt": at(minutesAgo + 3), "stoppedAt": at(minutesAgo), "containers": []any{c},
	}
}

func healthyApp(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != fxHealth {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"status": "ok"}`)
}

func healthyScenario() *scenario {
	return &scenario{
		service: constService(svc(2, 2, "COMPLETED",
			event(4, "(service "+fxService+") has reached a steady state."),
			event(6, "(service "+fxService+") (deployment "+fxDeploy+") deployment completed."),
			event(9, "(service "+fxService+") registered 2 targets in (target-group "+fxTG+")"),
		)),
		targets: healthyTargets(),
		streams: map[string][]logEvent{
			"app/app/9f1c2d3e4b5a69788796a5b4c3d2e1f0": {
				{8, "[INFO] Starting granian (main PID: 1)"},
				{8, "[INFO] Listening at: http://0.0.0.0:8000"},
			},
		},
		streamOrder: []string{"app/app/9f1c2d3e4b5a69788796a5b4c3d2e1f0"},
		app:         healthyApp,
	}
}

func defaultOutputs(url string) obj {
	return obj{
		"url": url, "healthCheckPath": fxHealth, "region": fxRegion,
		"repositoryUrl": fxRepo, "imageRef": fxRepo + "@" + fxDigest,
		"clusterName": fxCluster, "serviceName": fxService, "taskDefinitionArn": fxTaskDef,
		"targetGroupArn": fxTG, "logGroupName": fxLogGroup,
		// outputs the doctor ignores
		"albDnsName": "taskapi-dev-lb-alb-5e1c0a9-123.us-east-1.elb.amazonaws.com", "albZoneId": "Z35SXDOTRQ7X7K",
		"vpcId": "vpc-0abc", "databaseEndpoint": "taskapi-dev-db-pg-0b6f4c2.abc.us-east-1.rds.amazonaws.com:5432",
		"databaseSecretArn": "[secret]", "targetGroupArnSuffix": "targetgroup/taskapi-dev-lb-tg-a71d9e3/0123456789abcdef",
	}
}

// ---- running the doctor against a scenario ---------------------------------------------

type result struct {
	code     int
	stdout   string
	stderr   string
	elapsed  time.Duration
	fake     *fakeAWS
	appCalls int
}

type runOpts struct {
	outputs    obj    // nil → defaultOutputs(fxURL)
	rawOutputs string // written verbatim when set
	args       []string
	// appDial overrides where the endpoint GET connects ("" = the scenario's app server).
	appDial func(ctx context.Context) (net.Conn, error)
	// awsEndpoint overrides the base endpoint ("" = the fake AWS).
	awsEndpoint string
}

// isolateAWSEnv keeps the developer's AWS configuration out of the tests.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv(EndpointEnv, "")
	// A shell region that differs from the stack's: the doctor must ignore it.
	t.Setenv("AWS_REGION", "ap-northeast-1")
	t.Setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
}

func runDoctor(t *testing.T, sc *scenario, ro runOpts) result {
	t.Helper()
	isolateAWSEnv(t)
	fake := &fakeAWS{t: t, sc: sc, scopes: map[string]string{}}
	awsSrv := httptest.NewServer(fake)
	t.Cleanup(awsSrv.Close)

	var appMu sync.Mutex
	appCalls := 0
	app := sc.app
	if app == nil {
		app = healthyApp
	}
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appMu.Lock()
		appCalls++
		appMu.Unlock()
		app(w, r)
	}))
	t.Cleanup(appSrv.Close)

	// The endpoint GET goes to the ALB's host name; the dialer sends it to the local app
	// server, so no name is resolved and nothing leaves the machine.
	dial := ro.appDial
	if dial == nil {
		dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", appSrv.Listener.Addr().String())
		}
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableKeepAlives: true,
	}}

	dir := t.TempDir()
	outPath := filepath.Join(dir, "outputs.json")
	data := []byte(ro.rawOutputs)
	if ro.rawOutputs == "" {
		o := ro.outputs
		if o == nil {
			o = defaultOutputs(fxURL)
		}
		data, _ = json.MarshalIndent(o, "", "  ")
	}
	if err := os.WriteFile(outPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint := awsSrv.URL
	if ro.awsEndpoint != "" {
		endpoint = ro.awsEndpoint
	}
	args := append([]string{"--outputs", outPath, "--endpoint-url", endpoint, "--timeout", "2s", "--http-timeout", "2s"}, ro.args...)

	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Main(context.Background(), args, Env{
		Stdout:      &stdout,
		Stderr:      &stderr,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDDOCTORTEST", "fake-secret-key", ""),
		MaxAttempts: 1,
		Now:         func() time.Time { return fxNow },
		HTTPClient:  hc,
	})
	res := result{code: code, stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start), fake: fake}
	appMu.Lock()
	res.appCalls = appCalls
	appMu.Unlock()
	fake.mu.Lock()
	bad := append([]string(nil), fake.badRequests...)
	fake.mu.Unlock()
	for _, b := range bad {
		t.Errorf("fake AWS got a malformed request: %s", b)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("exit %d\n--- stdout\n%s--- stderr\n%s", code, res.stdout, res.stderr)
		}
	})
	return res
}
