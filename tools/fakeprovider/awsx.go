package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// awsx:ec2:Vpc, a remote component: the engine sends Construct to the awsx plugin, which registers the
// component and its children through the engine's resource monitor, as awsx v2.22.0's awsx/ec2/vpc.ts does
// (same child types, names, parents, dependsOn and inputs). The children are aws resources, served by the
// aws plugin of the provider they inherit from the component: the Construct request's providers map carries
// the program's explicit aws provider; without one the children (and the getAvailabilityZones invoke) use
// the default aws provider, which a stack with `pulumi:disable-default-providers: [aws]` refuses.

const vpcType = "awsx:ec2:Vpc"

// vpcComponent's tagged fields are the component's outputs, as in awsx's schema.
type vpcComponent struct {
	pulumi.ResourceState

	Vpc                    pulumi.ResourceOutput      `pulumi:"vpc"`
	Subnets                pulumi.ResourceArrayOutput `pulumi:"subnets"`
	RouteTables            pulumi.ResourceArrayOutput `pulumi:"routeTables"`
	Routes                 pulumi.ResourceArrayOutput `pulumi:"routes"`
	RouteTableAssociations pulumi.ResourceArrayOutput `pulumi:"routeTableAssociations"`
	InternetGateway        pulumi.ResourceOutput      `pulumi:"internetGateway"`
	NatGateways            pulumi.ResourceArrayOutput `pulumi:"natGateways"`
	Eips                   pulumi.ResourceArrayOutput `pulumi:"eips"`
	VpcEndpoints           pulumi.ResourceArrayOutput `pulumi:"vpcEndpoints"`
	SubnetLayout           pulumi.ArrayOutput         `pulumi:"subnetLayout"`
	PublicSubnetIds        pulumi.StringArrayOutput   `pulumi:"publicSubnetIds"`
	PrivateSubnetIds       pulumi.StringArrayOutput   `pulumi:"privateSubnetIds"`
	IsolatedSubnetIds      pulumi.StringArrayOutput   `pulumi:"isolatedSubnetIds"`
	VpcId                  pulumi.StringOutput        `pulumi:"vpcId"`
}

// awsChild is any aws resource the component registers; AllocationId is read from Eips.
type awsChild struct {
	pulumi.CustomResourceState
	AllocationId pulumi.StringOutput `pulumi:"allocationId"`
}

// vpcArgs are the plain (prompt) inputs the fake understands.
type vpcArgs struct {
	CidrBlock                 string
	NumberOfAvailabilityZones int
	AvailabilityZoneNames     []string
	AvailabilityZoneCidrMask  int
	SubnetStrategy            string
	SubnetSpecs               []subnetSpecInput
	HasSubnetSpecs            bool
	NatStrategy               string
	ElasticIPAllocationIDs    []string
	Tags                      map[string]string
	// Passed to aws:ec2/vpc:Vpc as given.
	VpcInputs pulumi.Map
}

// The aws.ec2.Vpc constructor only picks its own arguments out of {...args, cidrBlock, tags}.
var awsVpcArgs = []string{"assignGeneratedIpv6CidrBlock", "enableDnsHostnames", "enableDnsSupport",
	"enableNetworkAddressUsageMetrics", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength", "ipv6CidrBlock",
	"ipv6CidrBlockNetworkBorderGroup", "ipv6IpamPoolId", "ipv6NetmaskLength"}

