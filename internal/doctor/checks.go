package doctor

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Evaluate turns a snapshot into the ordered list of checks.
func Evaluate(s *Snapshot) []Check {
	svc := checkService(s)
	return []Check{
		checkRegion(s),
		svc,
		checkStoppedTasks(s, svc),
		checkTargets(s),
		checkEndpoint(s),
	}
}

// ---- 1. region consistency -------------------------------------------------------------

func checkRegion(s *Snapshot) Check {
	o := s.Outputs
	c := Check{Name: "region", Title: "Region consistency"}
	want := o.Region
	type source struct{ what, region, kind string }
	var sources []source
	add := func(what, region, kind string) { sources = append(sources, source{what, region, kind}) }

	if r, err := registryRegion(o.RepositoryURL); err == nil {
		add("ECR registry of repositoryUrl", r, "ecr")
	}
	if r, err := registryRegion(o.ImageRef); err == nil {
		add("ECR registry of imageRef", r, "ecr")
	}
	if a, ok := parseARN(o.TaskDefinitionArn); ok {
		add("taskDefinitionArn", a.Region, "arn")
	}
	if a, ok := parseARN(o.TargetGroupArn); ok {
		add("targetGroupArn", a.Region, "arn")
	}
	if r, ok := albRegion(o.URL); ok {
		add("ALB host name in url", r, "arn")
	}
	if s.Service != nil {
		if a, ok := parseARN(aws.ToString(s.Service.ClusterArn)); ok {
			add("ECS cluster", a.Region, "cluster")
		}
	}
	if s.TaskDef != nil {
		for _, cd := range s.TaskDef.ContainerDefinitions {
			if aws.ToString(cd.Name) != ContainerName {
				continue
			}
			img := aws.ToString(cd.Image)
			if r, err := registryRegion(img); err == nil {
				add(fmt.Sprintf("image the service runs (%s)", shortTaskDef(aws.ToString(s.TaskDef.TaskDefinitionArn))), r, "ecr")
			} else {
				c.Evidence = append(c.Evidence, fmt.Sprintf("image the service runs is not from ECR: %s", img))
			}
			if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == "awslogs" {
				if r := lc.Options["awslogs-region"]; r != "" {
					add("awslogs-region", r, "logs")
				}
				if g := lc.Options["awslogs-group"]; g != "" && g != o.LogGroupName {
					c.Evidence = append(c.Evidence, fmt.Sprintf("note: the container logs to %s, not the stack's logGroupName %s", g, o.LogGroupName))
				}
			}
		}
	}

	var bad []source
	var agree []string
	for _, src := range sources {
		if src.region != want {
			bad = append(bad, src)
		} else {
			agree = append(agree, src.what)
		}
	}
	if len(bad) == 0 {
		c.Evidence = append(c.Evidence, fmt.Sprintf("stack region (output \"region\") %s, and the same in: %s", want, strings.Join(agree, ", ")))
	} else {
		c.Evidence = append(c.Evidence, fmt.Sprintf("stack region (output \"region\"): %s", want))
		for _, src := range sources {
			mark := "ok"
			if src.region != want {
				mark = "MISMATCH"
			}
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s: %s  %s", src.what, src.region, mark))
		}
	}
	if s.Service == nil && isClusterNotFound(s) {
		c.Evidence = append(c.Evidence, fmt.Sprintf("ECS cluster %s: not found in %s (see the service check)", o.ClusterName, want))
	}
	shell := s.ShellRegion
	if shell == "" {
		shell = "(none set)"
	}
	note := ""
	if s.ShellRegion != "" && s.ShellRegion != want {
		note = fmt.Sprintf(": differs, ignored (the doctor always uses the stack's %s; an aws provider without an explicit region would have used it)", want)
	}
	c.Evidence = append(c.Evidence, fmt.Sprintf("shell default region (%s): %s%s", s.ShellRegionSource, shell, note))

	if len(bad) == 0 {
		c.Status = Pass
		c.Summary = fmt.Sprintf("image registry, cluster and stack agree on %s", want)
		if s.Service == nil {
			c.Summary = fmt.Sprintf("image registry and stack outputs agree on %s (cluster not confirmed)", want)
		}
		return c
	}
	c.Status, c.Terminal = Fail, true
	var parts []string
	ecrBad := false
	for _, b := range bad {
		parts = append(parts, fmt.Sprintf("%s is in %s", b.what, b.region))
		if b.kind == "ecr" {
			ecrBad = true
		}
	}
	c.Summary = fmt.Sprintf("not everything is in %s: %s", want, strings.Join(parts, "; "))
	if ecrBad {
		c.Class = "registry-region-mismatch"
		c.Cause = fmt.Sprintf("The image lives in an ECR registry outside %s, where the service runs. This is the seed guide's "+
			"CannotPullContainerError 403: the repository was created in whatever region the shell's AWS CLI defaulted to.", want)
		c.Fix = "Create the repository with the same explicit aws provider as the cluster (region from aws:region in Pulumi.<stack>.yaml, " +
			"never AWS_REGION or the profile), then `make up STACK=<stack>` to rebuild and push the image there."
	} else {
		c.Class = "resource-region-mismatch"
		c.Cause = fmt.Sprintf("The stack's resources are not in the region its \"region\" output names (%s): a resource was created "+
			"by a provider that fell back to the shell's region.", want)
		c.Fix = "Set aws:region in Pulumi.<stack>.yaml, give every aws resource the explicit provider, and `make up` (then `pulumi refresh`)."
	}
	return c
}

