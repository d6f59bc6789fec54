package main

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"sort"
	"strings"
)

// awsx v2.22.0's subnet layout for SubnetAllocationStrategy "Auto"/"Exact" with subnetSpecs, ported from
// pulumi/pulumi-awsx awsx/ec2/subnetDistributorNew.ts (getSubnetSpecs, nextNetmask, newBits,
// validateAndNormalizeSubnetInputs, getSubnetSpecsExplicit) and vpc.ts (validateSubnets, validateNoGaps,
// validateNatGatewayStrategy, shouldCreateNatGateway, compareSubnetSpecs). The subnet specs are NOT merged
// with defaults (that arrived in awsx v3.2.0, pulumi/pulumi-awsx#1862).

// netmask mirrors the npm "netmask" package the TypeScript uses.
type netmask struct {
	base uint32
	bits int
}

func parseNetmask(cidr string) (netmask, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return netmask{}, fmt.Errorf("invalid CIDR block %q", cidr)
	}
	return newNetmask(ip4(p.Addr()), p.Bits()), nil
}

func ip4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func newNetmask(addr uint32, bitsN int) netmask {
	mask := uint32(0)
	if bitsN > 0 {
		mask = ^uint32(0) << (32 - bitsN)
	}
	return netmask{base: addr & mask, bits: bitsN}
}

func (n netmask) size() uint64 { return uint64(1) << (32 - n.bits) }

// last is netmask's "last usable address": base+size-2 for /30 and wider.
func (n netmask) last() uint32 {
	if n.bits <= 30 {
		return n.base + uint32(n.size()-2)
	}
	return n.base + uint32(n.size()-1)
}

func (n netmask) next() netmask { return newNetmask(n.base+uint32(n.size()), n.bits) }

func (n netmask) String() string {
	return fmt.Sprintf("%d.%d.%d.%d/%d", n.base>>24, n.base>>16&0xff, n.base>>8&0xff, n.base&0xff, n.bits)
}

// nextNetmask: the block of nextBits after the one holding previous's last address.
func nextNetmask(previous netmask, nextBits int) netmask {
	return newNetmask(previous.last(), nextBits).next()
}

func newBits(count int) int {
	if count == 0 {
		return 0
	}
	return int(math.Ceil(math.Log2(float64(count))))
}

type subnetSpecInput struct {
	Type       string // Public, Private, Isolated, Unused
	Name       string
	CidrMask   int // 0 = unset
	Size       int // 0 = unset
	CidrBlocks []string
	Tags       map[string]string
}

type subnetSpec struct {
	CidrBlock  string
	Type       string
	AZ         string
	SubnetName string
	Tags       map[string]string
}

func subnetName(vpcName string, s subnetSpecInput, azNum int) string {
	spec := s.Name
	if spec == "" {
		spec = strings.ToLower(s.Type)
	}
	return fmt.Sprintf("%s-%s-%d", vpcName, spec, azNum)
}

// normalizeSubnetInputs is validateAndNormalizeSubnetInputs: sizes become masks, explicit layouts are checked.
func normalizeSubnetInputs(specs []subnetSpecInput, azCount int) (normalized []subnetSpecInput, explicit bool, err error) {
	var issues []string
	for _, s := range specs {
		if s.Size != 0 && (bits.OnesCount(uint(s.Size)) != 1 || s.Size < 4) {
			issues = append(issues, fmt.Sprintf("The following subnet sizes are invalid: %d.", s.Size))
		}
	}
	hasExplicit := false
	for _, s := range specs {
		if s.CidrBlocks != nil {
			hasExplicit = true
		}
	}
	if hasExplicit {
		for i, s := range specs {
			if s.CidrBlocks == nil {
				issues = append(issues, "If any subnet spec has explicit cidrBlocks, all subnets must have explicit cidrBlocks.")
				continue
			}
			if len(s.CidrBlocks) != azCount {
				issues = append(issues, fmt.Sprintf("The number of CIDR blocks in subnetSpecs[%d] must match the number of availability zones (%d).", i, azCount))
				continue
			}
			for _, b := range s.CidrBlocks {
				n, err := parseNetmask(b)
				if err != nil {
					return nil, false, err
				}
				if s.CidrMask != 0 && n.bits != s.CidrMask {
					issues = append(issues, fmt.Sprintf("The cidrMask in subnetSpecs[%d] must match all cidrBlocks or be left undefined.", i))
					break
				}
				if s.Size != 0 && int(n.size()) != s.Size {
					issues = append(issues, fmt.Sprintf("The size in subnetSpecs[%d] must match all cidrBlocks or be left undefined.", i))
					break
				}
			}
			normalized = append(normalized, s)
		}
	} else {
		for _, s := range specs {
			mask := s.CidrMask
			if mask == 0 && s.Size != 0 {
				mask = 32 - bits.TrailingZeros(uint(s.Size))
			}
			if mask != 0 {
				expected := 1 << (32 - mask)
				if s.Size != 0 && expected != s.Size {
					issues = append(issues, fmt.Sprintf("Subnet size %d does not match the expected size for a /%d subnet (%d).", s.Size, mask, expected))
				}
				s.CidrMask, s.Size = mask, expected
			}
			normalized = append(normalized, s)
		}
	}
	if len(issues) > 0 {
		return nil, false, fmt.Errorf("Invalid subnet specifications:\n - %s", strings.Join(issues, "\n - "))
	}
	return normalized, hasExplicit, nil
}

