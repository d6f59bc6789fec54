package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Outputs are the stack outputs the doctor reads (camelCase keys of
// `pulumi stack output --json`). Other outputs are ignored.
type Outputs struct {
	URL               string `json:"url"`
	HealthCheckPath   string `json:"healthCheckPath"`
	Region            string `json:"region"`
	RepositoryURL     string `json:"repositoryUrl"`
	ImageRef          string `json:"imageRef"`
	ClusterName       string `json:"clusterName"`
	ServiceName       string `json:"serviceName"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	TargetGroupArn    string `json:"targetGroupArn"`
	LogGroupName      string `json:"logGroupName"`
}

// RequiredOutputs lists the output keys the doctor needs, in the order they are reported.
var RequiredOutputs = []string{
	"url", "healthCheckPath", "region", "repositoryUrl", "imageRef",
	"clusterName", "serviceName", "taskDefinitionArn", "targetGroupArn", "logGroupName",
}

// OutputsError is a missing or malformed stack output. Problems holds one line per key.
type OutputsError struct {
	Source   string
	Problems []string
}

func (e *OutputsError) Error() string {
	return fmt.Sprintf("stack outputs from %s are not usable:\n  - %s", e.Source, strings.Join(e.Problems, "\n  - "))
}

var (
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	digestRe  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	ecrHostRe = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
	arnRe     = regexp.MustCompile(`^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$`)
	albHostRe = regexp.MustCompile(`\.([a-z]{2}(?:-[a-z]+)+-\d+)\.elb\.amazonaws\.com(?:\.cn)?$`)
)

// ParseOutputs decodes and validates the JSON printed by `pulumi stack output --json`.
// Every missing or malformed required key is reported, by name, in one OutputsError.
func ParseOutputs(data []byte, source string) (Outputs, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Outputs{}, &OutputsError{Source: source, Problems: []string{
			fmt.Sprintf("not a JSON object of stack outputs (%v); expected the output of `pulumi stack output --json`", err),
		}}
	}
	if raw == nil {
		return Outputs{}, &OutputsError{Source: source, Problems: []string{"not a JSON object of stack outputs (got null)"}}
	}

	var problems []string
	get := func(key string) string {
		v, ok := raw[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%q is missing (the Pulumi program must export it)", key))
			return ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			problems = append(problems, fmt.Sprintf("%q must be a string, got %s", key, abbreviate(string(v), 60)))
			return ""
		}
		s = strings.TrimSpace(s)
		switch s {
		case "":
			problems = append(problems, fmt.Sprintf("%q is empty", key))
		case "[secret]":
			problems = append(problems, fmt.Sprintf("%q is shown as [secret]; it must be a plain (non-secret) output", key))
			return ""
		}
		return s
	}

	o := Outputs{
		URL:               get("url"),
		HealthCheckPath:   get("healthCheckPath"),
		Region:            get("region"),
		RepositoryURL:     get("repositoryUrl"),
		ImageRef:          get("imageRef"),
		ClusterName:       get("clusterName"),
		ServiceName:       get("serviceName"),
		TaskDefinitionArn: get("taskDefinitionArn"),
		TargetGroupArn:    get("targetGroupArn"),
		LogGroupName:      get("logGroupName"),
	}
	bad := func(key, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%q "+format, append([]any{key}, args...)...))
	}

	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url", "must be an absolute http(s) URL, got %q", o.URL)
		}
	}
	if o.HealthCheckPath != "" && !strings.HasPrefix(o.HealthCheckPath, "/") {
		bad("healthCheckPath", "must start with \"/\", got %q", o.HealthCheckPath)
	}
	if o.Region != "" && !regionRe.MatchString(o.Region) {
		bad("region", "is not an AWS region name, got %q", o.Region)
	}
	if o.RepositoryURL != "" {
		if _, err := registryRegion(o.RepositoryURL); err != nil {
			bad("repositoryUrl", "is not an ECR repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>), got %q", o.RepositoryURL)
		}
	}
	if o.ImageRef != "" {
		repo, digest, ok := strings.Cut(o.ImageRef, "@")
		if !ok || !digestRe.MatchString(digest) {
			bad("imageRef", "must be <repository>@sha256:<64 hex digits> (a pushed image), got %q", o.ImageRef)
		} else if _, err := registryRegion(repo); err != nil {
			bad("imageRef", "does not name an ECR repository, got %q", o.ImageRef)
		}
	}
	if o.TaskDefinitionArn != "" {
		if a, ok := parseARN(o.TaskDefinitionArn); !ok || a.Service != "ecs" || !strings.HasPrefix(a.Resource, "task-definition/") {
			bad("taskDefinitionArn", "is not an ECS task definition ARN, got %q", o.TaskDefinitionArn)
		}
	}
	if o.TargetGroupArn != "" {
		if a, ok := parseARN(o.TargetGroupArn); !ok || a.Service != "elasticloadbalancing" || !strings.HasPrefix(a.Resource, "targetgroup/") {
			bad("targetGroupArn", "is not an ELBv2 target group ARN, got %q", o.TargetGroupArn)
		}
	}
	if len(problems) > 0 {
		return o, &OutputsError{Source: source, Problems: problems}
	}
	return o, nil
}

// LoadOutputs reads the outputs from file when it is set, else from
// `pulumi stack output --json --stack <stack>`, bounded by timeout.
func LoadOutputs(ctx context.Context, stack, file string, timeout time.Duration) (Outputs, string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return Outputs{}, file, fmt.Errorf("reading --outputs: %w", err)
		}
		o, err := ParseOutputs(data, file)
		return o, file, err
	}
	if stack == "" {
		return Outputs{}, "", errors.New("no stack: pass --stack <name> (or --outputs file.json)")
	}
	source := fmt.Sprintf("`pulumi stack output --json --stack %s`", stack)
	if _, err := exec.LookPath("pulumi"); err != nil {
		return Outputs{}, source, fmt.Errorf("the pulumi CLI is not on PATH: install it, or save the outputs elsewhere and pass --outputs file.json")
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, "pulumi", "stack", "output", "--json", "--stack", stack)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if cctx.Err() != nil {
			return Outputs{}, source, fmt.Errorf("%s did not finish within %s", source, timeout)
		}
		return Outputs{}, source, fmt.Errorf("%s failed: %v: %s", source, err, abbreviate(strings.TrimSpace(stderr.String()), 400))
	}
	o, err := ParseOutputs(stdout.Bytes(), source)
	return o, source, err
}

// registryRegion returns the region of an ECR registry from "<acct>.dkr.ecr.<region>.amazonaws.com[/repo][@digest|:tag]".
func registryRegion(ref string) (string, error) {
	host, _, _ := strings.Cut(ref, "/")
	m := ecrHostRe.FindStringSubmatch(host)
	if m == nil {
		return "", fmt.Errorf("%q is not an ECR registry", host)
	}
	return m[2], nil
}

type arn struct {
	Service, Region, Account, Resource string
}

func parseARN(s string) (arn, bool) {
	m := arnRe.FindStringSubmatch(s)
	if m == nil {
		return arn{}, false
	}
	return arn{Service: m[1], Region: m[2], Account: m[3], Resource: m[4]}, true
}

// albRegion returns the region in an ALB DNS name (…<region>.elb.amazonaws.com), if the host is one.
func albRegion(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false
	}
	m := albHostRe.FindStringSubmatch(u.Hostname())
	if m == nil {
		return "", false
	}
	return m[1], true
}

func abbreviate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
