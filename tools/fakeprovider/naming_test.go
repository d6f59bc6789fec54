package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func check(t *testing.T, s *server, typ, name string, seed []byte, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure, error) {
	t.Helper()
	o, err := marshal(olds)
	if err != nil {
		t.Fatal(err)
	}
	n, err := marshal(news)
	if err != nil {
		t.Fatal(err)
	}
	urn := "urn:pulumi:dev::proj::" + typ + "::" + name
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, Type: typ, Name: name, Olds: o, News: n, RandomSeed: seed})
	if err != nil {
		return nil, nil, err
	}
	inputs, err := unmarshal(resp.GetInputs())
	if err != nil {
		t.Fatal(err)
	}
	return inputs, resp.GetFailures(), nil
}

func TestAutoNaming(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	seed := []byte("seed-1")
	tests := []struct {
		typ, name, prop string
		want            *regexp.Regexp
	}{
		{"aws:ecr/repository:Repository", "app-registry-repo", "name", regexp.MustCompile(`^app-registry-repo-[0-9a-f]{7}$`)},
		{"aws:lb/loadBalancer:LoadBalancer", "taskapi-dev-lb-alb", "name", regexp.MustCompile(`^taskapi-dev-lb-alb-[0-9a-f]{7}$`)},
		{"aws:iam/role:Role", "exec-role", "name", regexp.MustCompile(`^exec-role-[0-9a-f]{7}$`)},
		// aws_db_instance: NewUniqueHex(<logical name>, 7, 255), no separator.
		{"aws:rds/instance:Instance", "app-db-pg", "identifier", regexp.MustCompile(`^app-db-pg[0-9a-f]{7}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			in, _, err := check(t, s, tc.typ, tc.name, seed, nil, resource.PropertyMap{"instanceClass": resource.NewStringProperty("db.t4g.micro")})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := str(in, tc.prop)
			if !tc.want.MatchString(got) {
				t.Fatalf("%s = %q, want %v", tc.prop, got, tc.want)
			}
			// Same seed, same name (the engine's seed makes it deterministic within a step).
			again, _, _ := check(t, s, tc.typ, tc.name, seed, nil, resource.PropertyMap{"instanceClass": resource.NewStringProperty("db.t4g.micro")})
			if v, _ := str(again, tc.prop); v != got {
				t.Errorf("same seed gave %q then %q", got, v)
			}
			// A later check with the old inputs keeps the name, whatever the new seed: no diff on the next preview.
			kept, _, _ := check(t, s, tc.typ, tc.name, []byte("other"), in, resource.PropertyMap{"instanceClass": resource.NewStringProperty("db.t4g.micro")})
			if v, _ := str(kept, tc.prop); v != got {
				t.Errorf("with old inputs the name changed: %q -> %q", got, v)
			}
			// A replacement re-checks without old inputs and a new seed: a new name.
			fresh, _, _ := check(t, s, tc.typ, tc.name, []byte("other"), nil, resource.PropertyMap{"instanceClass": resource.NewStringProperty("db.t4g.micro")})
			if v, _ := str(fresh, tc.prop); v == got {
				t.Errorf("a replacement kept the old name %q", v)
			}
			if !defaulted(in, tc.prop) {
				t.Errorf("%s not listed in %s", tc.prop, defaultsKey)
			}
		})
	}
}

func TestAutoNamingEmptySeed(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	in, _, err := check(t, s, "aws:ecs/cluster:Cluster", "cluster", nil, nil, resource.PropertyMap{})
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := str(in, "name"); !regexp.MustCompile(`^cluster-[0-9a-f]{7}$`).MatchString(name) {
		t.Fatalf("name = %q", name)
	}
}

func TestExplicitNameKept(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	in, _, err := check(t, s, "aws:cloudwatch/logGroup:LogGroup", "logs", []byte("x"), nil,
		resource.PropertyMap{"name": resource.NewStringProperty("/ecs/app")})
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := str(in, "name"); name != "/ecs/app" || defaulted(in, "name") {
		t.Fatalf("name = %q, defaulted = %v", name, defaulted(in, "name"))
	}
}

func TestAutoNameTooLong(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	// 25 characters + "-" + 7 random > 32: the bridge's error.
	_, _, err := check(t, s, "aws:lb/targetGroup:TargetGroup", strings.Repeat("t", 25), []byte("x"), nil, resource.PropertyMap{})
	if err == nil || !strings.Contains(err.Error(), "plus 7 random chars is longer than maximum length 32") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckFailures(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	_, failures, err := check(t, s, "aws:ec2/securityGroupRule:SecurityGroupRule", "rule", nil, nil, resource.PropertyMap{
		"type": resource.NewStringProperty("ingress"), "fromPort": resource.NewNumberProperty(80),
		"toPort": resource.NewNumberProperty(80), "protocol": resource.NewStringProperty("tcp"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, f := range failures {
		reasons = append(reasons, f.GetReason())
	}
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, "Missing required property 'securityGroupId'") || !strings.Contains(joined, "must be set to create an AWS Security Group Rule") {
		t.Fatalf("failures = %v", reasons)
	}
	_, failures, _ = check(t, s, "aws:ecr/repository:Repository", "r", nil, nil, resource.PropertyMap{"name": resource.NewStringProperty("MyRepo")})
	if len(failures) != 1 {
		t.Fatalf("uppercase ECR name: failures = %v", failures)
	}
}

func TestUnknownTypeFailsLoudly(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	_, _, err := check(t, s, "aws:ssm/parameter:Parameter", "p", nil, nil, resource.PropertyMap{})
	if err == nil || !strings.Contains(err.Error(), `"aws:ssm/parameter:Parameter"`) || !strings.Contains(err.Error(), "awstypes.go") {
		t.Fatalf("err = %v", err)
	}
}

func TestIdentity(t *testing.T) {
	pkg, version, err := identity("/home/x/.pulumi/plugins/resource-aws-v6.83.4/pulumi-resource-aws")
	if err != nil || pkg != "aws" || version != "6.83.4" {
		t.Fatalf("got %q %q %v", pkg, version, err)
	}
	if _, _, err := identity("/tmp/pulumi-resource-gcp"); err == nil {
		t.Fatal("want an error for an unknown package")
	}
}
