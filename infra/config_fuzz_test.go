package infra

import (
	"slices"
	"strings"
	"testing"
)

// FuzzValidate feeds arbitrary values to every rule: Validate must never panic, and whatever it accepts
// must be deployable (a Fargate size, ordered counts, a known architecture and NAT mode, a rooted path,
// TLS only with a domain). `make test` runs the seeds; BENCHMARKS.md has the bounded fuzzing run.
func FuzzValidate(f *testing.F) {
	f.Add("us-east-1", "X86_64", 256, 512, 1, 1, 2, false, "none", "/api/v1/health/", "", "", "", "16", "db.t4g.micro", 30, 30, 30)
	f.Add("ap-northeast-1", "ARM64", 16384, 122880, 0, 0, 0, true, "onePerAz", "api/", "api.example.com", "Z1", "arn:aws:acm:ap-northeast-1:123456789012:certificate/x", "17.2", "db.r7g.large", 0, 3600, 121)
	f.Add("", "", -1, -1, -5, 3, 2, true, "Single", "", "ÿ.example", "Z0123456789ABC", "arn:aws:acm::1:certificate/", ".", "db.", -1, 99999, 1)
	f.Fuzz(func(t *testing.T, region, arch string, cpu, memory, min, desired, max int, spot bool, nat, path, domain, zone, cert, engine, class string, logDays, dereg, stop int) {
		c := validConfig()
		c.Region, c.Architecture, c.CPU, c.Memory = region, arch, cpu, memory
		c.MinCount, c.DesiredCount, c.MaxCount, c.UseSpot, c.NATGateways = min, desired, max, spot, nat
		c.HealthCheckPath, c.DomainName, c.HostedZoneID, c.CertificateARN = path, domain, zone, cert
		c.DBEngineVersion, c.DBInstanceClass, c.LogRetentionDays, c.DeregistrationDelay, c.StopTimeout = engine, class, logDays, dereg, stop
		if c.Validate() != nil {
			return
		}
		if !slices.Contains(fargateMemory[c.CPU], c.Memory) {
			t.Errorf("accepted cpu %d memory %d", c.CPU, c.Memory)
		}
		if c.MinCount < 0 || c.MinCount > c.DesiredCount || c.DesiredCount > c.MaxCount {
			t.Errorf("accepted counts %d/%d/%d", c.MinCount, c.DesiredCount, c.MaxCount)
		}
		if c.Platform() == "" || !slices.Contains(natStrategies, c.NATGateways) || (c.UseSpot && c.Architecture == "ARM64") {
			t.Errorf("accepted architecture %q nat %q spot %v", c.Architecture, c.NATGateways, c.UseSpot)
		}
		if !strings.HasPrefix(c.HealthCheckPath, "/") || c.Region == "" {
			t.Errorf("accepted path %q region %q", c.HealthCheckPath, c.Region)
		}
		if (c.HostedZoneID != "" || c.CertificateARN != "") != (c.DomainName != "") {
			t.Errorf("accepted domain %q zone %q certificate %q", c.DomainName, c.HostedZoneID, c.CertificateARN)
		}
		if c.CertificateARN != "" && !strings.Contains(c.CertificateARN, ":"+c.Region+":") {
			t.Errorf("accepted certificate %q outside %s", c.CertificateARN, c.Region)
		}
	})
}
