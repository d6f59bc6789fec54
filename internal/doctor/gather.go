package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The container's name in the task definition and its awslogs stream prefix (see the README).
const (
	ContainerName   = "app"
	LogStreamPrefix = "app"
	ContainerPort   = 8000
	maxStoppedTasks = 10
)

// Snapshot is everything the doctor fetched in one pass; checks are pure functions of it.
type Snapshot struct {
	Now     time.Time
	Outputs Outputs

	ShellRegion, ShellRegionSource string

	Service        *ecstypes.Service
	ServiceFailure *ecstypes.Failure // DescribeServices "failures" entry (e.g. MISSING)
	ServiceErr     error

	TaskDef    *ecstypes.TaskDefinition
	TaskDefErr error

	Stopped    []ecstypes.Task // newest first
	StoppedErr error

	TargetGroup    *elbtypes.TargetGroup
	TargetGroupErr error
	Targets        []elbtypes.TargetHealthDescription
	TargetsErr     error

	HTTP HTTPResult
}

// HTTPResult is the outcome of GET url+healthCheckPath.
type HTTPResult struct {
	URL       string
	Status    int
	Latency   time.Duration
	Body      string
	Redirects []string
	Err       error
}

// gatherer runs the AWS and HTTP calls of one pass, each bounded by its own timeout.
type gatherer struct {
	clients     *Clients
	timeout     time.Duration // per AWS call
	httpTimeout time.Duration // for the endpoint GET
	httpClient  *http.Client
}

func (g *gatherer) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.timeout)
}

func (g *gatherer) gather(ctx context.Context, o Outputs, now time.Time) *Snapshot {
	s := &Snapshot{Now: now, Outputs: o, ShellRegion: g.clients.ShellRegion, ShellRegionSource: g.clients.ShellRegionSource}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); g.gatherECS(ctx, s) }()
	go func() { defer wg.Done(); g.gatherELB(ctx, s) }()
	go func() { defer wg.Done(); s.HTTP = g.get(ctx, endpointURL(o)) }()
	wg.Wait()
	return s
}

func (g *gatherer) gatherECS(ctx context.Context, s *Snapshot) {
	o := s.Outputs
	cctx, cancel := g.call(ctx)
	out, err := g.clients.ECS.DescribeServices(cctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(o.ClusterName),
		Services: []string{o.ServiceName},
	})
	cancel()
	switch {
	case err != nil:
		s.ServiceErr = err
	case len(out.Services) > 0:
		s.Service = &out.Services[0]
	case len(out.Failures) > 0:
		s.ServiceFailure = &out.Failures[0]
	default:
		s.ServiceErr = errors.New("DescribeServices returned neither the service nor a failure")
	}
	if code, _ := apiErr(err); err != nil && code == "" {
		// The ECS endpoint is unreachable: the other ECS calls would only repeat the wait.
		s.TaskDefErr, s.StoppedErr = err, err
		return
	}
	if s.Service == nil {
		return
	}

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		td := o.TaskDefinitionArn
		if p := primaryDeployment(s.Service); p != nil && p.TaskDefinition != nil {
			td = *p.TaskDefinition
		}
		cctx, cancel := g.call(ctx)
		defer cancel()
		out, err := g.clients.ECS.DescribeTaskDefinition(cctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
		if err != nil {
			s.TaskDefErr = err
			return
		}
		s.TaskDef = out.TaskDefinition
	}()
	go func() {
		defer wg.Done()
		s.Stopped, s.StoppedErr = g.stoppedTasks(ctx, o)
	}()
	wg.Wait()
}

func (g *gatherer) stoppedTasks(ctx context.Context, o Outputs) ([]ecstypes.Task, error) {
	cctx, cancel := g.call(ctx)
	list, err := g.clients.ECS.ListTasks(cctx, &ecs.ListTasksInput{
		Cluster:       aws.String(o.ClusterName),
		ServiceName:   aws.String(o.ServiceName),
		DesiredStatus: ecstypes.DesiredStatusStopped,
		MaxResults:    aws.Int32(2 * maxStoppedTasks),
	})
	cancel()
	if err != nil {
		return nil, err
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	cctx, cancel = g.call(ctx)
	defer cancel()
	desc, err := g.clients.ECS.DescribeTasks(cctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(o.ClusterName),
		Tasks:   list.TaskArns,
	})
	if err != nil {
		return nil, err
	}
	tasks := desc.Tasks
	sort.SliceStable(tasks, func(i, j int) bool { return timeOf(tasks[i].StoppedAt).After(timeOf(tasks[j].StoppedAt)) })
	if len(tasks) > maxStoppedTasks {
		tasks = tasks[:maxStoppedTasks]
	}
	return tasks, nil
}

func (g *gatherer) gatherELB(ctx context.Context, s *Snapshot) {
	arn := s.Outputs.TargetGroupArn
	cctx, cancel := g.call(ctx)
	tg, err := g.clients.ELB.DescribeTargetGroups(cctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	cancel()
	switch {
	case err != nil:
		s.TargetGroupErr = err
		if code, _ := apiErr(err); code == "" || code == "TargetGroupNotFound" {
			s.TargetsErr = err
			return
		}
	case len(tg.TargetGroups) == 0:
		s.TargetGroupErr = errors.New("DescribeTargetGroups returned no target group")
	default:
		s.TargetGroup = &tg.TargetGroups[0]
	}
	cctx, cancel = g.call(ctx)
	defer cancel()
	th, err := g.clients.ELB.DescribeTargetHealth(cctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		s.TargetsErr = err
		return
	}
	s.Targets = th.TargetHealthDescriptions
}

func endpointURL(o Outputs) string {
	return strings.TrimRight(o.URL, "/") + o.HealthCheckPath
}

// get fetches the health URL, following at most 5 redirects, bounded by httpTimeout in total.
func (g *gatherer) get(ctx context.Context, target string) HTTPResult {
	res := HTTPResult{URL: target}
	cctx, cancel := context.WithTimeout(ctx, g.httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, target, nil)
	if err != nil {
		res.Err = err
		return res
	}
	req.Header.Set("User-Agent", "task-management-api-doctor/1")
	client := *g.httpClient
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		res.Redirects = append(res.Redirects, fmt.Sprintf("%d → %s", r.Response.StatusCode, r.URL))
		if len(via) > 5 {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		return nil
	}
	start := time.Now()
	resp, err := client.Do(req)
	res.Latency = time.Since(start)
	if err != nil {
		res.Err = err
		if cctx.Err() != nil {
			res.Err = fmt.Errorf("no response within %s: %w", g.httpTimeout, err)
		}
		return res
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	res.Status = resp.StatusCode
	res.Body = strings.TrimSpace(string(body))
	return res
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func primaryDeployment(svc *ecstypes.Service) *ecstypes.Deployment {
	if svc == nil {
		return nil
	}
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}