func parseVpcArgs(in resource.PropertyMap) (*vpcArgs, error) {
	for k, v := range in {
		if v.ContainsUnknowns() && k != "tags" {
			return nil, fmt.Errorf("fake awsx: input %q of %s is unknown; the fake (like awsx, which awaits them) needs prompt values", k, vpcType)
		}
	}
	for _, k := range []string{"vpcEndpointSpecs", "ipv4IpamPoolId", "ipv6IpamPoolId"} {
		if v, ok := in[resource.PropertyKey(k)]; ok && !v.IsNull() && !(v.IsArray() && len(v.ArrayValue()) == 0) {
			return nil, fmt.Errorf("fake awsx: %s of %s is not implemented by the fake (tools/fakeprovider/awsx.go)", k, vpcType)
		}
	}
	a := &vpcArgs{
		CidrBlock:                 strOr(in, "cidrBlock", ""),
		NumberOfAvailabilityZones: int(numOr(in, "numberOfAvailabilityZones", 0)),
		AvailabilityZoneNames:     strings_(arr(in, "availabilityZoneNames")),
		AvailabilityZoneCidrMask:  int(numOr(in, "availabilityZoneCidrMask", 0)),
		SubnetStrategy:            strOr(in, "subnetStrategy", "Legacy"),
		NatStrategy:               "OnePerAz",
		HasSubnetSpecs:            has(in, "subnetSpecs"),
		VpcInputs:                 pulumi.Map{},
	}
	if nat := obj(in, "natGateways"); nat != nil {
		a.NatStrategy = strOr(nat, "strategy", "OnePerAz")
		a.ElasticIPAllocationIDs = strings_(arr(nat, "elasticIpAllocationIds"))
	}
	if tags := obj(in, "tags"); tags != nil {
		a.Tags = map[string]string{}
		for k, v := range tags {
			if pv := plain(v); pv.IsString() {
				a.Tags[string(k)] = pv.StringValue()
			}
		}
	}
	for _, v := range arr(in, "subnetSpecs") {
		s := plain(v).ObjectValue()
		spec := subnetSpecInput{
			Type: strOr(s, "type", ""), Name: strOr(s, "name", ""),
			CidrMask: int(numOr(s, "cidrMask", 0)), Size: int(numOr(s, "size", 0)),
		}
		if has(s, "cidrBlocks") {
			spec.CidrBlocks = strings_(arr(s, "cidrBlocks"))
		}
		if tags := obj(s, "tags"); tags != nil {
			spec.Tags = map[string]string{}
			for k, v := range tags {
				if pv := plain(v); pv.IsString() {
					spec.Tags[string(k)] = pv.StringValue()
				}
			}
		}
		a.SubnetSpecs = append(a.SubnetSpecs, spec)
	}
	for _, k := range awsVpcArgs {
		if v, ok := in[resource.PropertyKey(k)]; ok && !v.IsNull() {
			a.VpcInputs[k] = pulumi.Any(plain(v).Mappable())
		}
	}
	return a, nil
}

func (s *server) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	if s.pkg != "awsx" || req.GetType() != vpcType {
		return nil, fmt.Errorf("fake %s provider: no fake for component %q (tools/fakeprovider/awsx.go implements %s)", s.pkg, req.GetType(), vpcType)
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	args, err := parseVpcArgs(inputs)
	if err != nil {
		return nil, err
	}
	logCall(callEntry{Plugin: "awsx", Op: "Construct", Type: vpcType, Name: req.GetName(), Preview: req.GetDryRun()})
	return provider.Construct(ctx, req, s.host.EngineConn(), func(pctx *pulumi.Context, typ, name string,
		_ provider.ConstructInputs, options pulumi.ResourceOption,
	) (*provider.ConstructResult, error) {
		comp := &vpcComponent{}
		if err := pctx.RegisterComponentResource(vpcType, name, comp, options); err != nil {
			return nil, err
		}
		if err := buildVpc(pctx, name, args, comp); err != nil {
			return nil, err
		}
		return provider.NewConstructResult(comp)
	})
}

// getDefaultAzs: awsx calls aws.getAvailabilityZones(undefined, {parent: this}) and takes the first n (default 3).
func getDefaultAzs(ctx *pulumi.Context, comp pulumi.Resource, count int) ([]string, error) {
	if count == 0 {
		count = 3
	}
	var result struct {
		Names []string `pulumi:"names"`
	}
	if err := ctx.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{}, &result, pulumi.Parent(comp)); err != nil {
		return nil, err
	}
	if len(result.Names) < count {
		return nil, fmt.Errorf("The configured region for this provider does not have at least %d Availability Zones. Either specify an explicit list of zones in availabilityZoneNames or choose a region with at least %d AZs.", count, count)
	}
	return result.Names[:count], nil
}

