package main

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// typeSpec is everything the fake knows about one aws resource type: its replacement rules (with their
// source), naming, required inputs, and how to compute the outputs AWS would return.
//
// Adding a type is adding an entry to awsTypes (and a row appears in the README's table, see readme_test.go).
type typeSpec struct {
	Token string // Pulumi type token
	TF    string // terraform-provider-aws resource behind it (pulumi-aws 6.83.4 bridges TF provider v5.x)

	// Replace lists the top-level Pulumi properties whose change forces a replacement (TF ForceNew).
	Replace []string
	// ReplaceAllExcept, when non-nil, makes every input property except these force a replacement.
	ReplaceAllExcept []string
	// DeleteBeforeReplace: pulumi-aws sets it for this type (resources.go DeleteBeforeReplace: true).
	DeleteBeforeReplace bool
	// Source is where the replacement rules come from; Note is shown in the README.
	Source string
	Note   string

	AutoName *autoName
	Required []string
	Taggable bool           // has tags/tagsAll (provider defaultTags are merged into tagsAll)
	Defaults map[string]any // TF schema defaults the bridge fills into the inputs
	JSON     []string       // properties holding JSON documents (compared semantically, like TF)
	Computed []string       // outputs the provider computes: unknown during preview
	Validate func(in resource.PropertyMap) []string

	create func(r *res) (id string, outs map[string]any, err error)
	update func(r *res) error // side effects / AWS-side refusals on update
	remove func(r *res) error // side effects / AWS-side refusals on delete
	// diff may add replacement keys (TF CustomizeDiff).
	diff func(olds, news resource.PropertyMap, changed map[string]bool, replace map[string]bool)
}

const (
	tfDocs = "https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/"
	tfSrc  = "hashicorp/terraform-provider-aws internal/service/"
)

func std(maxLen int) *autoName { return &autoName{Prop: "name", MaxLen: maxLen, RandLen: 7, Sep: "-"} }

var awsTypes = map[string]*typeSpec{}

func register(specs ...*typeSpec) {
	for _, s := range specs {
		if _, dup := awsTypes[s.Token]; dup {
			panic("duplicate type " + s.Token)
		}
		awsTypes[s.Token] = s
	}
}

// res is one resource operation's context.
type res struct {
	s       *server
	spec    *typeSpec
	urn     resource.URN
	name    string // logical name
	in      resource.PropertyMap
	old     resource.PropertyMap // old outputs (Update, Delete)
	oldIn   resource.PropertyMap // old inputs (Update)
	id      string               // Update, Delete
	region  string
	seq     int // how many times this URN has been created (a replacement gets new ids)
	preview bool
}

func (r *res) hex(n int, salt string) string {
	return digest(n, r.region, string(r.urn), fmt.Sprint(r.seq), salt)
}
func (r *res) upper(n int, salt string) string {
	return fromAlphabet(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", r.region, string(r.urn), fmt.Sprint(r.seq), salt)
}
func (r *res) lowerAlnum(n int, salt string) string {
	return fromAlphabet(n, "abcdefghijklmnopqrstuvwxyz0123456789", r.region, string(r.urn), fmt.Sprint(r.seq), salt)
}
func (r *res) arn(svc, rest string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, r.region, Account, rest)
}
func (r *res) s_(key string) string { return strOr(r.in, key, "") }

// idNamed returns a "<prefix>-<17 hex>" EC2-style id.
func (r *res) ec2ID(prefix string) string { return prefix + "-0" + r.hex(16, prefix) }

var (
	ecrNameRe     = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	lbNameRe      = regexp.MustCompile(`^[0-9A-Za-z-]+$`)
	rdsIDRe       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	subnetGroupRe = regexp.MustCompile(`^[a-z0-9 ._-]+$`)
)

func nameCheck(prop string, max int, re *regexp.Regexp, what string) func(resource.PropertyMap) []string {
	return func(in resource.PropertyMap) []string {
		name, ok := str(in, prop)
		if !ok {
			return nil
		}
		var out []string
		if max > 0 && len(name) > max {
			out = append(out, fmt.Sprintf("%q cannot be longer than %d characters", prop, max))
		}
		if re != nil && !re.MatchString(name) {
			out = append(out, fmt.Sprintf("invalid value for %s (%s): %q", prop, what, name))
		}
		return out
	}
}

