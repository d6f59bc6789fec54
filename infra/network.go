package infra

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awsxec2 "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkType is the type token of the Network component.
const NetworkType = "taskapi:infra:Network"

// NetworkArgs configures the VPC and its security groups.
type NetworkArgs struct {
	// NATGateways is none, single or onePerAz. With none there are no private subnets and tasks run in the
	// public subnets with public IPs (the seed's layout, no NAT cost).
	NATGateways string
}

// Network is a two-AZ VPC (public, optional private, isolated subnets) with the three security groups
// that chain internet → ALB → tasks → database.
type Network struct {
	pulumi.ResourceState

	VPCID             pulumi.StringOutput
	PublicSubnetIDs   pulumi.StringArrayOutput
	PrivateSubnetIDs  pulumi.StringArrayOutput
	IsolatedSubnetIDs pulumi.StringArrayOutput

	ALBSecurityGroupID      pulumi.StringOutput
	ServiceSecurityGroupID  pulumi.StringOutput
	DatabaseSecurityGroupID pulumi.StringOutput

	// TaskSubnetIDs and AssignPublicIP say where tasks run: without NAT they need public IPs to reach ECR.
	TaskSubnetIDs  pulumi.StringArrayOutput
	AssignPublicIP bool
}

var natStrategy = map[string]awsxec2.NatGatewayStrategy{
	NATNone:     awsxec2.NatGatewayStrategyNone,
	NATSingle:   awsxec2.NatGatewayStrategySingle,
	NATOnePerAZ: awsxec2.NatGatewayStrategyOnePerAz,
}

// securityGroupRule is one rule in the chain; exactly one of cidr and source is set.
type securityGroupRule struct {
	name        string
	group       *ec2.SecurityGroup
	kind        string // ingress or egress
	port        int    // 0 with protocol "-1" means all traffic
	protocol    string
	cidr        string
	source      *ec2.SecurityGroup
	description string
}

