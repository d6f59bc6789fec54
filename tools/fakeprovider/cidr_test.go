package main

import (
	"reflect"
	"strings"
	"testing"
)

// Expected values come from pulumi/pulumi-awsx awsx/ec2/subnetDistributorNew.test.ts (cited per case) or
// follow its algorithm by hand (the project's own layout).

func TestNextNetmask(t *testing.T) {
	// subnetDistributorNew.test.ts: describe("nextNetmask")
	for _, tc := range []struct {
		prev string
		bits int
		want string
	}{
		{"10.0.0.0/16", 17, "10.1.0.0/17"},
		{"10.0.0.0/17", 16, "10.1.0.0/16"},
		{"10.0.0.0/24", 22, "10.0.4.0/22"},
	} {
		prev, _ := parseNetmask(tc.prev)
		if got := nextNetmask(prev, tc.bits).String(); got != tc.want {
			t.Errorf("nextNetmask(%s, %d) = %s, want %s", tc.prev, tc.bits, got, tc.want)
		}
	}
}

func cidrs(specs []subnetSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.SubnetName+" "+s.AZ+" "+s.CidrBlock)
	}
	return out
}

func TestSubnetAllocation(t *testing.T) {
	tests := []struct {
		name   string
		vpc    string
		azs    []string
		specs  []subnetSpecInput
		azMask int
		want   []string
	}{
		{
			// "can override az cidr mask"
			name: "az cidr mask override", vpc: "10.0.0.0/16", azs: []string{"us-east-1a"},
			specs: []subnetSpecInput{{Type: "Public"}}, azMask: 19,
			want: []string{"vpcName-public-1 us-east-1a 10.0.0.0/19"},
		},
		{
			// "when no layout specified": a /16 AZ gets Private /17 and Public /18
			name: "default layout", vpc: "10.0.0.0/16", azs: []string{"us-east-1a"},
			want: []string{"vpcName-private-1 us-east-1a 10.0.0.0/17", "vpcName-public-1 us-east-1a 10.0.128.0/18"},
		},
		{
			// "default sizes for private, public and isolated subnet": /azMask+2 each
			name: "three specs without masks", vpc: "10.0.0.0/20", azs: []string{"us-east-1a"},
			specs: []subnetSpecInput{{Type: "Private"}, {Type: "Public"}, {Type: "Isolated"}},
			want:  []string{"vpcName-private-1 us-east-1a 10.0.0.0/22", "vpcName-public-1 us-east-1a 10.0.4.0/22", "vpcName-isolated-1 us-east-1a 10.0.8.0/22"},
		},
		{
			// The project's layout (infra/network.go, natGateways onePerAz): 2 AZs split the /16 into /17s.
			name: "project layout", vpc: "10.0.0.0/16", azs: []string{"us-east-1a", "us-east-1b"},
			specs: []subnetSpecInput{{Type: "Public", CidrMask: 24}, {Type: "Private", CidrMask: 22}, {Type: "Isolated", CidrMask: 24}},
			want: []string{
				"vpcName-public-1 us-east-1a 10.0.0.0/24", "vpcName-private-1 us-east-1a 10.0.4.0/22", "vpcName-isolated-1 us-east-1a 10.0.8.0/24",
				"vpcName-public-2 us-east-1b 10.0.128.0/24", "vpcName-private-2 us-east-1b 10.0.132.0/22", "vpcName-isolated-2 us-east-1b 10.0.136.0/24",
			},
		},
		{
			// Unused reserves space: the isolated subnet moves on, nothing is created for it (vpc.ts filters it).
			name: "unused reserves space", vpc: "10.0.0.0/16", azs: []string{"us-east-1a", "us-east-1b"},
			specs: []subnetSpecInput{{Type: "Public", CidrMask: 24}, {Type: "Unused", CidrMask: 22}, {Type: "Isolated", CidrMask: 24}},
			want: []string{
				"vpcName-public-1 us-east-1a 10.0.0.0/24", "vpcName-unused-1 us-east-1a 10.0.4.0/22", "vpcName-isolated-1 us-east-1a 10.0.8.0/24",
				"vpcName-public-2 us-east-1b 10.0.128.0/24", "vpcName-unused-2 us-east-1b 10.0.132.0/22", "vpcName-isolated-2 us-east-1b 10.0.136.0/24",
			},
		},
		{
			name: "named specs", vpc: "10.0.0.0/16", azs: []string{"a", "b", "c"},
			specs: []subnetSpecInput{{Type: "Private", Name: "app", CidrMask: 20}},
			want:  []string{"vpcName-app-1 a 10.0.0.0/20", "vpcName-app-2 b 10.0.64.0/20", "vpcName-app-3 c 10.0.128.0/20"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			specs, _, err := normalizeSubnetInputs(tc.specs, len(tc.azs))
			if err != nil {
				t.Fatal(err)
			}
			if tc.specs == nil {
				specs = nil
			}
			got, err := getSubnetSpecs("vpcName", tc.vpc, tc.azs, specs, tc.azMask)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cidrs(got), tc.want) {
				t.Errorf("got  %q\nwant %q", cidrs(got), tc.want)
			}
		})
	}
}