func isClusterNotFound(s *Snapshot) bool {
	code, _ := apiErr(s.ServiceErr)
	return code == "ClusterNotFoundException"
}

// ---- 2. ECS service ----------------------------------------------------------------------

func checkService(s *Snapshot) Check {
	o := s.Outputs
	c := Check{Name: "service", Title: "ECS service"}
	if s.ServiceErr != nil {
		c.Status = Fail
		code, msg := apiErr(s.ServiceErr)
		if code == "ClusterNotFoundException" {
			c.Summary = fmt.Sprintf("cluster %s not found in %s", o.ClusterName, o.Region)
			c.Class, c.Terminal = "cluster-not-found", true
			c.Evidence = []string{fmt.Sprintf("DescribeServices: %s: %s", code, msg)}
			c.Cause = fmt.Sprintf("There is no cluster %q in %s. Either the stack was never deployed (or was destroyed), or its "+
				"resources went to another region because the aws provider fell back to the shell's region.", o.ClusterName, o.Region)
			c.Fix = "Run `make up STACK=<stack>` and check aws:region in Pulumi.<stack>.yaml; `pulumi stack output` must come from the same stack."
			return c
		}
		c.Summary, c.Cause, c.Fix, c.Terminal = callFailure("ECS", "DescribeServices", o.Region, s.ServiceErr)
		c.Class = "aws-call-failed"
		return c
	}
	if s.ServiceFailure != nil {
		c.Status, c.Terminal, c.Class = Fail, true, "service-not-found"
		reason := aws.ToString(s.ServiceFailure.Reason)
		c.Summary = fmt.Sprintf("service %s not found in cluster %s (%s)", o.ServiceName, o.ClusterName, reason)
		c.Evidence = []string{fmt.Sprintf("DescribeServices failure: %s %s %s", reason, aws.ToString(s.ServiceFailure.Arn), aws.ToString(s.ServiceFailure.Detail))}
		c.Cause = "The service the stack exports does not exist in this cluster: it was deleted, or the outputs belong to another stack."
		c.Fix = "Run `make up STACK=<stack>`; pass the right --stack."
		return c
	}

	svc := s.Service
	status := aws.ToString(svc.Status)
	c.Evidence = append(c.Evidence,
		fmt.Sprintf("service %s in cluster %s: status %s", aws.ToString(svc.ServiceName), o.ClusterName, status),
		fmt.Sprintf("tasks: running %d, desired %d, pending %d", svc.RunningCount, svc.DesiredCount, svc.PendingCount))
	primary := primaryDeployment(svc)
	if primary != nil {
		td := aws.ToString(primary.TaskDefinition)
		match := "the stack's taskDefinitionArn"
		if td != o.TaskDefinitionArn {
			match = "NOT the stack's " + shortTaskDef(o.TaskDefinitionArn)
		}
		rs := string(primary.RolloutState)
		if rs == "" {
			rs = "(not reported)"
		}
		line := fmt.Sprintf("primary deployment %s: rollout %s, %s (%s), running %d/%d, failed tasks %d",
			aws.ToString(primary.Id), rs, shortTaskDef(td), match, primary.RunningCount, primary.DesiredCount, primary.FailedTasks)
		if r := aws.ToString(primary.RolloutStateReason); r != "" {
			line += "\n  reason: " + r
		}
		c.Evidence = append(c.Evidence, line)
	}
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			continue
		}
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s deployment %s: %s, running %d, rollout %s",
			aws.ToString(d.Status), aws.ToString(d.Id), shortTaskDef(aws.ToString(d.TaskDefinition)), d.RunningCount, d.RolloutState))
	}
	var eventHints []Hint
	if len(svc.Events) > 0 {
		c.Evidence = append(c.Evidence, "last service events:")
		for i, e := range svc.Events {
			if i == 5 {
				break
			}
			msg := aws.ToString(e.Message)
			c.Evidence = append(c.Evidence, fmt.Sprintf("  %s (%s) %s", fmtTime(timeOf(e.CreatedAt)), ago(s.Now, timeOf(e.CreatedAt)), msg))
			if h, ok := EventHint(msg); ok {
				eventHints = append(eventHints, h)
			}
		}
	}

	var problems []string
	c.Status = Pass
	fail := func(class, summary, cause, fix string, terminal bool) {
		problems = append(problems, summary)
		if c.Status != Fail { // the first problem found is the headline
			c.Class, c.Cause, c.Fix, c.Terminal = class, cause, fix, terminal
		}
		c.Status = Fail
	}
	if status != "ACTIVE" {
		fail("service-"+strings.ToLower(status), "status "+status,
			fmt.Sprintf("The service is %s: it is being deleted or was deleted.", status), "Run `make up STACK=<stack>` to recreate it.", true)
	}
	if svc.DesiredCount == 0 {
		fail("scaled-to-zero", "desiredCount is 0",
			"The service is scaled to zero, so nothing serves traffic.", "Set the stack's desired count (or the autoscaling minimum) to at least 1 and `make up`.", true)
	}
	if primary != nil && primary.RolloutState == ecstypes.DeploymentRolloutStateFailed {
		fail("rollout-failed", "rollout FAILED",
			"The deployment failed: "+orUnknown(aws.ToString(primary.RolloutStateReason))+". The stopped tasks below say why the new tasks died.",
			"Fix the cause from the stopped tasks check, then `make up` again.", true)
	}
	if primary != nil && aws.ToString(primary.TaskDefinition) != o.TaskDefinitionArn {
		terminal := primary.RolloutState == ecstypes.DeploymentRolloutStateCompleted
		fail("task-definition-drift", fmt.Sprintf("service runs %s, stack exported %s", shortTaskDef(aws.ToString(primary.TaskDefinition)), shortTaskDef(o.TaskDefinitionArn)),
			"The service's primary deployment is not the task definition the stack deployed: the circuit breaker rolled back, or someone changed the service outside Pulumi.",
			"Check the stopped tasks for why the stack's revision failed; `pulumi refresh` then `make up` to converge.", terminal)
	}
	if svc.DesiredCount > 0 && svc.RunningCount < svc.DesiredCount {
		cause := fmt.Sprintf("Only %d of %d tasks are running.", svc.RunningCount, svc.DesiredCount)
		fix := "Wait for the rollout (`--wait 10m`); if it does not converge, the stopped tasks and targets checks show why tasks die."
		class := "tasks-not-running"
		if len(eventHints) > 0 {
			cause += " Latest event says: " + eventHints[0].Cause
			fix = eventHints[0].Fix
			class = eventHints[0].Class
		}
		fail(class, fmt.Sprintf("%d/%d tasks running", svc.RunningCount, svc.DesiredCount), cause, fix, false)
	}
	if primary != nil && primary.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
		fail("rollout-in-progress", "rollout IN_PROGRESS",
			"The deployment has not finished: new tasks must start and pass the ALB's health checks (5 × 30 s by default) and old ones drain.",
			"Wait: rerun with --wait 10m to poll until it completes.", false)
	}
	if c.Status == Pass {
		c.Summary = fmt.Sprintf("ACTIVE, %d/%d tasks running, rollout %s", svc.RunningCount, svc.DesiredCount, rolloutOf(primary))
	} else {
		c.Summary = strings.Join(problems, "; ")
	}
	return c
}

