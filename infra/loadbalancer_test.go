package infra

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

type lbResult struct {
	mocks          *pulumitest.Mocks
	url            string
	hosts, origins []string
	https          bool
}

func runLoadBalancer(t *testing.T, args LoadBalancerArgs) lbResult {
	t.Helper()
	var res lbResult
	args.VPCID = pulumi.String("vpc-1")
	args.SubnetIDs = pulumi.ToStringArray([]string{"subnet-public-a", "subnet-public-b"})
	args.SecurityGroupID = pulumi.String("sg-alb")
	if args.HealthCheckPath == "" {
		args.HealthCheckPath = "/api/v1/health/"
	}
	res.mocks = run(t, func(ctx *pulumi.Context) error {
		l, err := NewLoadBalancer(ctx, "lb", &args)
		if err != nil {
			return err
		}
		await(l.URL, &res.url)
		await(l.Hostnames, &res.hosts)
		await(l.Origins, &res.origins)
		res.https = l.HTTPS
		return nil
	})
	return res
}

func TestTargetGroupHealthCheck(t *testing.T) {
	res := runLoadBalancer(t, LoadBalancerArgs{HealthCheckPath: "/api/v1/health/", DeregistrationDelay: 30})
	tg := res.mocks.One(t, "aws:lb/targetGroup:TargetGroup", "lb-tg")
	want := map[string]float64{
		"port": 8000, "deregistrationDelay": 30,
		"healthCheck.interval": 10, "healthCheck.timeout": 5, "healthCheck.healthyThreshold": 2, "healthCheck.unhealthyThreshold": 3,
	}
	for path, v := range want {
		if got := tg.Number(path); got != v {
			t.Errorf("%s = %v, want %v", path, got, v)
		}
	}
	for path, v := range map[string]string{"targetType": "ip", "protocol": "HTTP", "healthCheck.path": "/api/v1/health/", "healthCheck.matcher": "200"} {
		if got := tg.String(path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
}

func TestLoadBalancerIsPublicAndDropsInvalidHeaders(t *testing.T) {
	for _, protect := range []bool{false, true} {
		res := runLoadBalancer(t, LoadBalancerArgs{DeletionProtection: protect})
		alb := res.mocks.One(t, "aws:lb/loadBalancer:LoadBalancer", "lb-alb")
		if alb.Bool("internal") || alb.String("loadBalancerType") != "application" {
			t.Error("not an internet-facing ALB")
		}
		if !alb.Bool("dropInvalidHeaderFields") {
			t.Error("invalid header fields are passed to the app")
		}
		if alb.Bool("enableDeletionProtection") != protect {
			t.Errorf("deletion protection %v, want %v", alb.Bool("enableDeletionProtection"), protect)
		}
		if !slices.Equal(alb.Strings("subnets"), []string{"subnet-public-a", "subnet-public-b"}) {
			t.Errorf("subnets %v", alb.Strings("subnets"))
		}
	}
}

func TestHTTPOnlyForwardsOnPort80(t *testing.T) {
	res := runLoadBalancer(t, LoadBalancerArgs{})
	listeners := res.mocks.Resources("aws:lb/listener:Listener")
	if len(listeners) != 1 {
		t.Fatalf("%d listeners, want 1", len(listeners))
	}
	l := listeners[0]
	if l.Number("port") != 80 || l.String("defaultActions.0.type") != "forward" {
		t.Errorf("port %v action %q", l.Number("port"), l.String("defaultActions.0.type"))
	}
	if res.url != "http://lb-alb-1a2b3c4-123456789.us-east-1.elb.amazonaws.com" {
		t.Errorf("url %s", res.url)
	}
	if !slices.Equal(res.hosts, []string{"lb-alb-1a2b3c4-123456789.us-east-1.elb.amazonaws.com"}) || !slices.Equal(res.origins, []string{res.url}) {
		t.Errorf("hosts %v origins %v", res.hosts, res.origins)
	}
	if len(res.mocks.Resources("aws:acm/certificate:Certificate")) != 0 {
		t.Error("certificate created without a domain")
	}
	if res.https {
		t.Error("reports HTTPS without a certificate")
	}
}

func TestTLSWithHostedZoneCreatesValidatedCertificateAndAlias(t *testing.T) {
	res := runLoadBalancer(t, LoadBalancerArgs{DomainName: "api.example.com", HostedZoneID: "Z0123456789ABC"})
	m := res.mocks
	cert := m.One(t, "aws:acm/certificate:Certificate", "lb-cert")
	if cert.String("domainName") != "api.example.com" || cert.String("validationMethod") != "DNS" {
		t.Errorf("certificate %s via %s", cert.String("domainName"), cert.String("validationMethod"))
	}
	validation := m.One(t, "aws:route53/record:Record", "lb-cert-validation")
	if validation.String("name") != "_abc.api.example.com." || validation.String("type") != "CNAME" || validation.String("zoneId") != "Z0123456789ABC" {
		t.Errorf("validation record %v", validation.Inputs)
	}
	https := m.One(t, "aws:lb/listener:Listener", "lb-https")
	if https.Number("port") != 443 || https.String("sslPolicy") != TLSPolicy || https.String("defaultActions.0.type") != "forward" {
		t.Errorf("https listener %v", https.Inputs)
	}
	if !strings.HasPrefix(https.String("certificateArn"), "arn:aws:acm:") {
		t.Errorf("https listener certificate %q", https.String("certificateArn"))
	}
	http := m.One(t, "aws:lb/listener:Listener", "lb-http")
	if http.String("defaultActions.0.type") != "redirect" || http.String("defaultActions.0.redirect.protocol") != "HTTPS" ||
		http.String("defaultActions.0.redirect.statusCode") != "HTTP_301" {
		t.Errorf("http listener does not redirect: %v", http.Inputs)
	}
	alias := m.One(t, "aws:route53/record:Record", "lb-alias")
	if alias.String("name") != "api.example.com" || alias.String("type") != "A" || !strings.Contains(alias.String("aliases.0.name"), "elb.amazonaws.com") {
		t.Errorf("alias %v", alias.Inputs)
	}
	if !res.https || res.url != "https://api.example.com" || res.hosts[0] != "api.example.com" || !slices.Equal(res.origins, []string{"https://api.example.com"}) {
		t.Errorf("url %s hosts %v origins %v", res.url, res.hosts, res.origins)
	}
}

func TestTLSWithExistingCertificateCreatesNoCertificate(t *testing.T) {
	arn := "arn:aws:acm:us-east-1:123456789012:certificate/0b1c"
	res := runLoadBalancer(t, LoadBalancerArgs{DomainName: "api.example.com", CertificateARN: arn})
	if n := len(res.mocks.Resources("aws:acm/certificate:Certificate")) + len(res.mocks.Resources("aws:route53/record:Record")); n != 0 {
		t.Errorf("%d certificate/DNS resources created for an existing certificate", n)
	}
	if !res.https {
		t.Error("does not report HTTPS with an existing certificate")
	}
	if got := res.mocks.One(t, "aws:lb/listener:Listener", "lb-https").String("certificateArn"); got != arn {
		t.Errorf("listener uses %q", got)
	}
}

func TestAutoNameFitsALBLimit(t *testing.T) {
	for _, name := range []string{"lb", "taskapi-dev-lb", "taskapi-a-very-long-feature-branch-stack-lb"} {
		for _, suffix := range []string{"alb", "tg"} {
			got := autoName(name, suffix)
			if len(got)+8 > 32 || !strings.HasSuffix(got, "-"+suffix) || strings.Contains(got, "--") {
				t.Errorf("autoName(%q, %q) = %q (%d chars + 8 random)", name, suffix, got, len(got))
			}
		}
	}
}
