package doctor

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Hint is a recognised failure class with its likely cause and fix.
type Hint struct {
	Class string
	Cause string
	Fix   string
	// Benign classes (a task replaced by a deployment, stopped by a user) are not failures.
	Benign bool
}

// Task failure classes.
const (
	ClassImagePullForbidden = "image-pull-forbidden"
	ClassImageNotFound      = "image-not-found"
	ClassImagePullNetwork   = "image-pull-network"
	ClassSecrets            = "secrets-unavailable"
	ClassOutOfMemory        = "out-of-memory"
	ClassELBHealthChecks    = "elb-health-checks"
	ClassContainerHealth    = "container-health-checks"
	ClassEssentialExited    = "essential-container-exited"
	ClassStartFailed        = "task-failed-to-start"
	ClassReplaced           = "replaced"
	ClassUnknown            = "unknown"
)

func containsAny(s string, subs ...string) bool {
	s = strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(s, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// appContainer returns the task's "app" container, else its first container.
func appContainer(t ecstypes.Task) *ecstypes.Container {
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == ContainerName {
			return &t.Containers[i]
		}
	}
	if len(t.Containers) > 0 {
		return &t.Containers[0]
	}
	return nil
}

// ClassifyTask explains why a stopped task stopped. stackRegion is the region the
// service runs in (the seed's 403 came from an image in another region).
func ClassifyTask(t ecstypes.Task, stackRegion string) Hint {
	reason := aws.ToString(t.StoppedReason)
	var exit *int32
	var creason, image string
	if c := appContainer(t); c != nil {
		exit, creason, image = c.ExitCode, aws.ToString(c.Reason), aws.ToString(c.Image)
	}
	all := reason + " " + creason

	secrets := containsAny(all, "retrieve secret", "secret from asm", "from ssm", "secretsmanager", "parameter store", "ssm parameter")
	pull := !secrets && containsAny(all, "CannotPullContainerError", "pull image manifest", "ecr registry auth", "registry auth")
	switch {
	case secrets && containsAny(all, "ResourceInitializationError", "unable to pull secrets"):
		return Hint{Class: ClassSecrets,
			Cause: "the task could not fetch its secrets (e.g. the database password from Secrets Manager) before starting: " + abbreviate(strings.TrimSpace(reason), 160),
			Fix:   "Give the task execution role secretsmanager:GetSecretValue on the database secret (and kms:Decrypt for a customer key), and make sure the task can reach Secrets Manager (NAT or a VPC endpoint)."}
	case pull && containsAny(all, "403", "forbidden", "denied", "not authorized", "AccessDenied", "no basic auth credentials"):
		cause := "ECS could not pull the image: the registry refused it (403 / access denied)."
		if r, err := registryRegion(image); err == nil && r != stackRegion {
			cause += fmt.Sprintf(" The image is in the %s registry but the service runs in %s: the seed guide's region mix-up.", r, stackRegion)
		} else {
			cause += " Either the image's registry is in another region than the cluster, or the task execution role lacks ECR read permissions."
		}
		return Hint{Class: ClassImagePullForbidden, Cause: cause,
			Fix: "Keep the repository, image and service in the stack's region (see the region check), and give the task execution role " +
				"AmazonECSTaskExecutionRolePolicy (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer); then `make up`."}
	case pull && containsAny(all, "not found", "manifest unknown", "does not exist", "404"):
		return Hint{Class: ClassImageNotFound,
			Cause: fmt.Sprintf("the image %s is not in the repository (never pushed, or removed by a lifecycle policy).", orUnknown(image)),
			Fix:   "Rebuild and push with `make up` (the program pushes before it updates the task definition); keep lifecycle rules from expiring the deployed digest."}
	case pull && containsAny(all, "i/o timeout", "dial tcp", "context deadline exceeded", "connection refused", "no such host", "request canceled", "timed out"):
		return Hint{Class: ClassImagePullNetwork,
			Cause: "the task could not reach ECR over the network to pull the image (no route to the ECR/S3 endpoints).",
			Fix:   "Tasks in private subnets need a NAT gateway or VPC endpoints (ecr.api, ecr.dkr, the S3 gateway, logs); tasks in public subnets need assignPublicIp=ENABLED. Security groups must allow outbound 443."}
	}
	switch {
	case containsAny(creason, "OutOfMemory") || containsAny(reason, "OutOfMemory"):
		return oomHint(t)
	case containsAny(reason, "failed ELB health checks"):
		h := Hint{Class: ClassELBHealthChecks,
			Cause: "the task started but never passed the target group's health checks, so ECS replaced it.",
			Fix:   "See the targets check for the ALB's reason (wrong health path, Django ALLOWED_HOSTS answering 400, port 8000 blocked by the security group); if the app just boots slowly, raise healthCheckGracePeriodSeconds."}
		if exit != nil && *exit == 137 {
			h.Cause += " Exit code 137 here is ECS's SIGKILL after the stop timeout, not an out-of-memory kill."
		}
		return h
	case containsAny(reason, "failed container health checks"):
		return Hint{Class: ClassContainerHealth,
			Cause: "the task definition's container healthCheck command kept failing.",
			Fix:   "Run the healthCheck command by hand in the image (curl may be missing in slim images); give it a startPeriod long enough for migrations."}
	case t.StopCode == ecstypes.TaskStopCodeEssentialContainerExited || containsAny(reason, "Essential container in task exited"):
		if exit != nil && *exit == 137 {
			return oomHint(t)
		}
		return exitHint(exit, creason)
	case t.StopCode == ecstypes.TaskStopCodeTaskFailedToStart || containsAny(all, "CannotPullContainerError", "ResourceInitializationError", "CannotStartContainerError"):
		return Hint{Class: ClassStartFailed,
			Cause: "the task failed before the container started: " + abbreviate(strings.TrimSpace(all), 200),
			Fix:   "Read the stopped reason above; the usual suspects are the execution role's permissions and the subnets' route to AWS endpoints."}
	case t.StopCode == ecstypes.TaskStopCodeSpotInterruption || t.StopCode == ecstypes.TaskStopCodeTerminationNotice:
		return Hint{Class: "spot-interrupted", Benign: true,
			Cause: "AWS reclaimed the capacity (FARGATE_SPOT interruption or a termination notice); ECS starts a replacement."}
	case containsAny(reason, "Scaling activity initiated by", "deployment", "Task stopped by user", "maintenance", "Service scheduler") ||
		t.StopCode == ecstypes.TaskStopCodeUserInitiated || t.StopCode == ecstypes.TaskStopCodeServiceSchedulerInitiated:
		return Hint{Class: ClassReplaced, Benign: true, Cause: "stopped on purpose (scale-in, a newer deployment, or a user)."}
	}
	return Hint{Class: ClassUnknown, Cause: "stopped: " + orUnknown(strings.TrimSpace(all)), Fix: "Read the stopped reason and the log lines below."}
}

func oomHint(t ecstypes.Task) Hint {
	mem := aws.ToString(t.Memory)
	cause := "the container was killed for using more memory than the task has (OutOfMemoryError / exit 137)"
	if mem != "" {
		cause += fmt.Sprintf("; the task has %s MiB", mem)
	}
	return Hint{Class: ClassOutOfMemory, Cause: cause + ".",
		Fix: "Raise the task's memory (Fargate pairs: 512/1024/2048 MiB for 0.25 vCPU …) or run fewer server workers (WEB_CONCURRENCY): Fargate reports 2 CPUs even on a 0.25 vCPU task, so set it explicitly."}
}

func exitHint(exit *int32, creason string) Hint {
	h := Hint{Class: ClassEssentialExited,
		Cause: "the app container exited",
		Fix:   "Read the log lines below for the traceback. Typical Django causes: the database is unreachable for `migrate` (security group, DB host/port env), a missing setting or env var (SECRET_KEY, ALLOWED_HOSTS), an ImportError from a missing dependency."}
	if exit == nil {
		h.Cause += " without an exit code"
	} else {
		h.Cause += fmt.Sprintf(" with code %d", *exit)
		switch *exit {
		case 0:
			h.Cause += ": its command finished instead of serving"
			h.Fix = "The container must run the server in the foreground: `exec python -m config.server` (it binds 0.0.0.0:8000) as the last step of the entrypoint (not in the background, not only `migrate`)."
		case 127:
			h.Cause += ": command not found"
			h.Fix = "The image lacks the command the task runs (a wrong path/entrypoint, or no python on the PATH); check the Dockerfile's ENTRYPOINT and CMD."
		case 126:
			h.Cause += ": command not executable"
			h.Fix = "Make the entrypoint script executable (chmod +x) and give it a shebang line."
		case 139:
			h.Cause += ": segmentation fault"
			h.Fix = "A native extension crashed: check that the image was built for the task's CPU architecture (the stack's architecture setting) and rebuild."
		case 143:
			h.Cause += ": stopped with SIGTERM"
		case 255:
			h.Fix = "Exit 255 right after start is often `exec format error`: the image was built for another CPU architecture than the task runs (the stack's architecture setting must match the image platform). Otherwise read the log lines below."
		}
	}
	if creason != "" {
		h.Cause += " (" + creason + ")"
	}
	h.Cause += "."
	return h
}

func orUnknown(s string) string {
	if s == "" {
		return "(no reason given)"
	}
	return s
}

var codesRe = regexp.MustCompile(`\[([0-9, ]+)\]`)

// responseCodes extracts the codes from "Health checks failed with these codes: [400]".
func responseCodes(desc string) []string {
	m := codesRe.FindStringSubmatch(desc)
	if m == nil {
		return nil
	}
	var out []string
	for _, c := range strings.Split(m[1], ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// TargetHint explains one ALB target health reason code. path is the health check path the
// target group uses, matcher its expected codes.
func TargetHint(reason, description, path, matcher string) Hint {
	switch reason {
	case "Target.ResponseCodeMismatch":
		codes := responseCodes(description)
		code := ""
		if len(codes) > 0 {
			code = codes[0]
		}
		switch {
		case code == "400":
			return Hint{Class: reason + "/400",
				Cause: fmt.Sprintf("the health check on %s got 400: Django's DisallowedHost. The ALB sends the task's private IP as the Host header, which ALLOWED_HOSTS does not list.", path),
				Fix:   "Answer the health path before host validation: a tiny middleware placed first in MIDDLEWARE that returns 200 for " + path + " (or add the task's private IP to ALLOWED_HOSTS at start-up)."}
		case code == "404":
			return Hint{Class: reason + "/404",
				Cause: fmt.Sprintf("the health check path %s does not exist in the app (404).", path),
				Fix:   "Make the target group's health check path and the app's URL agree (Django is strict about the trailing slash), e.g. /api/v1/health/ in urls.py and in the stack's healthCheckPath config."}
		case code == "301" || code == "302" || code == "307" || code == "308":
			return Hint{Class: reason + "/" + code,
				Cause: fmt.Sprintf("the health check on %s was redirected (%s): APPEND_SLASH (path without its trailing slash) or SECURE_SSL_REDIRECT (health checks are plain HTTP on port 8000).", path, code),
				Fix:   "Use the exact path with its trailing slash, and exempt it from the SSL redirect (SECURE_REDIRECT_EXEMPT, or answer it in the first middleware)."}
		case code == "401" || code == "403":
			return Hint{Class: reason + "/" + code,
				Cause: fmt.Sprintf("the health check on %s needs authentication (%s): DRF's DEFAULT_PERMISSION_CLASSES apply to the health view.", path, code),
				Fix:   "Give the health view permission_classes = [AllowAny] and authentication_classes = []."}
		case strings.HasPrefix(code, "5"):
			return Hint{Class: reason + "/5xx",
				Cause: fmt.Sprintf("the app answers %s on %s: it is failing at run time (often the database connection).", code, path),
				Fix:   "Read the log lines below; keep the liveness check free of database calls so a slow database does not take every task out."}
		}
		return Hint{Class: reason,
			Cause: fmt.Sprintf("the health check on %s answered %s but the target group expects %s: a wrong health check path or Django's ALLOWED_HOSTS (400).", path, orUnknown(strings.Join(codes, ",")), orUnknown(matcher)),
			Fix:   "Make the health check path match the app's URL and answer it before host validation."}
	case "Target.Timeout":
		return Hint{Class: reason,
			Cause: "the ALB's health check requests to port 8000 timed out: the tasks' security group does not let the ALB in on port 8000, or the app listens on another address/port or is too slow to answer.",
			Fix:   "Allow TCP 8000 into the tasks' security group from the ALB's security group; bind the server to 0.0.0.0:8000 (not 127.0.0.1); keep the health view cheap and give slow boots a healthCheckGracePeriodSeconds."}
	case "Target.FailedHealthChecks":
		return Hint{Class: reason,
			Cause: "the ALB could not connect to port 8000 or got a malformed answer: nothing listens there (the container crashed or serves another port).",
			Fix:   "Check the stopped tasks and log lines; the container must listen on 0.0.0.0:8000, the containerPort the service registers."}
	case "Target.NotInUse":
		return Hint{Class: reason,
			Cause: "the target group is not used by any load balancer listener, or the target's Availability Zone is not enabled on the ALB.",
			Fix:   "Point the listener's default action at this target group, and give the ALB subnets in every AZ the tasks run in."}
	case "Target.NotRegistered":
		return Hint{Class: reason,
			Cause: "the target is not registered in the target group.",
			Fix:   "The ECS service's loadBalancers block must name this target group with container \"app\" and port 8000."}
	case "Target.DeregistrationInProgress":
		return Hint{Class: reason, Benign: true, Cause: "the target is draining (deregistration delay, 300 s by default)."}
	case "Elb.RegistrationInProgress", "Elb.InitialHealthChecking":
		return Hint{Class: reason,
			Cause: "the target is still being registered/checked; it turns healthy after the health check threshold.",
			Fix:   "Wait: rerun with --wait 10m."}
	case "Target.IpUnusable":
		return Hint{Class: reason, Cause: "the target's IP address is in use by a load balancer.", Fix: "Redeploy the service so tasks get new addresses."}
	case "Target.InvalidState":
		return Hint{Class: reason, Cause: "the target is stopped or terminated.", Fix: "See the stopped tasks check."}
	case "Target.HealthCheckDisabled":
		return Hint{Class: reason, Cause: "health checks are disabled on the target group.", Fix: "Enable health checks on " + path + "."}
	case "Elb.InternalError":
		return Hint{Class: reason, Cause: "the ALB reported an internal error.", Fix: "Retry in a few minutes; open an AWS support case if it stays."}
	}
	return Hint{Class: orUnknown(reason), Cause: "target health reason " + orUnknown(reason) + ": " + description}
}

// HTTPHint explains why GET url+healthCheckPath did not answer 200.
func HTTPHint(r HTTPResult, host string) Hint {
	if r.Err != nil {
		var dnsErr *net.DNSError
		msg := r.Err.Error()
		switch {
		case errors.As(r.Err, &dnsErr) || containsAny(msg, "no such host"):
			return Hint{Class: "dns",
				Cause: fmt.Sprintf("%s does not resolve: a custom domain's record is missing or not propagated yet, or the ALB was deleted.", host),
				Fix:   "Check the Route 53 alias record to the ALB (or use the ALB's DNS name) and rerun in a few minutes."}
		case containsAny(msg, "x509", "certificate", "tls:"):
			return Hint{Class: "tls",
				Cause: "the TLS handshake failed: the certificate does not cover " + host + " or is not issued yet (ACM DNS validation pending).",
				Fix:   "Check the ACM certificate's status and names, and the HTTPS listener's certificate."}
		case containsAny(msg, "redirects"):
			return Hint{Class: "redirect-loop",
				Cause: "the endpoint redirects in a loop: Django's SECURE_SSL_REDIRECT behind the ALB, which talks plain HTTP to the task.",
				Fix:   "Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') so Django sees the original scheme."}
		case containsAny(msg, "connection refused", "timeout", "no response within", "deadline exceeded", "i/o timeout", "connection reset"):
			return Hint{Class: "unreachable",
				Cause: fmt.Sprintf("%s did not answer: the ALB's security group does not allow the listener port from the internet, there is no listener for this scheme/port, or the ALB is internal.", host),
				Fix:   "Allow 80 (and 443) from 0.0.0.0/0 in the ALB's security group and check the listeners; the targets check shows whether the tasks themselves are healthy."}
		}
		return Hint{Class: "http-error", Cause: "the request failed: " + abbreviate(msg, 200), Fix: "Check the URL output and the network path to the ALB."}
	}
	switch r.Status {
	case 503:
		return Hint{Class: "http-503",
			Cause: "503 from the ALB: the target group has no healthy (or no registered) targets.",
			Fix:   "See the service and targets checks: no task is running and healthy yet."}
	case 502:
		return Hint{Class: "http-502",
			Cause: "502 from the ALB: the target closed the connection or answered garbage (crashing container, or the server's keep-alive idle timeout shorter than the ALB's 60 s idle timeout).",
			Fix:   "Keep the server's keep-alive idle timeout longer than the ALB's 60 s (the shipped server keeps idle connections 75 s) and check the log lines for crashes."}
	case 504:
		return Hint{Class: "http-504",
			Cause: "504 from the ALB: the target did not answer in time (a hung worker, often a database connection that never completes).",
			Fix:   "Check the log lines; set a database connect timeout."}
	case 400:
		return Hint{Class: "http-400",
			Cause: fmt.Sprintf("400 from the app: Django's DisallowedHost, %s is not in ALLOWED_HOSTS.", host),
			Fix:   fmt.Sprintf("Add %s (the ALB DNS name or the custom domain) to ALLOWED_HOSTS through the task's environment.", host)}
	case 404:
		return Hint{Class: "http-404",
			Cause: "404: the health path is not routed by the app (or the ALB listener rules do not forward it).",
			Fix:   "Check urls.py for the path, including its trailing slash, and the listener's rules."}
	case 401, 403:
		return Hint{Class: fmt.Sprintf("http-%d", r.Status),
			Cause: fmt.Sprintf("%d: the health endpoint requires authentication (DRF's default permission classes).", r.Status),
			Fix:   "Make the health view AllowAny with no authentication classes."}
	case 301, 302, 307, 308:
		return Hint{Class: "http-redirect",
			Cause: fmt.Sprintf("%d: the endpoint redirects instead of answering.", r.Status),
			Fix:   "Request the exact health path (trailing slash) and check SECURE_SSL_REDIRECT / SECURE_PROXY_SSL_HEADER."}
	}
	if r.Status >= 500 {
		return Hint{Class: "http-5xx", Cause: fmt.Sprintf("%d: the app fails at run time.", r.Status), Fix: "Read the log lines below."}
	}
	return Hint{Class: fmt.Sprintf("http-%d", r.Status), Cause: fmt.Sprintf("expected 200, got %d.", r.Status), Fix: "Check the health view."}
}

// EventHint recognises service event messages that point at a cause.
func EventHint(msg string) (Hint, bool) {
	switch {
	case containsAny(msg, "unable to place a task"):
		return Hint{Class: "placement", Cause: "ECS could not place tasks: " + abbreviate(msg, 200),
			Fix: "Check the subnets (free IPs, existing AZs), the Fargate CPU/memory pair and account quotas."}, true
	case containsAny(msg, "deployment failed", "circuit breaker"):
		return Hint{Class: "circuit-breaker", Cause: "the deployment circuit breaker stopped the rollout: " + abbreviate(msg, 200),
			Fix: "Fix the cause shown by the stopped tasks below, then `make up` again."}, true
	case containsAny(msg, "unable to consistently start tasks successfully"):
		return Hint{Class: "tasks-crashing", Cause: "tasks keep stopping right after they start.",
			Fix: "See the stopped tasks check and the log lines."}, true
	case containsAny(msg, "is unhealthy in", "health checks failed"):
		return Hint{Class: "unhealthy-targets", Cause: "tasks fail the load balancer's health checks.",
			Fix: "See the targets check."}, true
	case containsAny(msg, "AccessDenied", "not authorized"):
		return Hint{Class: "iam", Cause: "ECS was denied an action: " + abbreviate(msg, 200),
			Fix: "Check the service-linked role and the task execution role."}, true
	}
	return Hint{}, false
}
