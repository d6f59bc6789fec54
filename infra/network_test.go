package infra

import (
	"slices"
	"strconv"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestNetworkSubnetsFollowNATGateways(t *testing.T) {
	cases := []struct {
		nat          string
		wantTypes    []string
		wantStrategy string
		wantPublicIP bool
		wantSubnets  []string
	}{
		// The private range is reserved (Unused) without NAT, so the isolated subnets keep their CIDRs.
		{NATNone, []string{"Public", "Unused", "Isolated"}, "None", true, []string{"subnet-public-a", "subnet-public-b"}},
		{NATSingle, []string{"Public", "Private", "Isolated"}, "Single", false, []string{"subnet-private-a", "subnet-private-b"}},
		{NATOnePerAZ, []string{"Public", "Private", "Isolated"}, "OnePerAz", false, []string{"subnet-private-a", "subnet-private-b"}},
	}
	for _, tc := range cases {
		t.Run(tc.nat, func(t *testing.T) {
			var taskSubnets []string
			var publicIP bool
			m := run(t, func(ctx *pulumi.Context) error {
				n, err := NewNetwork(ctx, "net", &NetworkArgs{NATGateways: tc.nat})
				if err != nil {
					return err
				}
				publicIP = n.AssignPublicIP
				await(n.TaskSubnetIDs, &taskSubnets)
				return nil
			})
			vpc := m.One(t, "awsx:ec2:Vpc", "net-vpc")
			var types []string
			for i := 0; ; i++ {
				typ := vpc.String("subnetSpecs." + strconv.Itoa(i) + ".type")
				if typ == "" {
					break
				}
				types = append(types, typ)
			}
			if !slices.Equal(types, tc.wantTypes) {
				t.Errorf("subnet types %v, want %v", types, tc.wantTypes)
			}
			// The same sizes in the same order for every NAT setting: awsx then allocates the same CIDRs.
			var masks []float64
			for i := range types {
				masks = append(masks, vpc.Number("subnetSpecs."+strconv.Itoa(i)+".cidrMask"))
			}
			if !slices.Equal(masks, []float64{24, 22, 24}) {
				t.Errorf("subnet masks %v, want [24 22 24]", masks)
			}
			if got := vpc.String("natGateways.strategy"); got != tc.wantStrategy {
				t.Errorf("NAT strategy %q, want %q", got, tc.wantStrategy)
			}
			if vpc.Number("numberOfAvailabilityZones") != 2 {
				t.Errorf("AZs %v, want 2", vpc.Number("numberOfAvailabilityZones"))
			}
			if publicIP != tc.wantPublicIP || !slices.Equal(taskSubnets, tc.wantSubnets) {
				t.Errorf("tasks in %v with public IP %v, want %v with %v", taskSubnets, publicIP, tc.wantSubnets, tc.wantPublicIP)
			}
		})
	}
}

func TestSecurityGroupsChainInternetToALBToTasksToDatabase(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "net", &NetworkArgs{NATGateways: NATNone})
		return err
	})
	type rule struct {
		group, kind, protocol string
		port                  float64
		from                  string // CIDR or source group
	}
	var got []rule
	for _, r := range m.Resources("aws:ec2/securityGroupRule:SecurityGroupRule") {
		from := r.String("sourceSecurityGroupId")
		if from == "" {
			from = r.Strings("cidrBlocks")[0]
		}
		if r.Number("fromPort") != r.Number("toPort") {
			t.Errorf("%s opens a port range %v-%v", r.Name, r.Number("fromPort"), r.Number("toPort"))
		}
		got = append(got, rule{r.String("securityGroupId"), r.String("type"), r.String("protocol"), r.Number("fromPort"), from})
	}
	want := []rule{
		{"sg-net-alb-sg", "ingress", "tcp", 80, "0.0.0.0/0"},
		{"sg-net-alb-sg", "ingress", "tcp", 443, "0.0.0.0/0"},
		{"sg-net-alb-sg", "egress", "tcp", 8000, "sg-net-service-sg"},
		{"sg-net-service-sg", "ingress", "tcp", 8000, "sg-net-alb-sg"},
		{"sg-net-service-sg", "egress", "-1", 0, "0.0.0.0/0"},
		{"sg-net-db-sg", "ingress", "tcp", 5432, "sg-net-service-sg"},
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing rule %+v", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d rules, want exactly %d: %+v", len(got), len(want), got)
	}
	for _, sg := range m.Resources("aws:ec2/securityGroup:SecurityGroup") {
		if sg.Get("ingress").IsArray() || sg.Get("egress").IsArray() {
			t.Errorf("%s mixes inline rules with standalone ones", sg.Name)
		}
	}
}