func rolloutOf(d *ecstypes.Deployment) string {
	if d == nil || d.RolloutState == "" {
		return "state not reported"
	}
	return string(d.RolloutState)
}

// serviceSteady: all desired tasks run and the rollout completed.
func serviceSteady(s *Snapshot) bool {
	if s.Service == nil || s.Service.DesiredCount == 0 || s.Service.RunningCount != s.Service.DesiredCount {
		return false
	}
	p := primaryDeployment(s.Service)
	return p != nil && p.RolloutState == ecstypes.DeploymentRolloutStateCompleted
}

// shortTaskDef turns a task definition ARN into family:revision.
func shortTaskDef(arnStr string) string {
	if a, ok := parseARN(arnStr); ok {
		return strings.TrimPrefix(a.Resource, "task-definition/")
	}
	return arnStr
}

func taskID(taskArn string) string {
	return taskArn[strings.LastIndex(taskArn, "/")+1:]
}

// ---- 3. stopped tasks --------------------------------------------------------------------

func checkStoppedTasks(s *Snapshot, svc Check) Check {
	o := s.Outputs
	c := Check{Name: "tasks", Title: "Recently stopped tasks"}
	if s.StoppedErr != nil {
		if s.Service == nil {
			c.Status, c.Summary = Skip, "not checked: the service could not be read"
			return c
		}
		c.Status = Fail
		c.Summary, c.Cause, c.Fix, c.Terminal = callFailure("ECS", "ListTasks/DescribeTasks", o.Region, s.StoppedErr)
		c.Class = "aws-call-failed"
		return c
	}
	if s.Service == nil {
		c.Status, c.Summary = Skip, "not checked: the service could not be read"
		return c
	}
	if len(s.Stopped) == 0 {
		c.Status, c.Summary = Pass, "no stopped tasks in the last hour (ECS keeps stopped tasks about an hour)"
		return c
	}
	primary := primaryDeployment(s.Service)
	var current, older []ecstypes.Task
	var currentHints []Hint
	classes := map[string]int{}
	for _, t := range s.Stopped {
		h := ClassifyTask(t, o.Region)
		c.Evidence = append(c.Evidence, describeTask(s, t, h))
		if h.Benign {
			continue
		}
		if primary == nil || aws.ToString(t.StartedBy) == aws.ToString(primary.Id) || aws.ToString(t.TaskDefinitionArn) == aws.ToString(primary.TaskDefinition) {
			current = append(current, t)
			currentHints = append(currentHints, h)
			classes[h.Class]++
		} else {
			older = append(older, t)
		}
	}
	if len(current) == 0 {
		c.Status = Pass
		c.Summary = fmt.Sprintf("%d stopped task(s), none failed in the current deployment", len(s.Stopped))
		if len(older) > 0 {
			c.Summary = fmt.Sprintf("%d task(s) of earlier deployments failed; none of the current deployment", len(older))
		}
		return c
	}
	latest := currentHints[0]
	var classList []string
	for _, k := range sortedKeys(classes) {
		classList = append(classList, fmt.Sprintf("%s ×%d", k, classes[k]))
	}
	c.Summary = fmt.Sprintf("%d task(s) of the current deployment stopped with errors: %s", len(current), strings.Join(classList, ", "))
	c.Class, c.Cause, c.Fix = latest.Class, "Latest: "+latest.Cause, latest.Fix
	if serviceSteady(s) {
		c.Status = Warn
		c.Summary += " (the service has since reached steady state)"
		return c
	}
	c.Status = Fail
	return c
}