func init() {
	register(
		&typeSpec{
			Token: "aws:ec2/securityGroup:SecurityGroup", TF: "aws_security_group",
			Replace:  []string{"name", "namePrefix", "description", "vpcId"},
			Source:   tfDocs + "security_group (" + tfSrc + "ec2/vpc_security_group.go)",
			Note:     "ingress/egress are updated in place; pulumi-aws defaults description to \"Managed by Pulumi\".",
			AutoName: std(255), Taggable: true,
			Defaults: map[string]any{"description": "Managed by Pulumi", "revokeRulesOnDelete": false},
			Computed: []string{"arn", "ownerId", "ingress", "egress"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("sg")
				outs := map[string]any{"arn": r.arn("ec2", "security-group/"+id), "ownerId": Account}
				if !has(r.in, "ingress") {
					outs["ingress"] = []any{}
				}
				if !has(r.in, "egress") {
					outs["egress"] = []any{} // TF removes AWS's default allow-all egress rule
				}
				return id, outs, nil
			},
		},
		&typeSpec{
			Token: "aws:ec2/securityGroupRule:SecurityGroupRule", TF: "aws_security_group_rule",
			ReplaceAllExcept: []string{"description"},
			Source:           tfDocs + "security_group_rule (" + tfSrc + "ec2/vpc_security_group_rule.go: every argument but description is ForceNew)",
			Required:         []string{"type", "fromPort", "toPort", "protocol", "securityGroupId"},
			Computed:         []string{"securityGroupRuleId"},
			Validate: func(in resource.PropertyMap) []string {
				n := 0
				for _, k := range []string{"cidrBlocks", "ipv6CidrBlocks", "self", "sourceSecurityGroupId", "prefixListIds"} {
					if has(in, k) {
						n++
					}
				}
				if n == 0 {
					return []string{"One of ['cidr_blocks', 'ipv6_cidr_blocks', 'self', 'source_security_group_id', 'prefix_list_ids'] must be set to create an AWS Security Group Rule"}
				}
				return nil
			},
			create: func(r *res) (string, map[string]any, error) {
				return "sgrule-" + digits(10, r.region, string(r.urn), fmt.Sprint(r.seq)),
					map[string]any{"securityGroupRuleId": r.ec2ID("sgr")}, nil
			},
		},
		&typeSpec{
			Token: "aws:ecr/repository:Repository", TF: "aws_ecr_repository",
			Replace:  []string{"name", "encryptionConfigurations"},
			Source:   tfDocs + "ecr_repository (" + tfSrc + "ecr/repository.go)",
			Note:     "imageTagMutability and imageScanningConfiguration are updated in place. Deleting a repository that still holds images fails unless forceDelete.",
			AutoName: std(255), Taggable: true,
			Defaults: map[string]any{"imageTagMutability": "MUTABLE"},
			Validate: nameCheck("name", 256, ecrNameRe, "lowercase letters, digits, ., _, -, /"),
			Computed: []string{"arn", "registryId", "repositoryUrl"},
			create: func(r *res) (string, map[string]any, error) {
				name := r.s_("name")
				if !r.preview {
					if err := ecrPutRepository(r.region, name, r.s_("imageTagMutability")); err != nil {
						return "", nil, err
					}
				}
				return name, map[string]any{
					"arn":           r.arn("ecr", "repository/"+name),
					"registryId":    Account,
					"repositoryUrl": ecrRegistryHost(r.region) + "/" + name,
				}, nil
			},
			update: func(r *res) error {
				return ecrPutRepository(r.region, r.s_("name"), r.s_("imageTagMutability"))
			},
			remove: func(r *res) error {
				return ecrDeleteRepository(r.region, strOr(r.old, "name", r.id), boolOr(r.old, "forceDelete", false))
			},
		},
		&typeSpec{
			Token: "aws:ecr/lifecyclePolicy:LifecyclePolicy", TF: "aws_ecr_lifecycle_policy",
			Replace: []string{"repository", "policy"}, DeleteBeforeReplace: true,
			Source:   tfDocs + "ecr_lifecycle_policy (" + tfSrc + "ecr/lifecycle_policy.go: no Update, both arguments ForceNew); pulumi-aws resources.go DeleteBeforeReplace: true",
			Required: []string{"repository", "policy"}, JSON: []string{"policy"},
			Computed: []string{"registryId"},
			create: func(r *res) (string, map[string]any, error) {
				repo := r.s_("repository")
				if !r.preview {
					st, err := readState()
					if err != nil {
						return "", nil, err
					}
					if st.ECR[ecrRepoKey(r.region, repo)] == nil {
						return "", nil, fmt.Errorf("creating ECR Lifecycle Policy (%s): RepositoryNotFoundException: The repository with name '%s' does not exist in the registry with id '%s'", repo, repo, Account)
					}
				}
				return repo, map[string]any{"registryId": Account}, nil
			},
		},
		&typeSpec{
			Token: "aws:lb/loadBalancer:LoadBalancer", TF: "aws_lb",
			Replace:  []string{"name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"},
			Source:   tfDocs + "lb (" + tfSrc + "elbv2/load_balancer.go)",
			Note:     "subnets and securityGroups are updated in place for ALBs (TF's CustomizeDiff forces new only for NLBs). Deleting with enableDeletionProtection fails.",
			AutoName: std(32), Taggable: true,
			Defaults: map[string]any{"loadBalancerType": "application"},
			Validate: nameCheck("name", 32, lbNameRe, "only alphanumeric characters and hyphens"),
			Computed: []string{"arn", "arnSuffix", "dnsName", "zoneId", "internal", "ipAddressType"},
			create: func(r *res) (string, map[string]any, error) {
				name := r.s_("name")
				kind := map[string]string{"application": "app", "network": "net", "gateway": "gwy"}[strOr(r.in, "loadBalancerType", "application")]
				suffix := fmt.Sprintf("%s/%s/%s", kind, name, r.hex(16, "lb"))
				internal := boolOr(r.in, "internal", false)
				dns := fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name, digits(10, string(r.urn), fmt.Sprint(r.seq)), r.region)
				if internal {
					dns = "internal-" + dns
				}
				arn := r.arn("elasticloadbalancing", "loadbalancer/"+suffix)
				return arn, map[string]any{
					"arn": arn, "arnSuffix": suffix, "dnsName": dns, "zoneId": elbZoneID(r.region),
					"internal": internal, "ipAddressType": strOr(r.in, "ipAddressType", "ipv4"),
				}, nil
			},
			remove: func(r *res) error {
				if boolOr(r.old, "enableDeletionProtection", false) {
					return fmt.Errorf("deleting ELBv2 Load Balancer (%s): OperationNotPermitted: Load balancer '%s' cannot be deleted because deletion protection is enabled", r.id, r.id)
				}
				return nil
			},
		},
		&typeSpec{
			Token: "aws:lb/targetGroup:TargetGroup", TF: "aws_lb_target_group",
			Replace:  []string{"name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"},
			Source:   tfDocs + "lb_target_group (" + tfSrc + "elbv2/target_group.go)",
			Note:     "healthCheck, deregistrationDelay, stickiness are updated in place.",
			AutoName: std(32), Taggable: true,
			Defaults: map[string]any{"targetType": "instance"},
			Validate: nameCheck("name", 32, lbNameRe, "only alphanumeric characters and hyphens"),
			Computed: []string{"arn", "arnSuffix", "loadBalancerArns"},
			create: func(r *res) (string, map[string]any, error) {
				suffix := fmt.Sprintf("targetgroup/%s/%s", r.s_("name"), r.hex(16, "tg"))
				arn := r.arn("elasticloadbalancing", suffix)
				return arn, map[string]any{"arn": arn, "arnSuffix": suffix, "loadBalancerArns": []any{}}, nil
			},
		},
		&typeSpec{
			Token: "aws:lb/listener:Listener", TF: "aws_lb_listener",
			Replace:  []string{"loadBalancerArn"},
			Source:   tfDocs + "lb_listener (" + tfSrc + "elbv2/listener.go)",
			Required: []string{"loadBalancerArn", "defaultActions"}, Taggable: true,
			Computed: []string{"arn"},
			create: func(r *res) (string, map[string]any, error) {
				lb := r.s_("loadBalancerArn")
				suffix := lb[strings.Index(lb, "loadbalancer/")+len("loadbalancer/"):]
				arn := r.arn("elasticloadbalancing", "listener/"+suffix+"/"+r.hex(16, "listener"))
				return arn, map[string]any{"arn": arn}, nil
			},
		},
		&typeSpec{
			Token: "aws:route53/record:Record", TF: "aws_route53_record",
			Replace:  []string{"zoneId", "name"},
			Source:   tfDocs + "route53_record (" + tfSrc + "route53/record.go)",
			Note:     "pulumi-aws does not auto-name records (resources.go: \"name\" is the DNS name).",
			Required: []string{"zoneId", "name", "type"},
			Computed: []string{"fqdn"},
			create: func(r *res) (string, map[string]any, error) {
				name := strings.TrimSuffix(strings.ToLower(r.s_("name")), ".")
				id := fmt.Sprintf("%s_%s_%s", r.s_("zoneId"), name, r.s_("type"))
				if set := r.s_("setIdentifier"); set != "" {
					id += "_" + set
				}
				return id, map[string]any{"fqdn": name}, nil
			},
		},
		&typeSpec{
			Token: "aws:acm/certificate:Certificate", TF: "aws_acm_certificate",
			Replace:  []string{"domainName", "subjectAlternativeNames", "certificateAuthorityArn", "keyAlgorithm", "validationOptions"},
			Source:   tfDocs + "acm_certificate (" + tfSrc + "acm/certificate.go)",
			Taggable: true,
			Computed: []string{"arn", "domainValidationOptions", "status", "type", "keyAlgorithm", "subjectAlternativeNames"},
			create: func(r *res) (string, map[string]any, error) {
				arn := r.arn("acm", "certificate/"+uuid(r.region, string(r.urn), fmt.Sprint(r.seq)))
				domains := append([]string{r.s_("domainName")}, strings_(arr(r.in, "subjectAlternativeNames"))...)
				var dvos []any
				for _, d := range domains {
					dvos = append(dvos, map[string]any{
						"domainName":          d,
						"resourceRecordName":  "_" + digest(32, arn, d, "name") + "." + d + ".",
						"resourceRecordType":  "CNAME",
						"resourceRecordValue": "_" + digest(32, arn, d, "value") + "." + r.lowerAlnum(10, d) + ".acm-validations.aws.",
					})
				}
				return arn, map[string]any{
					"arn": arn, "domainValidationOptions": dvos, "status": "PENDING_VALIDATION",
					"type": "AMAZON_ISSUED", "keyAlgorithm": "RSA_2048", "subjectAlternativeNames": toAny(domains),
				}, nil
			},
		},
		&typeSpec{
			Token: "aws:acm/certificateValidation:CertificateValidation", TF: "aws_acm_certificate_validation",
			Replace:  []string{"certificateArn", "validationRecordFqdns"},
			Source:   tfDocs + "acm_certificate_validation (" + tfSrc + "acm/certificate_validation.go: no Update)",
			Required: []string{"certificateArn"},
			create: func(r *res) (string, map[string]any, error) {
				return "2026-01-01 00:00:00 +0000 UTC", map[string]any{}, nil
			},
		},
		&typeSpec{
			Token: "aws:rds/subnetGroup:SubnetGroup", TF: "aws_db_subnet_group",
			Replace:  []string{"name", "namePrefix"},
			Source:   tfDocs + "db_subnet_group (" + tfSrc + "rds/subnet_group.go)",
			Note:     "subnetIds and description are updated in place (ModifyDBSubnetGroup); removing a subnet an instance is using is refused (modelled; the exact RDS error text is approximated). Deleting a group an instance uses fails (InvalidDBSubnetGroupStateFault).",
			AutoName: std(255), Taggable: true, Required: []string{"subnetIds"},
			Defaults: map[string]any{"description": "Managed by Pulumi"},
			Validate: nameCheck("name", 255, subnetGroupRe, "only lowercase alphanumeric characters, hyphens, underscores, periods, and spaces allowed"),
			Computed: []string{"arn", "supportedNetworkTypes", "vpcId"},
			create: func(r *res) (string, map[string]any, error) {
				name := r.s_("name")
				vpc := ""
				if ids := strings_(arr(r.in, "subnetIds")); len(ids) > 0 {
					vpc = subnetVPC(ids[0])
				}
				if !r.preview {
					if err := recordSubnetGroup(name, r.in); err != nil {
						return "", nil, err
					}
				}
				return name, map[string]any{"arn": r.arn("rds", "subgrp:"+name), "supportedNetworkTypes": []any{"IPV4"}, "vpcId": vpc}, nil
			},
			update: func(r *res) error {
				name := r.s_("name")
				keep := map[string]bool{}
				for _, id := range strings_(arr(r.in, "subnetIds")) {
					keep[id] = true
				}
				st, err := readState()
				if err != nil {
					return err
				}
				for _, ident := range sortedKeys(st.DBInstances) {
					rec := st.DBInstances[ident]
					for _, sn := range rec.Subnets {
						if rec.SubnetGroup == name && !keep[sn] {
							return fmt.Errorf("updating RDS DB Subnet Group (%s): operation error RDS: ModifyDBSubnetGroup, InvalidSubnet: Some of the subnets to be deleted are currently in use: %s", name, sn)
						}
					}
				}
				return recordSubnetGroup(name, r.in)
			},
			remove: func(r *res) error {
				name := strOr(r.old, "name", r.id)
				return withState(func(st *fakeState) error {
					for _, ident := range sortedKeys(st.DBInstances) {
						if st.DBInstances[ident].SubnetGroup == name {
							return fmt.Errorf("deleting RDS DB Subnet Group (%s): InvalidDBSubnetGroupStateFault: Cannot delete the subnet group '%s' because at least one database instance: %s is still using it.", name, name, ident)
						}
					}
					delete(st.DBSubnetGroups, name)
					return nil
				})
			},
		},
		&typeSpec{
			Token: "aws:rds/instance:Instance", TF: "aws_db_instance",
			Replace: []string{"identifier", "identifierPrefix", "availabilityZone", "characterSetName", "customIamInstanceProfile",
				"dbName", "engine", "kmsKeyId", "ncharCharacterSetName", "restoreToPointInTime", "s3Import",
				"snapshotIdentifier", "storageEncrypted", "timezone", "username"},
			Source: tfDocs + "db_instance (" + tfSrc + "rds/instance.go schema)",
			Note: "engineVersion, instanceClass, allocatedStorage, multiAz, dbSubnetGroupName, vpcSecurityGroupIds are updated in place " +
				"(ModifyDBInstance). RDS only moves an instance to a subnet group in another VPC; a new group in the same VPC is refused (InvalidVPCNetworkStateFault) - modelled. Deleting with deletionProtection fails.",
			AutoName: &autoName{Prop: "identifier", MaxLen: 255, RandLen: 7, Sep: ""}, Taggable: true,
			Required: []string{"instanceClass"},
			Validate: func(in resource.PropertyMap) []string {
				id, ok := str(in, "identifier")
				if !ok {
					return nil
				}
				if !rdsIDRe.MatchString(id) || strings.Contains(id, "--") || strings.HasSuffix(id, "-") || len(id) > 63 {
					return []string{fmt.Sprintf("invalid value for identifier (must begin with a lowercase letter, contain only lowercase alphanumeric characters and hyphens, no two consecutive hyphens, not end with a hyphen, at most 63 characters): %q", id)}
				}
				// gp3 storage for PostgreSQL tops out at 65536 GiB (RDS User Guide, "Amazon RDS DB instance
				// storage"); the error text is approximated.
				if max, ok := in["maxAllocatedStorage"]; ok && max.IsNumber() && max.NumberValue() > 65536 {
					return []string{fmt.Sprintf("InvalidParameterValue: maxAllocatedStorage %v exceeds the maximum storage of 65536 GiB", max.NumberValue())}
				}
				return nil
			},
			Computed: []string{"arn", "address", "endpoint", "port", "resourceId", "masterUserSecrets", "status", "hostedZoneId",
				"engineVersionActual", "availabilityZone", "latestRestorableTime"},
			create: func(r *res) (string, map[string]any, error) {
				ident := r.s_("identifier")
				port := int(numOr(r.in, "port", float64(enginePort(r.s_("engine")))))
				address := fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", ident, r.lowerAlnum(12, "rds-host"), r.region)
				secrets := []any{}
				if boolOr(r.in, "manageMasterUserPassword", false) {
					secrets = []any{map[string]any{
						"kmsKeyId":     r.arn("kms", "key/"+uuid(r.region, "aws/secretsmanager")),
						"secretArn":    r.arn("secretsmanager", "secret:rds!db-"+uuid(r.region, string(r.urn), fmt.Sprint(r.seq))+"-"+r.lowerAlnum(6, "rds-secret")),
						"secretStatus": "active",
					}}
				}
				version := r.s_("engineVersion")
				if version != "" && !strings.Contains(version, ".") {
					version += ".4"
				}
				az := r.region + "a"
				if group := r.s_("dbSubnetGroupName"); group != "" && !r.preview {
					if err := withState(func(st *fakeState) error {
						rec := placeDBInstance(st, group, boolOr(r.in, "multiAz", false))
						st.DBInstances[ident] = rec
						if len(rec.Subnets) > 0 && st.Subnets[rec.Subnets[0]] != nil {
							az = st.Subnets[rec.Subnets[0]].AZ
						}
						return nil
					}); err != nil {
						return "", nil, err
					}
				}
				return "db-" + r.upper(26, "dbi"), map[string]any{
					"arn": r.arn("rds", "db:"+ident), "address": address, "endpoint": fmt.Sprintf("%s:%d", address, port),
					"port": port, "resourceId": "db-" + r.upper(26, "dbi"), "masterUserSecrets": secrets, "status": "available",
					"hostedZoneId": "Z" + r.upper(13, "rds-zone"), "engineVersionActual": version,
					"availabilityZone": az, "latestRestorableTime": "",
				}, nil
			},
			update: func(r *res) error {
				// ModifyDBInstance refuses a new major version without the flag (RDS User Guide,
				// "Upgrading the PostgreSQL DB engine": "--allow-major-version-upgrade").
				oldMajor := strings.SplitN(strOr(r.oldIn, "engineVersion", ""), ".", 2)[0]
				newMajor := strings.SplitN(r.s_("engineVersion"), ".", 2)[0]
				if oldMajor != "" && newMajor != "" && oldMajor != newMajor && !boolOr(r.in, "allowMajorVersionUpgrade", false) {
					return fmt.Errorf("updating RDS DB Instance (%s): InvalidParameterCombination: The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
						r.s_("identifier"))
				}
				oldGroup, newGroup := strOr(r.oldIn, "dbSubnetGroupName", ""), r.s_("dbSubnetGroupName")
				if oldGroup == "" || oldGroup == newGroup {
					return nil
				}
				oldVPC, newVPC := dbSubnetGroupVPC(oldGroup), dbSubnetGroupVPC(newGroup)
				if oldVPC == "" || oldVPC != newVPC {
					return withState(func(st *fakeState) error {
						st.DBInstances[r.s_("identifier")] = placeDBInstance(st, newGroup, boolOr(r.in, "multiAz", false))
						return nil
					})
				}
				return fmt.Errorf("updating RDS DB Instance (%s): InvalidVPCNetworkStateFault: You cannot move DB instance %s to subnet group %s. "+
					"The specified DB subnet group and DB instance are in the same VPC. Choose a DB subnet group in different VPC than the specified DB instance and try again.",
					r.s_("identifier"), r.s_("identifier"), newGroup)
			},
			remove: func(r *res) error {
				ident := strOr(r.old, "identifier", r.id)
				if boolOr(r.old, "deletionProtection", false) {
					return fmt.Errorf("deleting RDS DB Instance (%s): InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.", ident)
				}
				if !boolOr(r.old, "skipFinalSnapshot", false) && strOr(r.old, "finalSnapshotIdentifier", "") == "" {
					return fmt.Errorf("deleting RDS DB Instance (%s): final_snapshot_identifier is required when skip_final_snapshot is false", ident)
				}
				return withState(func(st *fakeState) error { delete(st.DBInstances, ident); return nil })
			},
		},
		&typeSpec{
			Token: "aws:secretsmanager/secret:Secret", TF: "aws_secretsmanager_secret",
			Replace:  []string{"name", "namePrefix"},
			Source:   tfDocs + "secretsmanager_secret (" + tfSrc + "secretsmanager/secret.go)",
			Note:     "description, kmsKeyId, policy are updated in place.",
			AutoName: std(255), Taggable: true,
			Computed: []string{"arn"},
			create: func(r *res) (string, map[string]any, error) {
				arn := r.arn("secretsmanager", "secret:"+r.s_("name")+"-"+fromAlphabet(6, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", r.region, string(r.urn), fmt.Sprint(r.seq)))
				return arn, map[string]any{"arn": arn}, nil
			},
		},
		&typeSpec{
			Token: "aws:secretsmanager/secretVersion:SecretVersion", TF: "aws_secretsmanager_secret_version",
			Replace:  []string{"secretId", "secretString", "secretBinary", "secretStringWoVersion"},
			Source:   tfDocs + "secretsmanager_secret_version (" + tfSrc + "secretsmanager/secret_version.go: secret_id, secret_string, secret_binary ForceNew)",
			Note:     "A new secretString replaces the version: PutSecretValue makes a new versionId; only versionStages is updated in place.",
			Required: []string{"secretId"},
			Computed: []string{"arn", "versionId", "versionStages", "hasSecretStringWo"},
			create: func(r *res) (string, map[string]any, error) {
				secret := r.s_("secretId")
				version := uuid(r.region, string(r.urn), fmt.Sprint(r.seq), "version")
				arn := secret
				if !strings.HasPrefix(secret, "arn:") {
					arn = r.arn("secretsmanager", "secret:"+secret)
				}
				outs := map[string]any{"arn": arn, "versionId": version, "hasSecretStringWo": false}
				if !has(r.in, "versionStages") {
					outs["versionStages"] = []any{"AWSCURRENT"}
				}
				return secret + "|" + version, outs, nil
			},
		},
		&typeSpec{
			Token: "aws:ecs/cluster:Cluster", TF: "aws_ecs_cluster",
			Replace: []string{"name"}, Source: tfDocs + "ecs_cluster (" + tfSrc + "ecs/cluster.go)",
			AutoName: std(255), Taggable: true, Computed: []string{"arn"},
			create: func(r *res) (string, map[string]any, error) {
				arn := r.arn("ecs", "cluster/"+r.s_("name"))
				return arn, map[string]any{"arn": arn}, nil
			},
		},
		&typeSpec{
			Token: "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", TF: "aws_ecs_cluster_capacity_providers",
			Replace: []string{"clusterName"}, Source: tfDocs + "ecs_cluster_capacity_providers (" + tfSrc + "ecs/cluster_capacity_providers.go)",
			Required: []string{"clusterName"},
			create:   func(r *res) (string, map[string]any, error) { return r.s_("clusterName"), map[string]any{}, nil },
		},
		&typeSpec{
			Token: "aws:ecs/taskDefinition:TaskDefinition", TF: "aws_ecs_task_definition",
			ReplaceAllExcept: []string{"tags", "skipDestroy", "trackLatest"},
			Source:           tfDocs + "ecs_task_definition (" + tfSrc + "ecs/task_definition.go: every argument but tags/skip_destroy/track_latest is ForceNew)",
			Note:             "Each replacement registers the next revision of the family; the old one is deregistered.",
			Required:         []string{"family", "containerDefinitions"}, Taggable: true,
			JSON:     []string{"containerDefinitions"},
			Computed: []string{"arn", "arnWithoutRevision", "revision"},
			create: func(r *res) (string, map[string]any, error) {
				family := r.s_("family")
				rev := 1
				if !r.preview {
					n, err := bump("taskdef:" + r.region + ":" + family)
					if err != nil {
						return "", nil, err
					}
					rev = n
				}
				base := r.arn("ecs", "task-definition/"+family)
				return family, map[string]any{"arn": fmt.Sprintf("%s:%d", base, rev), "arnWithoutRevision": base, "revision": rev}, nil
			},
		},
		&typeSpec{
			Token: "aws:ecs/service:Service", TF: "aws_ecs_service",
			Replace: []string{"name", "cluster", "launchType", "iamRole", "schedulingStrategy", "deploymentController"},
			Source:  tfDocs + "ecs_service (" + tfSrc + "ecs/service.go, v5: capacityProviderStrategyCustomizeDiff)",
			Note: "capacityProviderStrategies: a change forces replacement unless forceNewDeployment is true and neither the old " +
				"nor the new list is empty (TF v5 CustomizeDiff). loadBalancers, networkConfiguration, taskDefinition, desiredCount are updated in place.",
			AutoName: std(255), Taggable: true,
			Computed: []string{"iamRole", "cluster"},
			diff: func(olds, news resource.PropertyMap, changed, replace map[string]bool) {
				if !changed["capacityProviderStrategies"] {
					return
				}
				if !boolOr(news, "forceNewDeployment", false) {
					replace["capacityProviderStrategies"] = true
					return
				}
				if (len(arr(olds, "capacityProviderStrategies")) == 0) != (len(arr(news, "capacityProviderStrategies")) == 0) {
					replace["capacityProviderStrategies"] = true
				}
			},
			create: func(r *res) (string, map[string]any, error) {
				cluster := r.s_("cluster")
				clusterName := cluster[strings.LastIndex(cluster, "/")+1:]
				if cluster == "" {
					cluster, clusterName = r.arn("ecs", "cluster/default"), "default"
				}
				arn := r.arn("ecs", "service/"+clusterName+"/"+r.s_("name"))
				return arn, map[string]any{"iamRole": "/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "cluster": cluster}, nil
			},
		},
		&typeSpec{
			Token: "aws:cloudwatch/logGroup:LogGroup", TF: "aws_cloudwatch_log_group",
			Replace: []string{"name", "namePrefix", "logGroupClass"}, Source: tfDocs + "cloudwatch_log_group (" + tfSrc + "logs/group.go)",
			Note:     "retentionInDays and kmsKeyId are updated in place.",
			AutoName: std(512), Taggable: true, Computed: []string{"arn"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("name"), map[string]any{"arn": r.arn("logs", "log-group:"+r.s_("name"))}, nil
			},
		},
		&typeSpec{
			Token: "aws:iam/role:Role", TF: "aws_iam_role",
			Replace: []string{"name", "namePrefix", "path"}, Source: tfDocs + "iam_role (" + tfSrc + "iam/role.go); pulumi-aws resources.go AutoName(\"name\", 64, \"-\")",
			Note:     "assumeRolePolicy, description, inlinePolicies, managedPolicyArns, maxSessionDuration are updated in place.",
			AutoName: std(64), Taggable: true, Required: []string{"assumeRolePolicy"}, JSON: []string{"assumeRolePolicy"},
			Validate: nameCheck("name", 64, nil, ""),
			Computed: []string{"arn", "uniqueId", "createDate"},
			create: func(r *res) (string, map[string]any, error) {
				path := strOr(r.in, "path", "/")
				return r.s_("name"), map[string]any{
					"arn":        fmt.Sprintf("arn:aws:iam::%s:role%s%s", Account, path, r.s_("name")),
					"uniqueId":   "AROA" + r.upper(17, "role"),
					"createDate": "2026-01-01T00:00:00Z",
				}, nil
			},
		},
		&typeSpec{
			Token: "aws:iam/rolePolicy:RolePolicy", TF: "aws_iam_role_policy",
			Replace: []string{"name", "namePrefix", "role"}, Source: tfDocs + "iam_role_policy (" + tfSrc + "iam/role_policy.go)",
			Note:     "policy is updated in place.",
			AutoName: std(128), Required: []string{"role", "policy"}, JSON: []string{"policy"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("role") + ":" + r.s_("name"), map[string]any{}, nil
			},
		},
		&typeSpec{
			Token: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", TF: "aws_iam_role_policy_attachment",
			Replace: []string{"role", "policyArn"}, DeleteBeforeReplace: true,
			Source:   tfDocs + "iam_role_policy_attachment (" + tfSrc + "iam/role_policy_attachment.go: no Update); pulumi-aws resources.go DeleteBeforeReplace: true",
			Required: []string{"role", "policyArn"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("role") + "-" + digits(26, r.region, string(r.urn), fmt.Sprint(r.seq)), map[string]any{}, nil
			},
		},
		&typeSpec{
			Token: "aws:appautoscaling/target:Target", TF: "aws_appautoscaling_target",
			Replace: []string{"resourceId", "scalableDimension", "serviceNamespace"}, Source: tfDocs + "appautoscaling_target (" + tfSrc + "appautoscaling/target.go)",
			Note:     "minCapacity, maxCapacity, roleArn, suspendedState are updated in place.",
			Required: []string{"maxCapacity", "minCapacity", "resourceId", "scalableDimension", "serviceNamespace"}, Taggable: true,
			Computed: []string{"arn", "roleArn"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("resourceId"), map[string]any{
					"arn":     r.arn("application-autoscaling", "scalable-target/0e"+r.hex(30, "target")),
					"roleArn": fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService", Account),
				}, nil
			},
		},
		&typeSpec{
			Token: "aws:appautoscaling/policy:Policy", TF: "aws_appautoscaling_policy",
			Replace: []string{"name", "resourceId", "scalableDimension", "serviceNamespace"}, Source: tfDocs + "appautoscaling_policy (" + tfSrc + "appautoscaling/policy.go)",
			Note:     "policyType and the scaling configurations are updated in place.",
			AutoName: std(255), Required: []string{"resourceId", "scalableDimension", "serviceNamespace"},
			Computed: []string{"arn", "alarmArns"},
			create: func(r *res) (string, map[string]any, error) {
				name, resID := r.s_("name"), r.s_("resourceId")
				policyID := uuid(r.region, string(r.urn), fmt.Sprint(r.seq))
				var alarms []any
				if strOr(r.in, "policyType", "StepScaling") == "TargetTrackingScaling" {
					for _, kind := range []string{"AlarmHigh", "AlarmLow"} {
						alarms = append(alarms, r.arn("cloudwatch", fmt.Sprintf("alarm:TargetTracking-%s-%s-%s", resID, kind, uuid(policyID, kind))))
					}
				}
				return name, map[string]any{
					"arn":       r.arn("autoscaling", fmt.Sprintf("scalingPolicy:%s:resource/%s/%s:policyName/%s", policyID, r.s_("serviceNamespace"), resID, name)),
					"alarmArns": toAnyList(alarms),
				}, nil
			},
		},
		&typeSpec{
			Token: "aws:cloudwatch/metricAlarm:MetricAlarm", TF: "aws_cloudwatch_metric_alarm",
			Replace: []string{"name"}, Source: tfDocs + "cloudwatch_metric_alarm (" + tfSrc + "cloudwatch/metric_alarm.go)",
			AutoName: std(255), Taggable: true, Required: []string{"comparisonOperator", "evaluationPeriods"},
			Computed: []string{"arn"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("name"), map[string]any{"arn": r.arn("cloudwatch", "alarm:"+r.s_("name"))}, nil
			},
		},
		&typeSpec{
			Token: "aws:cloudwatch/dashboard:Dashboard", TF: "aws_cloudwatch_dashboard",
			Replace: []string{"dashboardName"}, Source: tfDocs + "cloudwatch_dashboard (" + tfSrc + "cloudwatch/dashboard.go)",
			Note:     "Not auto-named (the property is dashboardName). Dashboards are global: the ARN has no region.",
			Required: []string{"dashboardName", "dashboardBody"}, JSON: []string{"dashboardBody"},
			Computed: []string{"dashboardArn"},
			create: func(r *res) (string, map[string]any, error) {
				return r.s_("dashboardName"), map[string]any{"dashboardArn": fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", Account, r.s_("dashboardName"))}, nil
			},
		},
		&typeSpec{
			Token: "aws:sns/topic:Topic", TF: "aws_sns_topic",
			Replace: []string{"name", "namePrefix", "fifoTopic"}, Source: tfDocs + "sns_topic (" + tfSrc + "sns/topic.go)",
			AutoName: std(256), Taggable: true, Computed: []string{"arn", "owner"},
			create: func(r *res) (string, map[string]any, error) {
				arn := r.arn("sns", r.s_("name"))
				return arn, map[string]any{"arn": arn, "owner": Account}, nil
			},
		},
		&typeSpec{
			Token: "aws:sns/topicSubscription:TopicSubscription", TF: "aws_sns_topic_subscription",
			Replace:  []string{"topic", "protocol", "endpoint", "endpointAutoConfirms", "confirmationTimeoutInMinutes"},
			Source:   tfDocs + "sns_topic_subscription (" + tfSrc + "sns/topic_subscription.go)",
			Required: []string{"topic", "protocol", "endpoint"},
			Computed: []string{"arn", "ownerId", "pendingConfirmation", "confirmationWasAuthenticated"},
			create: func(r *res) (string, map[string]any, error) {
				arn := r.s_("topic") + ":" + uuid(r.region, string(r.urn), fmt.Sprint(r.seq))
				proto := r.s_("protocol")
				return arn, map[string]any{
					"arn": arn, "ownerId": Account, "confirmationWasAuthenticated": false,
					"pendingConfirmation": proto == "email" || proto == "email-json" || proto == "http" || proto == "https",
				}, nil
			},
		},
		// The EC2 networking resources awsx:ec2:Vpc creates.
		&typeSpec{
			Token: "aws:ec2/vpc:Vpc", TF: "aws_vpc",
			Replace: []string{"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"}, Source: tfDocs + "vpc (" + tfSrc + "ec2/vpc_.go)",
			Note:     "enableDnsHostnames/Support and tags are updated in place.",
			Taggable: true, Defaults: map[string]any{"enableDnsSupport": true, "instanceTenancy": "default"},
			Computed: []string{"arn", "ownerId", "defaultSecurityGroupId", "defaultRouteTableId", "mainRouteTableId", "defaultNetworkAclId", "dhcpOptionsId", "enableDnsHostnames"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("vpc")
				if !r.preview {
					if err := withState(func(st *fakeState) error { st.VPCs[id] = r.s_("cidrBlock"); return nil }); err != nil {
						return "", nil, err
					}
				}
				rtb := r.ec2ID("rtb")
				return id, map[string]any{
					"arn": r.arn("ec2", "vpc/"+id), "ownerId": Account, "defaultSecurityGroupId": r.ec2ID("sg"),
					"defaultRouteTableId": rtb, "mainRouteTableId": rtb, "defaultNetworkAclId": r.ec2ID("acl"),
					"dhcpOptionsId": r.ec2ID("dopt"), "enableDnsHostnames": boolOr(r.in, "enableDnsHostnames", false),
				}, nil
			},
			remove: func(r *res) error {
				return withState(func(st *fakeState) error {
					for id, sn := range st.Subnets {
						if sn.VPC == r.id {
							return fmt.Errorf("deleting EC2 VPC (%s): DependencyViolation: The vpc '%s' has dependencies and cannot be deleted. (subnet %s)", r.id, r.id, id)
						}
					}
					delete(st.VPCs, r.id)
					return nil
				})
			},
		},
		&typeSpec{
			Token: "aws:ec2/subnet:Subnet", TF: "aws_subnet",
			Replace: []string{"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"},
			Source:  tfDocs + "subnet (" + tfSrc + "ec2/vpc_subnet.go)",
			Note: "mapPublicIpOnLaunch and tags are updated in place. A replacement is created before the old subnet is deleted, " +
				"so a new subnet whose CIDR overlaps a live one fails like AWS (InvalidSubnet.Conflict) - modelled.",
			Taggable: true, Required: []string{"vpcId"},
			Defaults: map[string]any{"mapPublicIpOnLaunch": false, "assignIpv6AddressOnCreation": false},
			Computed: []string{"arn", "ownerId", "availabilityZone", "availabilityZoneId"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("subnet")
				az := strOr(r.in, "availabilityZone", r.region+"a")
				if !r.preview {
					if err := createSubnet(id, r.s_("vpcId"), r.s_("cidrBlock"), az); err != nil {
						return "", nil, err
					}
				}
				return id, map[string]any{"arn": r.arn("ec2", "subnet/"+id), "ownerId": Account, "availabilityZone": az, "availabilityZoneId": zoneID(az)}, nil
			},
			remove: func(r *res) error {
				return withState(func(st *fakeState) error {
					for _, ident := range sortedKeys(st.DBInstances) {
						for _, sn := range st.DBInstances[ident].Subnets {
							if sn == r.id {
								return fmt.Errorf("deleting EC2 Subnet (%s): DependencyViolation: The subnet '%s' has dependencies and cannot be deleted. (the network interface of RDS instance %s)", r.id, r.id, ident)
							}
						}
					}
					delete(st.Subnets, r.id)
					return nil
				})
			},
		},
		&typeSpec{
			Token: "aws:ec2/routeTable:RouteTable", TF: "aws_route_table",
			Replace: []string{"vpcId"}, Source: tfDocs + "route_table (" + tfSrc + "ec2/vpc_route_table.go)",
			Taggable: true, Required: []string{"vpcId"}, Computed: []string{"arn", "ownerId", "routes", "propagatingVgws"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("rtb")
				outs := map[string]any{"arn": r.arn("ec2", "route-table/"+id), "ownerId": Account, "propagatingVgws": []any{}}
				if !has(r.in, "routes") {
					outs["routes"] = []any{}
				}
				return id, outs, nil
			},
		},
		&typeSpec{
			Token: "aws:ec2/routeTableAssociation:RouteTableAssociation", TF: "aws_route_table_association",
			Replace: []string{"subnetId", "gatewayId"}, Source: tfDocs + "route_table_association (" + tfSrc + "ec2/vpc_route_table_association.go)",
			Note:     "routeTableId is updated in place (ReplaceRouteTableAssociation).",
			Required: []string{"routeTableId"},
			create:   func(r *res) (string, map[string]any, error) { return r.ec2ID("rtbassoc"), map[string]any{}, nil },
		},
		&typeSpec{
			Token: "aws:ec2/route:Route", TF: "aws_route",
			Replace:  []string{"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
			Source:   tfDocs + "route (" + tfSrc + "ec2/vpc_route.go)",
			Note:     "The target (gatewayId, natGatewayId, ...) is updated in place (ReplaceRoute).",
			Required: []string{"routeTableId"}, Computed: []string{"origin", "state", "instanceOwnerId"},
			create: func(r *res) (string, map[string]any, error) {
				return "r-" + r.s_("routeTableId") + digits(10, r.s_("destinationCidrBlock")),
					map[string]any{"origin": "CreateRoute", "state": "active", "instanceOwnerId": ""}, nil
			},
		},
		&typeSpec{
			Token: "aws:ec2/internetGateway:InternetGateway", TF: "aws_internet_gateway",
			Source:   tfDocs + "internet_gateway (" + tfSrc + "ec2/vpc_internet_gateway.go: vpc_id is updated in place)",
			Taggable: true, Computed: []string{"arn", "ownerId"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("igw")
				return id, map[string]any{"arn": r.arn("ec2", "internet-gateway/"+id), "ownerId": Account}, nil
			},
		},
		&typeSpec{
			Token: "aws:ec2/eip:Eip", TF: "aws_eip",
			Replace:  []string{"domain", "vpc", "networkBorderGroup", "publicIpv4Pool", "address", "customerOwnedIpv4Pool", "ipamPoolId"},
			Source:   tfDocs + "eip (" + tfSrc + "ec2/ec2_eip.go)",
			Taggable: true, Computed: []string{"allocationId", "publicIp", "publicDns", "domain", "arn", "networkBorderGroup"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("eipalloc")
				ip := eipAddress(id)
				return id, map[string]any{
					"allocationId": id, "publicIp": ip, "domain": "vpc", "networkBorderGroup": r.region,
					"publicDns": publicDNS(ip, r.region), "arn": r.arn("ec2", "elastic-ip/"+id),
				}, nil
			},
		},
		&typeSpec{
			Token: "aws:ec2/natGateway:NatGateway", TF: "aws_nat_gateway",
			Replace:  []string{"allocationId", "subnetId", "connectivityType", "privateIp"},
			Source:   tfDocs + "nat_gateway (" + tfSrc + "ec2/vpc_nat_gateway.go)",
			Taggable: true, Required: []string{"subnetId"},
			Defaults: map[string]any{"connectivityType": "public"},
			Computed: []string{"publicIp", "privateIp", "networkInterfaceId", "associationId"},
			create: func(r *res) (string, map[string]any, error) {
				id := r.ec2ID("nat")
				return id, map[string]any{
					"publicIp": eipAddress(r.s_("allocationId")), "privateIp": fmt.Sprintf("10.0.0.%d", 4+atoi(digits(2, id))),
					"networkInterfaceId": r.ec2ID("eni"), "associationId": r.ec2ID("eipassoc"),
				}, nil
			},
		},
	)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func toAnyList(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func enginePort(engine string) int {
	switch {
	case strings.Contains(engine, "postgres"):
		return 5432
	case strings.Contains(engine, "sqlserver"):
		return 1433
	case strings.Contains(engine, "oracle"):
		return 1521
	}
	return 3306
}

// elbZoneID is the canonical hosted zone of Application Load Balancers per region, from
// https://docs.aws.amazon.com/general/latest/gr/elb.html (fake for regions not listed).
func elbZoneID(region string) string {
	zones := map[string]string{
		"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
		"us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5",
		"eu-west-2": "ZHURV8PSTC4K8", "ap-northeast-1": "Z14GRHDCWA56QT", "ap-southeast-1": "Z1LMS91P8CMLE5",
		"ap-southeast-2": "Z1GM3OXH4ZPM65", "ap-northeast-2": "ZWKZPGTI48KDX", "ap-south-1": "ZP97RAFLXTNZK",
		"sa-east-1": "Z2P70J7HTTTPLU", "ca-central-1": "ZQSVJUPU6J1EY",
	}
	if z, ok := zones[region]; ok {
		return z
	}
	return "Z" + strings.ToUpper(digest(13, "elb-zone", region))
}

// availabilityZones answers getAvailabilityZones. The lists follow what most accounts see (e.g. ap-northeast-1
// has no "b" zone for new accounts, us-east-1 has six).
func availabilityZones(region string) []string {
	letters := map[string]string{
		"us-east-1": "abcdef", "us-west-1": "ac", "us-west-2": "abcd", "ap-northeast-1": "acd",
		"ap-northeast-2": "abcd", "ca-central-1": "abd",
	}[region]
	if letters == "" {
		letters = "abc"
	}
	var out []string
	for _, l := range letters {
		out = append(out, region+string(l))
	}
	return out
}

// zoneID returns a zone id such as use1-az1 for us-east-1a (the real letter→id mapping differs per account).
func zoneID(az string) string {
	if len(az) < 2 {
		return az
	}
	region, letter := az[:len(az)-1], az[len(az)-1]
	parts := strings.Split(region, "-")
	abbr := parts[0]
	dirs := map[string]string{"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
		"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}
	for _, p := range parts[1 : len(parts)-1] {
		if d, ok := dirs[p]; ok {
			abbr += d
		} else {
			abbr += p[:1]
		}
	}
	abbr += parts[len(parts)-1]
	return fmt.Sprintf("%s-az%d", abbr, int(letter-'a')+1)
}

func eipAddress(allocationID string) string {
	d := digits(9, "eip", allocationID)
	a, b, c := atoi(d[0:3])%256, atoi(d[3:6])%256, atoi(d[6:9])%254+1
	return fmt.Sprintf("3.%d.%d.%d", a, b, c)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func publicDNS(ip, region string) string {
	dashed := strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return "ec2-" + dashed + ".compute-1.amazonaws.com"
	}
	return "ec2-" + dashed + "." + region + ".compute.amazonaws.com"
}

// createSubnet records a subnet, refusing overlaps like EC2 CreateSubnet does.
func createSubnet(id, vpc, cidr, az string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("creating EC2 Subnet: InvalidParameterValue: Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	return withState(func(st *fakeState) error {
		if vcidr, ok := st.VPCs[vpc]; ok {
			vp, err := netip.ParsePrefix(vcidr)
			if err == nil && (!vp.Contains(p.Addr()) || p.Bits() < vp.Bits()) {
				return fmt.Errorf("creating EC2 Subnet: InvalidSubnet.Range: The CIDR '%s' is invalid.", cidr)
			}
		}
		ids := sortedKeys(st.Subnets)
		for _, other := range ids {
			sn := st.Subnets[other]
			if sn.VPC != vpc {
				continue
			}
			op, err := netip.ParsePrefix(sn.CIDR)
			if err == nil && op.Overlaps(p) {
				return fmt.Errorf("creating EC2 Subnet: InvalidSubnet.Conflict: The CIDR '%s' conflicts with another subnet", cidr)
			}
		}
		st.Subnets[id] = &subnetRecord{VPC: vpc, CIDR: cidr, AZ: az}
		return nil
	})
}

// placeDBInstance picks the subnets an instance's network interfaces go to: the group's first subnet, and
// with multiAz the first one in another AZ for the standby.
func placeDBInstance(st *fakeState, group string, multiAZ bool) *dbInstanceRecord {
	rec := &dbInstanceRecord{SubnetGroup: group}
	for _, id := range st.DBSubnetGroups[group] {
		if len(rec.Subnets) == 0 {
			rec.Subnets = append(rec.Subnets, id)
			continue
		}
		if multiAZ && len(rec.Subnets) == 1 {
			a, b := st.Subnets[rec.Subnets[0]], st.Subnets[id]
			if a == nil || b == nil || a.AZ != b.AZ {
				rec.Subnets = append(rec.Subnets, id)
			}
		}
	}
	return rec
}

func recordSubnetGroup(name string, in resource.PropertyMap) error {
	ids := strings_(arr(in, "subnetIds"))
	return withState(func(st *fakeState) error { st.DBSubnetGroups[name] = ids; return nil })
}

func subnetVPC(id string) string {
	st, err := readState()
	if err != nil || st.Subnets[id] == nil {
		return ""
	}
	return st.Subnets[id].VPC
}

// dbSubnetGroupVPC resolves a DB subnet group's VPC through its first subnet (needs the group's state,
// which the aws plugin records on create/update).
func dbSubnetGroupVPC(name string) string {
	ids := dbSubnetGroupSubnets(name)
	if len(ids) == 0 {
		return ""
	}
	return subnetVPC(ids[0])
}

func dbSubnetGroupSubnets(name string) []string {
	st, err := readState()
	if err != nil {
		return nil
	}
	ids := append([]string(nil), st.DBSubnetGroups[name]...)
	sort.Strings(ids)
	return ids
}
