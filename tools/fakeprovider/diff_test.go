package main

import (
	"context"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func pm(kv map[string]any) resource.PropertyMap { return toPropertyMap(kv) }

func secret(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}

func TestDiffReplacement(t *testing.T) {
	autonamed := func(kv map[string]any) resource.PropertyMap {
		m := pm(kv)
		markDefaulted(m, []string{"name"})
		return m
	}
	tests := []struct {
		name, typ    string
		olds, news   resource.PropertyMap
		changes      bool
		replaces     []string
		deleteBefore bool
	}{
		{name: "subnet cidrBlock forces new", typ: "aws:ec2/subnet:Subnet",
			olds:    pm(map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "availabilityZone": "us-east-1a"}),
			news:    pm(map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "availabilityZone": "us-east-1a"}),
			changes: true, replaces: []string{"cidrBlock"}},
		{name: "subnet availabilityZone forces new", typ: "aws:ec2/subnet:Subnet",
			olds:    pm(map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "availabilityZone": "us-east-1a"}),
			news:    pm(map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "availabilityZone": "us-east-1b"}),
			changes: true, replaces: []string{"availabilityZone"}},
		{name: "subnet mapPublicIpOnLaunch is in place", typ: "aws:ec2/subnet:Subnet",
			olds: pm(map[string]any{"vpcId": "vpc-1", "mapPublicIpOnLaunch": false}),
			news: pm(map[string]any{"vpcId": "vpc-1", "mapPublicIpOnLaunch": true}), changes: true},
		{name: "unknown value in a ForceNew property replaces", typ: "aws:ec2/subnet:Subnet",
			olds:    pm(map[string]any{"vpcId": "vpc-1"}),
			news:    resource.PropertyMap{"vpcId": resource.MakeComputed(resource.NewStringProperty(""))},
			changes: true, replaces: []string{"vpcId"}},
		{name: "security group rule description is in place", typ: "aws:ec2/securityGroupRule:SecurityGroupRule",
			olds: pm(map[string]any{"fromPort": 80, "description": "a"}), news: pm(map[string]any{"fromPort": 80, "description": "b"}), changes: true},
		{name: "security group rule port replaces", typ: "aws:ec2/securityGroupRule:SecurityGroupRule",
			olds: pm(map[string]any{"fromPort": 80}), news: pm(map[string]any{"fromPort": 8000}), changes: true, replaces: []string{"fromPort"}},
		{name: "secret version: a new secretString is a new version", typ: "aws:secretsmanager/secretVersion:SecretVersion",
			olds:    resource.PropertyMap{"secretId": resource.NewStringProperty("arn:s"), "secretString": secret("a")},
			news:    resource.PropertyMap{"secretId": resource.NewStringProperty("arn:s"), "secretString": secret("b")},
			changes: true, replaces: []string{"secretString"}},
		{name: "secretness alone is no change", typ: "aws:secretsmanager/secretVersion:SecretVersion",
			olds: resource.PropertyMap{"secretId": resource.NewStringProperty("arn:s"), "secretString": resource.NewStringProperty("a")},
			news: resource.PropertyMap{"secretId": resource.NewStringProperty("arn:s"), "secretString": secret("a")}},
		{name: "task definition: JSON compared semantically", typ: "aws:ecs/taskDefinition:TaskDefinition",
			olds: pm(map[string]any{"family": "f", "containerDefinitions": `[{"name":"app","image":"x"}]`}),
			news: pm(map[string]any{"family": "f", "containerDefinitions": `[ {"image": "x", "name": "app"} ]`})},
		{name: "task definition: any change is a new revision", typ: "aws:ecs/taskDefinition:TaskDefinition",
			olds: pm(map[string]any{"family": "f", "cpu": "256"}), news: pm(map[string]any{"family": "f", "cpu": "512"}),
			changes: true, replaces: []string{"cpu"}},
		{name: "task definition: tags are in place", typ: "aws:ecs/taskDefinition:TaskDefinition",
			olds: pm(map[string]any{"family": "f"}), news: pm(map[string]any{"family": "f", "tags": map[string]any{"a": "b"}}), changes: true},
		{name: "ecs service: capacity provider change replaces without forceNewDeployment", typ: "aws:ecs/service:Service",
			olds:    autonamed(map[string]any{"name": "svc-1234567", "capacityProviderStrategies": []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1}}}),
			news:    autonamed(map[string]any{"name": "svc-1234567", "capacityProviderStrategies": []any{map[string]any{"capacityProvider": "FARGATE_SPOT", "weight": 1}}}),
			changes: true, replaces: []string{"capacityProviderStrategies"}},
		{name: "ecs service: capacity provider change in place with forceNewDeployment", typ: "aws:ecs/service:Service",
			olds:    autonamed(map[string]any{"name": "svc-1234567", "forceNewDeployment": true, "capacityProviderStrategies": []any{map[string]any{"capacityProvider": "FARGATE"}}}),
			news:    autonamed(map[string]any{"name": "svc-1234567", "forceNewDeployment": true, "capacityProviderStrategies": []any{map[string]any{"capacityProvider": "FARGATE_SPOT"}}}),
			changes: true},
		{name: "ecs service: desiredCount and taskDefinition are in place", typ: "aws:ecs/service:Service",
			olds: autonamed(map[string]any{"name": "svc-1234567", "taskDefinition": "a:1", "desiredCount": 1}),
			news: autonamed(map[string]any{"name": "svc-1234567", "taskDefinition": "a:2", "desiredCount": 2}), changes: true},
		{name: "role policy attachment deletes before replacing", typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
			olds: pm(map[string]any{"role": "r", "policyArn": "a"}), news: pm(map[string]any{"role": "r", "policyArn": "b"}),
			changes: true, replaces: []string{"policyArn"}, deleteBefore: true},
		{name: "explicitly named log group deletes before replacing", typ: "aws:cloudwatch/logGroup:LogGroup",
			olds: pm(map[string]any{"name": "/ecs/a"}), news: pm(map[string]any{"name": "/ecs/b"}),
			changes: true, replaces: []string{"name"}, deleteBefore: true},
		{name: "auto-named target group creates before deleting", typ: "aws:lb/targetGroup:TargetGroup",
			olds: autonamed(map[string]any{"name": "tg-1234567", "port": 8000}), news: autonamed(map[string]any{"name": "tg-1234567", "port": 8080}),
			changes: true, replaces: []string{"port"}},
		{name: "target group health check is in place", typ: "aws:lb/targetGroup:TargetGroup",
			olds: autonamed(map[string]any{"name": "tg-1234567", "healthCheck": map[string]any{"path": "/a"}}),
			news: autonamed(map[string]any{"name": "tg-1234567", "healthCheck": map[string]any{"path": "/b"}}), changes: true},
		{name: "db instance dbSubnetGroupName is in place", typ: "aws:rds/instance:Instance",
			olds: pm(map[string]any{"engine": "postgres", "dbSubnetGroupName": "a"}), news: pm(map[string]any{"engine": "postgres", "dbSubnetGroupName": "b"}),
			changes: true},
		{name: "db instance engine forces new", typ: "aws:rds/instance:Instance",
			olds: pm(map[string]any{"engine": "postgres"}), news: pm(map[string]any{"engine": "mysql"}),
			changes: true, replaces: []string{"engine"}},
		{name: "ecr repository mutability is in place", typ: "aws:ecr/repository:Repository",
			olds: autonamed(map[string]any{"name": "r-1234567", "imageTagMutability": "MUTABLE"}),
			news: autonamed(map[string]any{"name": "r-1234567", "imageTagMutability": "IMMUTABLE"}), changes: true},
		{name: "bookkeeping keys are not diffs", typ: "aws:ecs/cluster:Cluster",
			olds: autonamed(map[string]any{"name": "c-1234567", "tagsAll": map[string]any{"a": "b"}}),
			news: autonamed(map[string]any{"name": "c-1234567"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := awsDiff(awsTypes[tc.typ], tc.olds, tc.news)
			if got := d.GetChanges() == pulumirpc.DiffResponse_DIFF_SOME; got != tc.changes {
				t.Fatalf("changes = %v, want %v (%v)", got, tc.changes, d)
			}
			if !reflect.DeepEqual(d.GetReplaces(), tc.replaces) && !(len(d.GetReplaces()) == 0 && len(tc.replaces) == 0) {
				t.Errorf("replaces = %v, want %v", d.GetReplaces(), tc.replaces)
			}
			if d.GetDeleteBeforeReplace() != tc.deleteBefore {
				t.Errorf("deleteBeforeReplace = %v, want %v", d.GetDeleteBeforeReplace(), tc.deleteBefore)
			}
			for _, k := range tc.replaces {
				if kind := d.GetDetailedDiff()[k].GetKind(); kind != pulumirpc.PropertyDiff_UPDATE_REPLACE && kind != pulumirpc.PropertyDiff_ADD_REPLACE {
					t.Errorf("detailed diff of %s = %v", k, kind)
				}
			}
		})
	}
}