func TestExplicitSubnetLayout(t *testing.T) {
	// "explicit subnet layouts / should produce specified subnets"
	specs, explicit, err := normalizeSubnetInputs([]subnetSpecInput{
		{Type: "Public", CidrBlocks: []string{"10.0.0.0/18", "10.0.64.0/19"}},
		{Type: "Private", CidrBlocks: []string{"10.0.96.0/19", "10.0.128.0/20"}},
	}, 2)
	if err != nil || !explicit {
		t.Fatalf("explicit = %v, err = %v", explicit, err)
	}
	got := cidrs(getSubnetSpecsExplicit("vpcName", []string{"us-east-1a", "us-east-1b"}, specs))
	want := []string{"vpcName-public-1 us-east-1a 10.0.0.0/18", "vpcName-private-1 us-east-1a 10.0.96.0/19",
		"vpcName-public-2 us-east-1b 10.0.64.0/19", "vpcName-private-2 us-east-1b 10.0.128.0/20"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, _, err := normalizeSubnetInputs([]subnetSpecInput{{Type: "Public", CidrBlocks: []string{"10.0.0.0/18"}}, {Type: "Private"}}, 1); err == nil ||
		!strings.Contains(err.Error(), "all subnets must have explicit cidrBlocks") {
		t.Errorf("mixed explicit layout: err = %v", err)
	}
}

func TestSubnetValidation(t *testing.T) {
	// "highlights gaps at end of VPC"
	specs, err := getSubnetSpecs("vpcName", "10.0.0.0/16", []string{"us-east-1a"},
		[]subnetSpecInput{{Type: "Public"}, {Type: "Private"}, {Type: "Isolated"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = validateNoGaps("10.0.0.0/16", specs)
	if err == nil || !strings.Contains(err.Error(), "Please fix the following gaps: vpcName-isolated-1 (ending 10.0.191.254) ends before VPC ends (at 10.0.255.254})") {
		t.Errorf("validateNoGaps: %v", err)
	}
	if _, err := getSubnetSpecs("v", "10.0.0.0/24", []string{"a", "b"}, []subnetSpecInput{{Type: "Public", CidrMask: 24}}, 0); err == nil ||
		!strings.Contains(err.Error(), "Subnets are too large for VPC. VPC has 128 addresses, but subnets require 256 addresses.") {
		t.Errorf("too large: %v", err)
	}
	if err := validateNatGatewayStrategy("OnePerAz", []subnetSpec{{Type: "Public"}, {Type: "Isolated"}}); err == nil {
		t.Error("OnePerAz without private subnets must fail")
	}
	if err := validateSubnets([]subnetSpec{{SubnetName: "a", CidrBlock: "10.0.0.0/24"}, {SubnetName: "b", CidrBlock: "10.0.0.0/23"}}); err == nil ||
		!strings.Contains(err.Error(), "1. a: 10.0.0.0/24\n2. b: 10.0.0.0/23") {
		t.Errorf("overlap: %v", err)
	}
}

func TestNatGatewaysPerStrategy(t *testing.T) {
	count := func(strategy string, azs int) int {
		n := 0
		for i := 0; i < azs; i++ {
			if shouldCreateNatGateway(strategy, n, i) {
				n++
			}
		}
		return n
	}
	if count("None", 3) != 0 || count("Single", 3) != 1 || count("OnePerAz", 3) != 3 {
		t.Errorf("NAT gateways: none %d, single %d, onePerAz %d", count("None", 3), count("Single", 3), count("OnePerAz", 3))
	}
}

func TestSortSubnetSpecs(t *testing.T) {
	specs := []subnetSpec{{Type: "Isolated"}, {Type: "Private"}, {Type: "Public"}}
	sortSubnetSpecs(specs)
	if specs[0].Type != "Public" || specs[1].Type != "Private" || specs[2].Type != "Isolated" {
		t.Errorf("order = %v", specs)
	}
}