func stringMap(ms ...map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for _, m := range ms {
		for _, k := range sortedKeys(m) {
			out[k] = pulumi.String(m[k])
		}
	}
	return out
}

func buildVpc(ctx *pulumi.Context, name string, args *vpcArgs, comp *vpcComponent) error {
	if len(args.AvailabilityZoneNames) > 0 && args.NumberOfAvailabilityZones != 0 {
		return fmt.Errorf("Only one of [availabilityZoneNames] and [numberOfAvailabilityZones] can be specified")
	}
	azs := args.AvailabilityZoneNames
	if len(azs) == 0 {
		var err error
		if azs, err = getDefaultAzs(ctx, comp, args.NumberOfAvailabilityZones); err != nil {
			return err
		}
	}
	if err := validateEips(args.NatStrategy, len(args.ElasticIPAllocationIDs), len(azs)); err != nil {
		return err
	}
	cidr := args.CidrBlock
	if cidr == "" {
		cidr = "10.0.0.0/16"
	}
	sharedTags := map[string]string{"Name": name}
	for k, v := range args.Tags {
		sharedTags[k] = v
	}

	// decideSubnetSpecs
	var specInputs []subnetSpecInput
	explicit := false
	if args.HasSubnetSpecs {
		var err error
		if specInputs, explicit, err = normalizeSubnetInputs(args.SubnetSpecs, len(azs)); err != nil {
			return err
		}
		if specInputs == nil {
			specInputs = []subnetSpecInput{}
		}
	}
	var specs []subnetSpec
	var err error
	switch {
	case args.SubnetStrategy == "Legacy":
		return fmt.Errorf("fake awsx: subnetStrategy \"Legacy\" (awsx's default) is not implemented by the fake; set subnetStrategy: Auto")
	case explicit:
		specs = getSubnetSpecsExplicit(name, azs, specInputs)
	default:
		if specs, err = getSubnetSpecs(name, cidr, azs, specInputs, args.AvailabilityZoneCidrMask); err != nil {
			return err
		}
	}
	if err := validateSubnets(specs); err != nil {
		return err
	}
	if args.SubnetStrategy == "Exact" {
		if err := validateNoGaps(cidr, specs); err != nil {
			return err
		}
	}
	if err := validateNatGatewayStrategy(args.NatStrategy, specs); err != nil {
		return err
	}

	vpcInputs := pulumi.Map{}
	for k, v := range args.VpcInputs {
		vpcInputs[k] = v
	}
	vpcInputs["cidrBlock"] = pulumi.String(cidr)
	vpcInputs["tags"] = stringMap(sharedTags)
	vpc := &awsChild{}
	if err := ctx.RegisterResource("aws:ec2/vpc:Vpc", name, vpcInputs, vpc, pulumi.Parent(comp)); err != nil {
		return err
	}
	igw := &awsChild{}
	if err := ctx.RegisterResource("aws:ec2/internetGateway:InternetGateway", name, pulumi.Map{
		"vpcId": vpc.ID(), "tags": stringMap(sharedTags),
	}, igw, pulumi.Parent(vpc), pulumi.DependsOn([]pulumi.Resource{vpc})); err != nil {
		return err
	}

	var subnets, routeTables, routes, assocs, nats, eips pulumi.ResourceArray
	var public, private, isolated pulumi.StringArray
	var natIDs []pulumi.IDOutput
	var eipAllocs []pulumi.StringOutput
	for i, az := range azs {
		var inAZ []subnetSpec
		for _, sp := range specs {
			if sp.AZ == az && sp.Type != "Unused" {
				inAZ = append(inAZ, sp)
			}
		}
		sortSubnetSpecs(inAZ)
		for _, sp := range inAZ {
			kind := strings.ToLower(sp.Type)
			subnet := &awsChild{}
			subnetTags := map[string]string{}
			for k, v := range sharedTags {
				subnetTags[k] = v
			}
			for k, v := range sp.Tags {
				subnetTags[k] = v
			}
			subnetTags["Name"], subnetTags["SubnetType"] = sp.SubnetName, sp.Type
			if err := ctx.RegisterResource("aws:ec2/subnet:Subnet", sp.SubnetName, pulumi.Map{
				"vpcId": vpc.ID(), "availabilityZone": pulumi.String(sp.AZ), "mapPublicIpOnLaunch": pulumi.Bool(kind == "public"),
				"cidrBlock": pulumi.String(sp.CidrBlock), "tags": stringMap(subnetTags),
			}, subnet, pulumi.Parent(vpc), pulumi.DependsOn([]pulumi.Resource{vpc})); err != nil {
				return err
			}
			subnets = append(subnets, pulumi.NewResourceInput(subnet))
			switch kind {
			case "public":
				public = append(public, subnet.ID().ToStringOutput())
			case "private":
				private = append(private, subnet.ID().ToStringOutput())
			default:
				isolated = append(isolated, subnet.ID().ToStringOutput())
			}

			rt := &awsChild{}
			rtTags := map[string]string{}
			for k, v := range sharedTags {
				rtTags[k] = v
			}
			rtTags["Name"], rtTags["SubnetType"] = sp.SubnetName, sp.Type
			if err := ctx.RegisterResource("aws:ec2/routeTable:RouteTable", sp.SubnetName, pulumi.Map{
				"vpcId": vpc.ID(), "tags": stringMap(rtTags),
			}, rt, pulumi.Parent(subnet), pulumi.DependsOn([]pulumi.Resource{subnet})); err != nil {
				return err
			}
			routeTables = append(routeTables, pulumi.NewResourceInput(rt))
			assoc := &awsChild{}
			if err := ctx.RegisterResource("aws:ec2/routeTableAssociation:RouteTableAssociation", sp.SubnetName, pulumi.Map{
				"routeTableId": rt.ID(), "subnetId": subnet.ID(),
			}, assoc, pulumi.Parent(rt), pulumi.DependsOn([]pulumi.Resource{rt})); err != nil {
				return err
			}
			assocs = append(assocs, pulumi.NewResourceInput(assoc))

			if kind == "public" && shouldCreateNatGateway(args.NatStrategy, len(natIDs), i) {
				gwName := fmt.Sprintf("%s-%d", name, i+1)
				gwTags := map[string]string{}
				for k, v := range args.Tags {
					gwTags[k] = v
				}
				gwTags["Name"] = gwName
				var allocation pulumi.StringInput
				if len(args.ElasticIPAllocationIDs) == 0 {
					eip := &awsChild{}
					if err := ctx.RegisterResource("aws:ec2/eip:Eip", gwName, pulumi.Map{"tags": stringMap(gwTags)},
						eip, pulumi.Parent(subnet), pulumi.DependsOn([]pulumi.Resource{subnet})); err != nil {
						return err
					}
					eips = append(eips, pulumi.NewResourceInput(eip))
					eipAllocs = append(eipAllocs, eip.AllocationId)
					// awsx: eips[i].allocationId (the i-th EIP, i being the AZ index)
					if i >= len(eipAllocs) {
						return fmt.Errorf("TypeError: Cannot read properties of undefined (reading 'allocationId')")
					}
					allocation = eipAllocs[i]
				} else {
					allocation = pulumi.String(args.ElasticIPAllocationIDs[i])
				}
				nat := &awsChild{}
				if err := ctx.RegisterResource("aws:ec2/natGateway:NatGateway", gwName, pulumi.Map{
					"subnetId": subnet.ID(), "allocationId": allocation, "tags": stringMap(gwTags),
				}, nat, pulumi.Parent(subnet), pulumi.DependsOn([]pulumi.Resource{subnet})); err != nil {
					return err
				}
				nats = append(nats, pulumi.NewResourceInput(nat))
				natIDs = append(natIDs, nat.ID())
			}

			var routeArgs pulumi.Map
			switch {
			case kind == "public":
				routeArgs = pulumi.Map{"routeTableId": rt.ID(), "gatewayId": igw.ID(), "destinationCidrBlock": pulumi.String("0.0.0.0/0")}
			case kind == "private" && !strings.EqualFold(args.NatStrategy, "none"):
				natID := natIDs[0]
				if !strings.EqualFold(args.NatStrategy, "single") {
					natID = natIDs[i]
				}
				routeArgs = pulumi.Map{"routeTableId": rt.ID(), "natGatewayId": natID, "destinationCidrBlock": pulumi.String("0.0.0.0/0")}
			}
			if routeArgs != nil {
				route := &awsChild{}
				if err := ctx.RegisterResource("aws:ec2/route:Route", sp.SubnetName, routeArgs, route,
					pulumi.Parent(rt), pulumi.DependsOn([]pulumi.Resource{rt})); err != nil {
					return err
				}
				routes = append(routes, pulumi.NewResourceInput(route))
			}
		}
	}

	comp.Vpc = pulumi.NewResourceOutput(vpc)
	comp.InternetGateway = pulumi.NewResourceOutput(igw)
	comp.Subnets = orEmpty(subnets)
	comp.RouteTables = orEmpty(routeTables)
	comp.Routes = orEmpty(routes)
	comp.RouteTableAssociations = orEmpty(assocs)
	comp.NatGateways = orEmpty(nats)
	comp.Eips = orEmpty(eips)
	comp.VpcEndpoints = orEmpty(nil)
	comp.SubnetLayout = subnetLayout(specInputs, explicit).ToArrayOutput()
	comp.PublicSubnetIds = strArray(public)
	comp.PrivateSubnetIds = strArray(private)
	comp.IsolatedSubnetIds = strArray(isolated)
	comp.VpcId = vpc.ID().ToStringOutput()
	return ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpc": comp.Vpc, "subnets": comp.Subnets, "routeTables": comp.RouteTables, "routes": comp.Routes,
		"routeTableAssociations": comp.RouteTableAssociations, "internetGateway": comp.InternetGateway,
		"natGateways": comp.NatGateways, "eips": comp.Eips, "vpcEndpoints": comp.VpcEndpoints,
		"subnetLayout": comp.SubnetLayout, "vpcId": comp.VpcId, "publicSubnetIds": comp.PublicSubnetIds,
		"privateSubnetIds": comp.PrivateSubnetIds, "isolatedSubnetIds": comp.IsolatedSubnetIds,
	})
}

func orEmpty(a pulumi.ResourceArray) pulumi.ResourceArrayOutput {
	if a == nil {
		a = pulumi.ResourceArray{}
	}
	return a.ToResourceArrayOutput()
}

func strArray(a pulumi.StringArray) pulumi.StringArrayOutput {
	if a == nil {
		a = pulumi.StringArray{}
	}
	return a.ToStringArrayOutput()
}

// subnetLayout is awsx's ResolvedSubnetSpec list: the normalized specs (type, name, cidrMask, size, cidrBlocks).
func subnetLayout(specs []subnetSpecInput, explicit bool) pulumi.Array {
	out := pulumi.Array{}
	for _, s := range specs {
		m := pulumi.Map{"type": pulumi.String(s.Type)}
		if s.Name != "" {
			m["name"] = pulumi.String(s.Name)
		}
		if s.CidrMask != 0 {
			m["cidrMask"] = pulumi.Int(s.CidrMask)
		}
		if s.Size != 0 {
			m["size"] = pulumi.Int(s.Size)
		}
		if explicit {
			blocks := append([]string(nil), s.CidrBlocks...)
			m["cidrBlocks"] = pulumi.ToStringArray(blocks)
		}
		out = append(out, m)
	}
	return out
}