// NewNetwork creates the VPC and security groups.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	n := &Network{}
	if err := ctx.RegisterComponentResource(NetworkType, name, n, opts...); err != nil {
		return nil, err
	}
	strategy, ok := natStrategy[args.NATGateways]
	if !ok {
		return nil, fmt.Errorf("network: unknown natGateways %q", args.NATGateways)
	}
	child := pulumi.Parent(n)

	// awsx allocates each AZ's CIDR blocks in spec order. Without NAT the private range stays reserved
	// (an Unused spec creates nothing), so switching natGateways never moves the isolated subnets, whose
	// CIDRs force their replacement while the database lives in them.
	private := awsxec2.SubnetTypeUnused
	if args.NATGateways != NATNone {
		private = awsxec2.SubnetTypePrivate
	}
	specs := []awsxec2.SubnetSpecArgs{
		{Type: awsxec2.SubnetTypePublic, CidrMask: pulumi.IntRef(24)},
		{Type: private, CidrMask: pulumi.IntRef(22)},
		{Type: awsxec2.SubnetTypeIsolated, CidrMask: pulumi.IntRef(24)},
	}

	// A remote component does not inherit providers from its parent: hand it ours (the Providers option
	// among opts) explicitly, or it would create the VPC through the default provider's region.
	auto := awsxec2.SubnetAllocationStrategyAuto
	vpc, err := awsxec2.NewVpc(ctx, name+"-vpc", &awsxec2.VpcArgs{
		CidrBlock:                 pulumi.StringRef("10.0.0.0/16"),
		NumberOfAvailabilityZones: pulumi.IntRef(2),
		SubnetStrategy:            &auto,
		SubnetSpecs:               specs,
		NatGateways:               &awsxec2.NatGatewayConfigurationArgs{Strategy: strategy},
		EnableDnsHostnames:        pulumi.Bool(true),
		EnableDnsSupport:          pulumi.Bool(true),
	}, append(slices.Clone(opts), child)...)
	if err != nil {
		return nil, err
	}
	n.VPCID = vpc.VpcId
	n.PublicSubnetIDs = vpc.PublicSubnetIds
	n.PrivateSubnetIDs = vpc.PrivateSubnetIds
	n.IsolatedSubnetIDs = vpc.IsolatedSubnetIds
	n.AssignPublicIP = args.NATGateways == NATNone
	n.TaskSubnetIDs = vpc.PrivateSubnetIds
	if n.AssignPublicIP {
		n.TaskSubnetIDs = vpc.PublicSubnetIds
	}

	group := func(suffix, description string) (*ec2.SecurityGroup, error) {
		return ec2.NewSecurityGroup(ctx, name+"-"+suffix+"-sg", &ec2.SecurityGroupArgs{
			VpcId:       vpc.VpcId,
			Description: pulumi.String(description),
		}, child)
	}
	alb, err := group("alb", "Load balancer: HTTP/HTTPS from the internet")
	if err != nil {
		return nil, err
	}
	svc, err := group("service", "Fargate tasks: container port from the load balancer only")
	if err != nil {
		return nil, err
	}
	db, err := group("db", "Database: PostgreSQL from the Fargate tasks only")
	if err != nil {
		return nil, err
	}

	// Standalone rules, because ALB egress and task ingress reference each other's group.
	rules := []securityGroupRule{
		{name: "alb-http-in", group: alb, kind: "ingress", port: 80, protocol: "tcp", cidr: "0.0.0.0/0", description: "HTTP from the internet"},
		{name: "alb-https-in", group: alb, kind: "ingress", port: 443, protocol: "tcp", cidr: "0.0.0.0/0", description: "HTTPS from the internet"},
		{name: "alb-to-service", group: alb, kind: "egress", port: ContainerPort, protocol: "tcp", source: svc, description: "Requests and health checks to the tasks"},
		{name: "service-from-alb", group: svc, kind: "ingress", port: ContainerPort, protocol: "tcp", source: alb, description: "Container port from the load balancer"},
		// Tasks pull images, read secrets and write logs through AWS's public endpoints.
		{name: "service-out", group: svc, kind: "egress", protocol: "-1", cidr: "0.0.0.0/0", description: "AWS APIs, ECR and the database"},
		{name: "db-from-service", group: db, kind: "ingress", port: DatabasePort, protocol: "tcp", source: svc, description: "PostgreSQL from the Fargate tasks"},
	}
	for _, r := range rules {
		ruleArgs := &ec2.SecurityGroupRuleArgs{
			SecurityGroupId: r.group.ID(),
			Type:            pulumi.String(r.kind),
			Protocol:        pulumi.String(r.protocol),
			FromPort:        pulumi.Int(r.port),
			ToPort:          pulumi.Int(r.port),
			Description:     pulumi.String(r.description),
		}
		if r.source != nil {
			ruleArgs.SourceSecurityGroupId = r.source.ID()
		} else {
			ruleArgs.CidrBlocks = pulumi.StringArray{pulumi.String(r.cidr)}
		}
		if _, err := ec2.NewSecurityGroupRule(ctx, name+"-"+r.name, ruleArgs, child); err != nil {
			return nil, err
		}
	}

	n.ALBSecurityGroupID = alb.ID().ToStringOutput()
	n.ServiceSecurityGroupID = svc.ID().ToStringOutput()
	n.DatabaseSecurityGroupID = db.ID().ToStringOutput()

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":                   n.VPCID,
		"publicSubnetIds":         n.PublicSubnetIDs,
		"privateSubnetIds":        n.PrivateSubnetIDs,
		"isolatedSubnetIds":       n.IsolatedSubnetIDs,
		"albSecurityGroupId":      n.ALBSecurityGroupID,
		"serviceSecurityGroupId":  n.ServiceSecurityGroupID,
		"databaseSecurityGroupId": n.DatabaseSecurityGroupID,
	}); err != nil {
		return nil, err
	}
	return n, nil
}
