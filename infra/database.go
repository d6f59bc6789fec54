package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DatabaseType is the type token of the Database component.
const DatabaseType = "taskapi:infra:Database"

// EngineLifecycleSupport opts new instances out of RDS Extended Support (and its charges).
const EngineLifecycleSupport = "open-source-rds-extended-support-disabled"

// MaxStorageGiB is RDS's limit for gp3 PostgreSQL storage, the ceiling of storage autoscaling.
const MaxStorageGiB = 65536

// MaxAllocatedStorage lets storage autoscaling grow to twice the allocation, within RDS's limit.
func MaxAllocatedStorage(allocated int) int { return min(2*allocated, MaxStorageGiB) }

// DatabaseArgs configures the RDS PostgreSQL instance.
type DatabaseArgs struct {
	SubnetIDs           pulumi.StringArrayInput // isolated subnets: no route to or from the internet
	SecurityGroupID     pulumi.StringInput
	InstanceClass       string
	AllocatedStorage    int
	MultiAZ             bool
	BackupRetentionDays int
	EngineVersion       string
	DeletionProtection  bool
	FinalSnapshot       bool
}

// Database is a private, encrypted PostgreSQL instance whose master password RDS keeps in Secrets Manager.
type Database struct {
	pulumi.ResourceState

	Address    pulumi.StringOutput
	Endpoint   pulumi.StringOutput
	InstanceID pulumi.StringOutput
	// SecretARN is the RDS-managed secret with the JSON keys "username" and "password".
	SecretARN pulumi.StringOutput
}

// NewDatabase creates the subnet group and the instance.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	d := &Database{}
	if err := ctx.RegisterComponentResource(DatabaseType, name, d, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(d)

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		SubnetIds:   args.SubnetIDs,
		Description: pulumi.String("Isolated subnets of the task API database"),
	}, child)
	if err != nil {
		return nil, err
	}

	instanceArgs := &rds.InstanceArgs{
		Engine:                   pulumi.String("postgres"),
		EngineVersion:            pulumi.String(args.EngineVersion),
		InstanceClass:            pulumi.String(args.InstanceClass),
		AllocatedStorage:         pulumi.Int(args.AllocatedStorage),
		MaxAllocatedStorage:      pulumi.Int(MaxAllocatedStorage(args.AllocatedStorage)),
		StorageType:              pulumi.String("gp3"),
		StorageEncrypted:         pulumi.Bool(true),
		DbName:                   pulumi.String(DatabaseName),
		Username:                 pulumi.String(DatabaseUser),
		ManageMasterUserPassword: pulumi.Bool(true),
		Port:                     pulumi.Int(DatabasePort),
		DbSubnetGroupName:        subnets.Name,
		VpcSecurityGroupIds:      pulumi.StringArray{args.SecurityGroupID},
		PubliclyAccessible:       pulumi.Bool(false),
		MultiAz:                  pulumi.Bool(args.MultiAZ),
		BackupRetentionPeriod:    pulumi.Int(args.BackupRetentionDays),
		DeletionProtection:       pulumi.Bool(args.DeletionProtection),
		CopyTagsToSnapshot:       pulumi.Bool(true),
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		// A new dbEngineVersion major is refused by RDS without it. Applied during `up`, not in the next
		// maintenance window: the database restarts (minutes of 503s from the API, shorter with Multi-AZ).
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		ApplyImmediately:         pulumi.Bool(true),
		// Left to its default, RDS enrolls the instance in paid Extended Support when its major leaves
		// standard support; disabled, RDS upgrades the major instead. AWS accepts it only when an instance
		// is created or restored, hence ignoreChanges below.
		EngineLifecycleSupport: pulumi.String(EngineLifecycleSupport),
		SkipFinalSnapshot:      pulumi.Bool(!args.FinalSnapshot),
	}
	if args.FinalSnapshot {
		instanceArgs.FinalSnapshotIdentifier = pulumi.String(name + "-final")
	}
	instance, err := rds.NewInstance(ctx, name+"-pg", instanceArgs, child,
		pulumi.IgnoreChanges([]string{"engineLifecycleSupport"}))
	if err != nil {
		return nil, err
	}

	d.Address = instance.Address
	d.Endpoint = instance.Endpoint
	d.InstanceID = instance.Identifier
	d.SecretARN = instance.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"address":    d.Address,
		"endpoint":   d.Endpoint,
		"instanceId": d.InstanceID,
		"secretArn":  d.SecretARN,
	}); err != nil {
		return nil, err
	}
	return d, nil
}
