package infra

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LoadBalancerType is the type token of the LoadBalancer component.
const LoadBalancerType = "taskapi:infra:LoadBalancer"

// Target-group health check: a new task turns healthy after 2 × 10 s, a broken one leaves after 3 × 10 s.
const (
	HealthCheckInterval           = 10
	HealthCheckTimeout            = 5
	HealthCheckHealthyThreshold   = 2
	HealthCheckUnhealthyThreshold = 3
)

// TLSPolicy accepts TLS 1.2 and 1.3 only.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// LoadBalancerArgs configures the ALB, its target group and listeners.
type LoadBalancerArgs struct {
	VPCID               pulumi.StringInput
	SubnetIDs           pulumi.StringArrayInput
	SecurityGroupID     pulumi.StringInput
	HealthCheckPath     string
	DeregistrationDelay int
	DeletionProtection  bool
	// DomainName, with HostedZoneID (certificate and alias record created here) or CertificateARN
	// (an existing certificate), turns on HTTPS; HTTP then redirects to it.
	DomainName     string
	HostedZoneID   string
	CertificateARN string
}

// LoadBalancer is an internet-facing ALB that forwards to the Fargate tasks' IPs on the container port.
type LoadBalancer struct {
	pulumi.ResourceState

	ARNSuffix            pulumi.StringOutput
	DNSName              pulumi.StringOutput
	ZoneID               pulumi.StringOutput
	TargetGroupARN       pulumi.StringOutput
	TargetGroupARNSuffix pulumi.StringOutput
	// URL is where users reach the API: https://<domain> with TLS, otherwise http://<ALB DNS name>.
	URL pulumi.StringOutput
	// Hostnames and Origins are the Host headers and origins clients send: Django's ALLOWED_HOSTS and
	// CSRF_TRUSTED_ORIGINS.
	Hostnames pulumi.StringArrayOutput
	Origins   pulumi.StringArrayOutput
	// HTTPS is true when clients connect over TLS (HTTP only redirects).
	HTTPS bool
	// Listener forwards to the target group; ECS refuses a target group that no listener uses yet.
	Listener *lb.Listener
}

// NewLoadBalancer creates the ALB, target group, listeners and, for a hosted zone, certificate and DNS.
func NewLoadBalancer(ctx *pulumi.Context, name string, args *LoadBalancerArgs, opts ...pulumi.ResourceOption) (*LoadBalancer, error) {
	l := &LoadBalancer{}
	if err := ctx.RegisterComponentResource(LoadBalancerType, name, l, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(l)

	alb, err := lb.NewLoadBalancer(ctx, autoName(name, "alb"), &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  args.SubnetIDs,
		SecurityGroups:           pulumi.StringArray{args.SecurityGroupID},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		EnableDeletionProtection: pulumi.Bool(args.DeletionProtection),
		IdleTimeout:              pulumi.Int(60),
	}, child)
	if err != nil {
		return nil, err
	}

	tg, err := lb.NewTargetGroup(ctx, autoName(name, "tg"), &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(ContainerPort),
		Protocol:            pulumi.String("HTTP"),
		VpcId:               args.VPCID,
		DeregistrationDelay: pulumi.Int(args.DeregistrationDelay),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Path:               pulumi.String(args.HealthCheckPath),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Interval:           pulumi.Int(HealthCheckInterval),
			Timeout:            pulumi.Int(HealthCheckTimeout),
			HealthyThreshold:   pulumi.Int(HealthCheckHealthyThreshold),
			UnhealthyThreshold: pulumi.Int(HealthCheckUnhealthyThreshold),
			Matcher:            pulumi.String("200"),
		},
	}, child)
	if err != nil {
		return nil, err
	}
	forward := lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
		Type:           pulumi.String("forward"),
		TargetGroupArn: tg.Arn,
	}}

	l.HTTPS = args.DomainName != "" && (args.HostedZoneID != "" || args.CertificateARN != "")
	if !l.HTTPS {
		l.Listener, err = lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(80),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions:  forward,
		}, child)
		if err != nil {
			return nil, err
		}
		l.URL = pulumi.Sprintf("http://%s", alb.DnsName)
		l.Hostnames = pulumi.StringArray{alb.DnsName}.ToStringArrayOutput()
	} else {
		certificateARN := pulumi.String(args.CertificateARN).ToStringOutput()
		if args.CertificateARN == "" {
			if certificateARN, err = newValidatedCertificate(ctx, name, args, child); err != nil {
				return nil, err
			}
		}
		l.Listener, err = lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(443),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(TLSPolicy),
			CertificateArn:  certificateARN,
			DefaultActions:  forward,
		}, child)
		if err != nil {
			return nil, err
		}
		if _, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(80),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type: pulumi.String("redirect"),
				Redirect: &lb.ListenerDefaultActionRedirectArgs{
					Protocol:   pulumi.String("HTTPS"),
					Port:       pulumi.String("443"),
					StatusCode: pulumi.String("HTTP_301"),
				},
			}},
		}, child); err != nil {
			return nil, err
		}
		if args.HostedZoneID != "" {
			if _, err := route53.NewRecord(ctx, name+"-alias", &route53.RecordArgs{
				ZoneId: pulumi.String(args.HostedZoneID),
				Name:   pulumi.String(args.DomainName),
				Type:   pulumi.String("A"),
				Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
					Name:                 alb.DnsName,
					ZoneId:               alb.ZoneId,
					EvaluateTargetHealth: pulumi.Bool(true),
				}},
			}, child); err != nil {
				return nil, err
			}
		}
		// Known once the HTTPS listener exists, and carrying that dependency to whoever uses it.
		l.URL = l.Listener.Arn.ApplyT(func(string) string { return "https://" + args.DomainName }).(pulumi.StringOutput)
		l.Hostnames = pulumi.StringArray{pulumi.String(args.DomainName), alb.DnsName}.ToStringArrayOutput()
	}
	l.Origins = pulumi.StringArray{l.URL}.ToStringArrayOutput()

	l.ARNSuffix = alb.ArnSuffix
	l.DNSName = alb.DnsName
	l.ZoneID = alb.ZoneId
	l.TargetGroupARN = tg.Arn
	l.TargetGroupARNSuffix = tg.ArnSuffix
	if err := ctx.RegisterResourceOutputs(l, pulumi.Map{
		"url":                  l.URL,
		"dnsName":              l.DNSName,
		"zoneId":               l.ZoneID,
		"arnSuffix":            l.ARNSuffix,
		"targetGroupArn":       l.TargetGroupARN,
		"targetGroupArnSuffix": l.TargetGroupARNSuffix,
	}); err != nil {
		return nil, err
	}
	return l, nil
}

// newValidatedCertificate requests an ACM certificate for the domain and validates it through DNS in the
// hosted zone; the returned ARN is known only once the certificate is issued.
func newValidatedCertificate(ctx *pulumi.Context, name string, args *LoadBalancerArgs, child pulumi.ResourceOption) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name+"-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(args.DomainName),
		ValidationMethod: pulumi.String("DNS"),
	}, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-cert-validation", &route53.RecordArgs{
		ZoneId:         pulumi.String(args.HostedZoneID),
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(60),
		AllowOverwrite: pulumi.Bool(true),
	}, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-cert-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}

// autoName keeps a logical name short enough for Pulumi's auto-naming (name + "-" + 7 random characters)
// to fit the 32-character limit of ALB and target group names.
func autoName(name, suffix string) string {
	const limit = 32 - 8
	n := name
	if max := limit - len(suffix) - 1; len(n) > max {
		n = strings.TrimRight(n[:max], "-")
	}
	return n + "-" + suffix
}