func describeTask(s *Snapshot, t ecstypes.Task, h Hint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s (%s, %s", taskID(aws.ToString(t.TaskArn)), shortTaskDef(aws.ToString(t.TaskDefinitionArn)), aws.ToString(t.StartedBy))
	if t.StoppedAt != nil {
		fmt.Fprintf(&b, ", stopped %s", ago(s.Now, *t.StoppedAt))
	}
	fmt.Fprintf(&b, "): %s", h.Class)
	fmt.Fprintf(&b, "\n  stopCode %s, stoppedReason: %s", orUnknown(string(t.StopCode)), orUnknown(aws.ToString(t.StoppedReason)))
	if ct := appContainer(t); ct != nil {
		exit := "none"
		if ct.ExitCode != nil {
			exit = fmt.Sprint(*ct.ExitCode)
		}
		fmt.Fprintf(&b, "\n  container %s: exit code %s", aws.ToString(ct.Name), exit)
		if r := aws.ToString(ct.Reason); r != "" {
			fmt.Fprintf(&b, ", reason: %s", r)
		}
	}
	return b.String()
}

// ---- 4. target health --------------------------------------------------------------------

func checkTargets(s *Snapshot) Check {
	o := s.Outputs
	c := Check{Name: "targets", Title: "ALB target health"}
	tgName := o.TargetGroupArn
	if a, ok := parseARN(o.TargetGroupArn); ok {
		tgName = strings.Split(strings.TrimPrefix(a.Resource, "targetgroup/"), "/")[0]
	}
	if s.TargetsErr != nil {
		c.Status = Fail
		if code, msg := apiErr(s.TargetsErr); code == "TargetGroupNotFound" {
			c.Summary = fmt.Sprintf("target group %s not found in %s", tgName, o.Region)
			c.Evidence = []string{fmt.Sprintf("%s: %s", code, msg)}
			c.Class, c.Terminal = "target-group-not-found", true
			c.Cause = "The target group the stack exports does not exist in this region: deleted, never deployed, or created in another region."
			c.Fix = "Run `make up STACK=<stack>` and check aws:region in Pulumi.<stack>.yaml."
			return c
		}
		c.Summary, c.Cause, c.Fix, c.Terminal = callFailure("ELBv2", "DescribeTargetGroups/DescribeTargetHealth", o.Region, s.TargetsErr)
		c.Class = "aws-call-failed"
		return c
	}

	path, matcher := "the health check path", ""
	var problems []string
	var hint *Hint
	setHint := func(h Hint) {
		if hint == nil {
			hint = &h
		}
	}
	if tg := s.TargetGroup; tg != nil {
		path = aws.ToString(tg.HealthCheckPath)
		if tg.Matcher != nil {
			matcher = aws.ToString(tg.Matcher.HttpCode)
		}
		c.Evidence = append(c.Evidence, fmt.Sprintf(
			"target group %s: %s port %d; health check %s %s on port %s, expects %s, every %ds, healthy after %d, unhealthy after %d; load balancers: %d",
			aws.ToString(tg.TargetGroupName), tg.Protocol, aws.ToInt32(tg.Port), tg.HealthCheckProtocol, path,
			aws.ToString(tg.HealthCheckPort), orUnknown(matcher), aws.ToInt32(tg.HealthCheckIntervalSeconds),
			aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.UnhealthyThresholdCount), len(tg.LoadBalancerArns)))
		if path != o.HealthCheckPath {
			problems = append(problems, fmt.Sprintf("health check path %s differs from the stack's healthCheckPath %s", path, o.HealthCheckPath))
			setHint(Hint{Class: "health-path-mismatch",
				Cause: fmt.Sprintf("The target group checks %s but the stack's healthCheckPath is %s.", path, o.HealthCheckPath),
				Fix:   "Use one value for both (the program should pass healthCheckPath to the target group) and `make up`."})
		}
		if p := aws.ToString(tg.HealthCheckPort); p != "traffic-port" && p != fmt.Sprint(ContainerPort) {
			problems = append(problems, fmt.Sprintf("health check port %s is not the container port %d", p, ContainerPort))
			setHint(Hint{Class: "health-port-mismatch",
				Cause: fmt.Sprintf("Health checks go to port %s, but the server listens on %d.", p, ContainerPort),
				Fix:   "Use health check port \"traffic-port\" (the default)."})
		}
		if len(tg.LoadBalancerArns) == 0 {
			problems = append(problems, "target group is not attached to a load balancer")
			setHint(TargetHint("Target.NotInUse", "", path, matcher))
		}
	} else if s.TargetGroupErr != nil {
		c.Evidence = append(c.Evidence, "target group settings not read: "+oneLine(s.TargetGroupErr))
	}

	desired := int32(1)
	if s.Service != nil && s.Service.DesiredCount > 1 {
		desired = s.Service.DesiredCount
	}
	counts := map[elbtypes.TargetHealthStateEnum]int{}
	for _, t := range s.Targets {
		th := t.TargetHealth
		if th == nil {
			th = &elbtypes.TargetHealth{}
		}
		counts[th.State]++
		line := fmt.Sprintf("%s:%d (%s): %s", aws.ToString(t.Target.Id), aws.ToInt32(t.Target.Port), aws.ToString(t.Target.AvailabilityZone), th.State)
		if th.Reason != "" {
			line += " " + string(th.Reason)
		}
		if d := aws.ToString(th.Description); d != "" {
			line += ": " + d
		}
		c.Evidence = append(c.Evidence, line)
		switch th.State {
		case elbtypes.TargetHealthStateEnumHealthy, elbtypes.TargetHealthStateEnumDraining:
		default:
			h := TargetHint(string(th.Reason), aws.ToString(th.Description), path, matcher)
			if !h.Benign {
				setHint(h)
			}
		}
	}
	healthy := counts[elbtypes.TargetHealthStateEnumHealthy]
	var states []string
	for _, st := range []elbtypes.TargetHealthStateEnum{"healthy", "initial", "unhealthy", "unused", "draining", "unavailable", "unhealthy.draining"} {
		if n := counts[st]; n > 0 {
			states = append(states, fmt.Sprintf("%d %s", n, st))
		}
	}
	stateSummary := strings.Join(states, ", ")
	if stateSummary == "" {
		stateSummary = "no targets registered"
	}
	notHealthy := counts["initial"] + counts["unhealthy"] + counts["unused"] + counts["unavailable"]
	if len(s.Targets) == 0 {
		setHint(Hint{Class: "no-targets",
			Cause: "No task is registered in the target group: no task is running, or the service's loadBalancers block does not name this target group.",
			Fix:   "See the service check; the service must register container \"app\" port 8000 with this target group."})
	} else if notHealthy > 0 || healthy < int(desired) {
		problems = append(problems, fmt.Sprintf("%d of %d wanted targets healthy", healthy, desired))
		if hint == nil {
			setHint(Hint{Class: "too-few-healthy", Cause: fmt.Sprintf("Only %d healthy target(s) for %d desired task(s).", healthy, desired),
				Fix: "Wait for the rollout (--wait), or see the service check."})
		}
	}
	if hint == nil {
		c.Status = Pass
		c.Summary = fmt.Sprintf("%s (%d desired) in %s", stateSummary, desired, tgName)
		return c
	}
	c.Status = Fail
	c.Summary = fmt.Sprintf("%s in %s", stateSummary, tgName)
	if len(problems) > 0 {
		c.Summary += ": " + strings.Join(problems, "; ")
	}
	c.Class, c.Cause, c.Fix = hint.Class, hint.Cause, hint.Fix
	return c
}