// getSubnetSpecs allocates the CIDR blocks per AZ (the "NewAllocator").
func getSubnetSpecs(vpcName, vpcCidr string, azNames []string, inputs []subnetSpecInput, azCidrMask int) ([]subnetSpec, error) {
	vpcNet, err := parseNetmask(vpcCidr)
	if err != nil {
		return nil, err
	}
	azBits := azCidrMask
	if azBits == 0 {
		azBits = vpcNet.bits + newBits(len(azNames))
	}
	specs := inputs
	if specs == nil {
		if azBits > 26 {
			return nil, fmt.Errorf("Automatic subnet creation requires a VPC with at least /26 available per AZ, but only /%d is available."+
				"If you do need very small subnets, please specify them explicitly.", azBits)
		}
		maxBits := max(azBits, 16)
		specs = []subnetSpecInput{{Type: "Private", CidrMask: maxBits + 1}, {Type: "Public", CidrMask: maxBits + 2}}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("No subnets specified")
	}
	defaultBits := azBits + newBits(len(specs))
	maskOf := func(s subnetSpecInput) int {
		if s.CidrMask != 0 {
			return s.CidrMask
		}
		return defaultBits
	}
	azSize := newNetmask(vpcNet.base, azBits).size()
	var total uint64
	for _, s := range specs {
		total += newNetmask(vpcNet.base, maskOf(s)).size()
	}
	if total > azSize {
		return nil, fmt.Errorf("Subnets are too large for VPC. VPC has %d addresses, but subnets require %d addresses.", azSize, total)
	}
	var out []subnetSpec
	azNet := newNetmask(vpcNet.base, azBits)
	for i, az := range azNames {
		var cur *netmask
		for _, s := range specs {
			var n netmask
			if cur == nil {
				n = newNetmask(azNet.base, maskOf(s))
			} else {
				n = nextNetmask(*cur, maskOf(s))
			}
			cur = &n
			out = append(out, subnetSpec{CidrBlock: n.String(), Type: s.Type, AZ: az, SubnetName: subnetName(vpcName, s, i+1), Tags: s.Tags})
		}
		azNet = azNet.next()
	}
	return out, nil
}

func getSubnetSpecsExplicit(vpcName string, azNames []string, inputs []subnetSpecInput) []subnetSpec {
	var out []subnetSpec
	for i, az := range azNames {
		for _, s := range inputs {
			out = append(out, subnetSpec{CidrBlock: s.CidrBlocks[i], Type: s.Type, AZ: az, SubnetName: subnetName(vpcName, s, i+1), Tags: s.Tags})
		}
	}
	return out
}