// Every property in the replacement table names a real-looking Pulumi property (camelCase), and every type
// documents its source.
func TestReplacementTableWellFormed(t *testing.T) {
	for tok, s := range awsTypes {
		if s.Source == "" || s.TF == "" {
			t.Errorf("%s: no source", tok)
		}
		for _, k := range append(append([]string{}, s.Replace...), s.ReplaceAllExcept...) {
			if k == "" || k[0] < 'a' || k[0] > 'z' {
				t.Errorf("%s: property %q", tok, k)
			}
		}
	}
}

func TestDockerDiff(t *testing.T) {
	s := newServer("docker", "4.10.0", nil)
	base := func(password, server, digest string) resource.PropertyMap {
		return pm(map[string]any{
			"imageName": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:v1",
			"build":     map[string]any{"context": "app", "dockerfile": "app/Dockerfile", "platform": "linux/amd64", "contextDigest": digest},
			"registry":  map[string]any{"server": server, "username": "AWS", "password": password},
		})
	}
	state := checkpointObject(base("p1", "a.example.com", "d1"), pm(map[string]any{"repoDigest": "x"}))
	tests := []struct {
		name    string
		news    resource.PropertyMap
		changed bool
	}{
		{"same inputs", base("p1", "a.example.com", "d1"), false},
		{"only the registry password changed", base("p2", "a.example.com", "d1"), false},
		{"registry server changed", base("p1", "b.example.com", "d1"), true},
		{"build context digest changed", base("p1", "a.example.com", "d2"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			olds, _ := marshal(state)
			news, _ := marshal(tc.news)
			d, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Type: dockerImageType, Olds: olds, News: news,
				Urn: "urn:pulumi:dev::p::docker:index/image:Image::image"})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.GetChanges() == pulumirpc.DiffResponse_DIFF_SOME; got != tc.changed {
				t.Fatalf("changed = %v, want %v (%v)", got, tc.changed, d)
			}
			if len(d.GetReplaces()) != 0 {
				t.Errorf("docker Image never replaces: %v", d.GetReplaces())
			}
		})
	}
}

func TestDefaultTagsFlowIntoTagsAll(t *testing.T) {
	s := newServer("aws", "6.83.4", nil)
	s.region, s.defaultTags = "us-east-1", map[string]string{"stack": "dev"}
	in := pm(map[string]any{"name": "c-1234567", "tags": map[string]any{"a": "b"}})
	state := in.Copy()
	state["tagsAll"] = toProperty(map[string]string{"stack": "dev", "a": "b"})
	diff := func() *pulumirpc.DiffResponse {
		olds, _ := marshal(state)
		news, _ := marshal(in)
		d, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Type: "aws:ecs/cluster:Cluster", Olds: olds, OldInputs: news, News: news,
			Urn: "urn:pulumi:dev::p::aws:ecs/cluster:Cluster::c"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := diff(); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("unchanged default tags: %v", d)
	}
	s.defaultTags["stack"] = "prod"
	if d := diff(); d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) != 0 || d.GetDetailedDiff()["tagsAll"] == nil {
		t.Fatalf("changed default tags: %v", d)
	}
}
