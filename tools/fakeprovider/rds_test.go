package main

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func runCreate(t *testing.T, typ, name string, in resource.PropertyMap) (string, resource.PropertyMap) {
	t.Helper()
	s := newServer("aws", "6.83.4", nil)
	s.region = "us-east-1"
	r := s.newRes(awsTypes[typ], "urn:pulumi:dev::p::"+typ+"::"+name, in, false)
	id, outs, err := awsTypes[typ].create(r)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return id, toPropertyMap(outs)
}

func runHook(t *testing.T, typ, name, id string, hook func(*typeSpec) func(*res) error, in, oldIn resource.PropertyMap) error {
	t.Helper()
	s := newServer("aws", "6.83.4", nil)
	s.region = "us-east-1"
	r := s.newRes(awsTypes[typ], "urn:pulumi:dev::p::"+typ+"::"+name, in, false)
	r.old, r.oldIn, r.id = in, oldIn, id
	return hook(awsTypes[typ])(r)
}

func update(s *typeSpec) func(*res) error { return s.update }
func remove(s *typeSpec) func(*res) error { return s.remove }

func TestRDSNetworkRules(t *testing.T) {
	t.Setenv("FAKE_AWS_STATE_DIR", t.TempDir())
	vpcID, _ := runCreate(t, "aws:ec2/vpc:Vpc", "vpc", pm(map[string]any{"cidrBlock": "10.0.0.0/16"}))
	subnet := func(name, cidr, az string) string {
		id, _ := runCreate(t, "aws:ec2/subnet:Subnet", name, pm(map[string]any{"vpcId": vpcID, "cidrBlock": cidr, "availabilityZone": az}))
		return id
	}
	a, b := subnet("a", "10.0.1.0/24", "us-east-1a"), subnet("b", "10.0.2.0/24", "us-east-1b")
	c, d := subnet("c", "10.0.3.0/24", "us-east-1a"), subnet("d", "10.0.4.0/24", "us-east-1b")
	runCreate(t, "aws:rds/subnetGroup:SubnetGroup", "g1", pm(map[string]any{"name": "g1", "subnetIds": []any{a, b}}))
	runCreate(t, "aws:rds/subnetGroup:SubnetGroup", "g2", pm(map[string]any{"name": "g2", "subnetIds": []any{c, d}}))
	dbIn := pm(map[string]any{"identifier": "db1", "engine": "postgres", "dbSubnetGroupName": "g1", "instanceClass": "db.t4g.micro"})
	_, outs := runCreate(t, "aws:rds/instance:Instance", "db", dbIn)
	if az, _ := str(outs, "availabilityZone"); az != "us-east-1a" {
		t.Errorf("availabilityZone = %q", az)
	}

	// The group may not drop the subnet the instance lives in.
	err := runHook(t, "aws:rds/subnetGroup:SubnetGroup", "g1", "g1", update, pm(map[string]any{"name": "g1", "subnetIds": []any{b, c}}), nil)
	if err == nil || !strings.Contains(err.Error(), "currently in use: "+a) {
		t.Errorf("subnet group update: %v", err)
	}
	// Nor may the subnet be deleted.
	if err := runHook(t, "aws:ec2/subnet:Subnet", "a", a, remove, pm(map[string]any{}), nil); err == nil || !strings.Contains(err.Error(), "DependencyViolation") {
		t.Errorf("subnet delete: %v", err)
	}
	// RDS moves an instance only to a subnet group in another VPC.
	moved := pm(map[string]any{"identifier": "db1", "engine": "postgres", "dbSubnetGroupName": "g2", "instanceClass": "db.t4g.micro"})
	if err := runHook(t, "aws:rds/instance:Instance", "db", "db-x", update, moved, dbIn); err == nil || !strings.Contains(err.Error(), "InvalidVPCNetworkStateFault") {
		t.Errorf("move to a group in the same VPC: %v", err)
	}
	// The group cannot be deleted while the instance uses it.
	if err := runHook(t, "aws:rds/subnetGroup:SubnetGroup", "g1", "g1", remove, pm(map[string]any{"name": "g1"}), nil); err == nil || !strings.Contains(err.Error(), "InvalidDBSubnetGroupStateFault") {
		t.Errorf("group delete: %v", err)
	}
	// Deletion protection and final snapshots.
	if err := runHook(t, "aws:rds/instance:Instance", "db", "db-x", remove, pm(map[string]any{"identifier": "db1", "deletionProtection": true}), nil); err == nil ||
		!strings.Contains(err.Error(), "Cannot delete protected DB Instance") {
		t.Errorf("deletion protection: %v", err)
	}
	if err := runHook(t, "aws:rds/instance:Instance", "db", "db-x", remove, pm(map[string]any{"identifier": "db1"}), nil); err == nil ||
		!strings.Contains(err.Error(), "final_snapshot_identifier is required") {
		t.Errorf("final snapshot: %v", err)
	}
	if err := runHook(t, "aws:rds/instance:Instance", "db", "db-x", remove, pm(map[string]any{"identifier": "db1", "skipFinalSnapshot": true}), nil); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := runHook(t, "aws:ec2/subnet:Subnet", "a", a, remove, pm(map[string]any{}), nil); err != nil {
		t.Errorf("subnet delete after the instance is gone: %v", err)
	}
}

func TestRDSMajorUpgradeNeedsTheFlag(t *testing.T) {
	t.Setenv("FAKE_AWS_STATE_DIR", t.TempDir())
	typ := "aws:rds/instance:Instance"
	old := pm(map[string]any{"identifier": "db1", "engine": "postgres", "engineVersion": "16", "instanceClass": "db.t4g.micro"})
	for _, tc := range []struct {
		in      map[string]any
		refused bool
	}{
		{map[string]any{"engineVersion": "17"}, true},
		{map[string]any{"engineVersion": "17", "allowMajorVersionUpgrade": true}, false},
		{map[string]any{"engineVersion": "16.4"}, false}, // a minor version is not a major upgrade
	} {
		in := pm(map[string]any{"identifier": "db1", "engine": "postgres", "instanceClass": "db.t4g.micro"})
		for k, v := range pm(tc.in) {
			in[k] = v
		}
		err := runHook(t, typ, "db", "db-1", update, in, old)
		if refused := err != nil && strings.Contains(err.Error(), "AllowMajorVersionUpgrade flag must be present"); refused != tc.refused {
			t.Errorf("%v: err %v, want refused %v", tc.in, err, tc.refused)
		}
	}
	if msgs := awsTypes[typ].Validate(pm(map[string]any{"identifier": "db1", "maxAllocatedStorage": 80000})); len(msgs) != 1 {
		t.Errorf("maxAllocatedStorage 80000: %v, want one refusal", msgs)
	}
}
