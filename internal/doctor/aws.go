package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// ECSAPI is the part of the ECS client the doctor uses.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// ELBAPI is the part of the ELBv2 client the doctor uses.
type ELBAPI interface {
	DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client the doctor uses.
type LogsAPI interface {
	DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Clients are the AWS API clients, all built for one region.
type Clients struct {
	Region string
	ECS    ECSAPI
	ELB    ELBAPI
	Logs   LogsAPI
	// ShellRegion is the region the shell's AWS configuration would have used (AWS_REGION,
	// AWS_DEFAULT_REGION or the profile), reported so drift is visible; never used for calls.
	ShellRegion       string
	ShellRegionSource string
}

// ClientOptions configure NewClients.
type ClientOptions struct {
	// Region is the stack's region; every client is built for it.
	Region string
	// EndpointURL, when set, sends every client to this base endpoint (tests, local emulators).
	EndpointURL string
	// Credentials override the default credential chain (tests use static fake credentials).
	Credentials aws.CredentialsProvider
	// MaxAttempts per AWS call including retries (default 3).
	MaxAttempts int
	// CallTimeout bounds connecting and waiting for response headers (each call also has a
	// context deadline).
	CallTimeout time.Duration
}

// NewClients builds the ECS, ELBv2 and CloudWatch Logs clients for opts.Region, whatever
// region the shell's configuration names.
func NewClients(ctx context.Context, opts ClientOptions) (*Clients, error) {
	if opts.Region == "" {
		return nil, errors.New("no region")
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	timeout := opts.CallTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	// The SDK's buildable client, so AWS_CA_BUNDLE and the like still apply.
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = timeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = timeout
			tr.ResponseHeaderTimeout = timeout
		})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryMaxAttempts(attempts),
		config.WithHTTPClient(hc),
	}
	if opts.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	c := &Clients{Region: opts.Region, ShellRegion: cfg.Region, ShellRegionSource: shellRegionSource()}
	// The stack's region wins over anything the environment or profile says.
	cfg.Region = opts.Region

	c.ECS = ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		o.Region = opts.Region
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
		}
	})
	c.ELB = elbv2.NewFromConfig(cfg, func(o *elbv2.Options) {
		o.Region = opts.Region
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
		}
	})
	c.Logs = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.Region = opts.Region
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
		}
	})
	return c, nil
}

func shellRegionSource() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if os.Getenv(k) != "" {
			return k
		}
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return "profile " + p
	}
	return "default profile"
}

// boundedHTTPClient has connect, TLS and response-header timeouts, so a silent peer cannot
// hold a call beyond its context deadline either.
func boundedHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = timeout
	tr.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: tr}
}

// apiErr describes an AWS call failure: the error code when AWS answered, else "".
func apiErr(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// callFailure turns a failed AWS call into a cause and a fix for the check that needed it.
func callFailure(service, op string, region string, err error) (summary, cause, fix string, terminal bool) {
	code, msg := apiErr(err)
	switch {
	case code == "":
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline exceeded") || strings.Contains(err.Error(), "timeout") {
			return fmt.Sprintf("%s %s timed out", service, op),
				fmt.Sprintf("no answer from the %s API in %s within the call timeout: %v", service, region, oneLine(err)),
				"check network access to AWS (proxy, VPN) and rerun; raise --timeout on a slow link", false
		}
		if strings.Contains(err.Error(), "credential") {
			return fmt.Sprintf("%s %s: no AWS credentials", service, op),
				fmt.Sprintf("no usable AWS credentials were found: %v", oneLine(err)),
				"log in first (aws sso login, or export AWS_PROFILE / the AWS_ACCESS_KEY_ID pair) with an identity that may read the stack", true
		}
		return fmt.Sprintf("%s %s: endpoint unreachable", service, op),
			fmt.Sprintf("could not reach the %s API in %s: %v", service, region, oneLine(err)),
			"check network access to AWS (DNS, proxy, VPN) and that the region is right", false
	case code == "AccessDeniedException" || code == "AccessDenied" || code == "UnauthorizedOperation":
		return fmt.Sprintf("%s %s: access denied", service, op),
			fmt.Sprintf("the caller may not call %s:%s: %s", strings.ToLower(service), op, msg),
			"use an identity with read access to ECS, Elastic Load Balancing and CloudWatch Logs (e.g. the ReadOnlyAccess policy)", true
	case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "ExpiredTokenException" ||
		code == "ExpiredToken" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch":
		return fmt.Sprintf("%s %s: credentials rejected (%s)", service, op, code),
			fmt.Sprintf("AWS rejected the credentials: %s", msg),
			"refresh the session (aws sso login / new keys) and rerun", true
	case code == "ThrottlingException" || code == "Throttling" || code == "RequestLimitExceeded":
		return fmt.Sprintf("%s %s throttled", service, op), "AWS throttled the call: " + msg, "rerun in a minute", false
	default:
		return fmt.Sprintf("%s %s failed: %s", service, op, code),
			fmt.Sprintf("%s answered %s: %s", service, code, msg), "", false
	}
}

func oneLine(err error) string {
	return abbreviate(err.Error(), 300)
}