// ---- 5. endpoint -------------------------------------------------------------------------

func checkEndpoint(s *Snapshot) Check {
	r := s.HTTP
	c := Check{Name: "endpoint", Title: "HTTP health endpoint"}
	host := r.URL
	if u, err := url.Parse(r.URL); err == nil {
		host = u.Host
	}
	for _, red := range r.Redirects {
		c.Evidence = append(c.Evidence, "redirect "+red)
	}
	if r.Err != nil {
		c.Status = Fail
		c.Summary = fmt.Sprintf("GET %s failed after %s", r.URL, r.Latency.Round(1e6))
		c.Evidence = append(c.Evidence, "error: "+abbreviate(r.Err.Error(), 300))
		h := HTTPHint(r, host)
		c.Class, c.Cause, c.Fix = h.Class, h.Cause, h.Fix
		return c
	}
	c.Summary = fmt.Sprintf("GET %s → %d in %s", r.URL, r.Status, r.Latency.Round(1e6))
	if r.Body != "" {
		c.Evidence = append(c.Evidence, "body: "+abbreviate(r.Body, 160))
	}
	if r.Status == 200 {
		c.Status = Pass
		return c
	}
	c.Status = Fail
	h := HTTPHint(r, host)
	c.Class, c.Cause, c.Fix = h.Class, h.Cause, h.Fix
	return c
}