// validateSubnets reports overlapping subnets with awsx's message.
func validateSubnets(specs []subnetSpec) error {
	var overlapping []subnetSpec
	for i, a := range specs {
		pa := netip.MustParsePrefix(a.CidrBlock)
		for j, b := range specs {
			if i != j && pa.Overlaps(netip.MustParsePrefix(b.CidrBlock)) {
				overlapping = append(overlapping, a)
				break
			}
		}
	}
	if len(overlapping) == 0 {
		return nil
	}
	msg := "The following subnets overlap with at least one other subnet. Make the CIDR for the VPC larger, reduce the size of the subnets per AZ, or use less Availability Zones:\n\n"
	for i, s := range overlapping {
		msg += fmt.Sprintf("%d. %s: %s\n", i+1, s.SubnetName, s.CidrBlock)
	}
	return fmt.Errorf("%s", msg)
}

func validateNoGaps(vpcCidr string, specs []subnetSpec) error {
	vpcNet, err := parseNetmask(vpcCidr)
	if err != nil {
		return err
	}
	var gaps []string
	var prev *subnetSpec
	var last netmask
	for i := range specs {
		cur, _ := parseNetmask(specs[i].CidrBlock)
		if prev == nil {
			if cur.base != vpcNet.base {
				gaps = append(gaps, fmt.Sprintf("%s (%s) does not start at the beginning of the VPC (%s)", specs[i].SubnetName, specs[i].CidrBlock, vpcCidr))
			}
		} else {
			p, _ := parseNetmask(prev.CidrBlock)
			if cur.base != p.next().base {
				gaps = append(gaps, fmt.Sprintf("%s (%s) <=> %s (%s)", prev.SubnetName, prev.CidrBlock, specs[i].SubnetName, specs[i].CidrBlock))
			}
		}
		prev, last = &specs[i], cur
	}
	if prev != nil && last.last() != vpcNet.last() {
		gaps = append(gaps, fmt.Sprintf("%s (ending %s) ends before VPC ends (at %s})", prev.SubnetName, ipString(last.last()), ipString(vpcNet.last())))
	}
	if len(gaps) == 0 {
		return nil
	}
	return fmt.Errorf("There are gaps in the subnet ranges. Please fix the following gaps: %s", strings.Join(gaps, ", "))
}

func ipString(a uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", a>>24, a>>16&0xff, a>>8&0xff, a&0xff)
}

func validateNatGatewayStrategy(strategy string, specs []subnetSpec) error {
	switch strings.ToLower(strategy) {
	case "oneperaz", "single":
		pub, priv := false, false
		for _, s := range specs {
			pub = pub || strings.EqualFold(s.Type, "public")
			priv = priv || strings.EqualFold(s.Type, "private")
		}
		if pub && priv {
			return nil
		}
		return fmt.Errorf("If NAT Gateway strategy is 'OnePerAz' or 'Single', both private and public subnets must be declared. The private subnet creates the need for a NAT Gateway, and the public subnet is required to host the NAT Gateway resource.")
	case "none":
		return nil
	}
	return fmt.Errorf("Unknown NAT Gateway strategy '%s'", strategy)
}

func validateEips(strategy string, eips int, azCount int) error {
	switch strings.ToLower(strategy) {
	case "none":
		if eips != 0 {
			return fmt.Errorf("Elastic IP allocation IDs cannot be specified when NAT Gateway strategy is '%s'.", strategy)
		}
	case "single":
		if eips > 1 {
			return fmt.Errorf("Exactly one Elastic IP may be specified when NAT Gateway strategy is '%s'.", strategy)
		}
	case "oneperaz":
		if eips > 0 && eips != azCount {
			return fmt.Errorf("The number of Elastic IPs, if specified, must match the number of availability zones for the VPC (%d) when NAT Gateway strategy is '%s'", azCount, strategy)
		}
	default:
		return fmt.Errorf("Unknown NatGatewayStrategy '%s'", strategy)
	}
	return nil
}

func shouldCreateNatGateway(strategy string, numGateways, azIndex int) bool {
	switch strings.ToLower(strategy) {
	case "single":
		return numGateways < 1
	case "oneperaz":
		return numGateways < azIndex+1
	}
	return false
}

// sortSubnetSpecs orders one AZ's subnets like compareSubnetSpecs: public, private, isolated (stable).
func sortSubnetSpecs(specs []subnetSpec) {
	rank := map[string]int{"public": 0, "private": 1, "isolated": 2}
	sort.SliceStable(specs, func(i, j int) bool {
		return rank[strings.ToLower(specs[i].Type)] < rank[strings.ToLower(specs[j].Type)]
	})
}
