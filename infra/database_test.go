package infra

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestDatabaseIsPrivateEncryptedAndManaged(t *testing.T) {
	cases := []struct {
		name          string
		args          DatabaseArgs
		finalSnapshot bool
	}{
		{"dev", DatabaseArgs{InstanceClass: "db.t4g.micro", AllocatedStorage: 20, BackupRetentionDays: 1, EngineVersion: "16"}, false},
		{"prod", DatabaseArgs{InstanceClass: "db.t4g.small", AllocatedStorage: 50, BackupRetentionDays: 14, EngineVersion: "16",
			MultiAZ: true, DeletionProtection: true, FinalSnapshot: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var secretARN string
			m := run(t, func(ctx *pulumi.Context) error {
				args := tc.args
				args.SubnetIDs = pulumi.ToStringArray([]string{"subnet-isolated-a", "subnet-isolated-b"})
				args.SecurityGroupID = pulumi.String("sg-db")
				d, err := NewDatabase(ctx, "db", &args)
				if err != nil {
					return err
				}
				await(d.SecretARN, &secretARN)
				return nil
			})
			db := m.One(t, "aws:rds/instance:Instance", "db-pg")
			if db.Bool("publiclyAccessible") {
				t.Error("database is publicly accessible")
			}
			if !db.Bool("storageEncrypted") || db.String("storageType") != "gp3" {
				t.Errorf("encrypted %v storage %q", db.Bool("storageEncrypted"), db.String("storageType"))
			}
			if !db.Bool("manageMasterUserPassword") || db.String("password") != "" {
				t.Error("master password not managed by RDS")
			}
			if db.String("engine") != "postgres" || db.String("dbName") != DatabaseName || db.String("username") != DatabaseUser {
				t.Errorf("engine %q db %q user %q", db.String("engine"), db.String("dbName"), db.String("username"))
			}
			if db.Bool("multiAz") != tc.args.MultiAZ || db.Bool("deletionProtection") != tc.args.DeletionProtection ||
				db.Number("backupRetentionPeriod") != float64(tc.args.BackupRetentionDays) || db.String("instanceClass") != tc.args.InstanceClass {
				t.Errorf("settings not from the stack: %v", db.Inputs)
			}
			if db.Bool("skipFinalSnapshot") == tc.finalSnapshot || (db.String("finalSnapshotIdentifier") != "") != tc.finalSnapshot {
				t.Errorf("final snapshot: skip=%v id=%q, want snapshot %v", db.Bool("skipFinalSnapshot"), db.String("finalSnapshotIdentifier"), tc.finalSnapshot)
			}
			if !slices.Equal(db.Strings("vpcSecurityGroupIds"), []string{"sg-db"}) {
				t.Errorf("security groups %v", db.Strings("vpcSecurityGroupIds"))
			}
			subnets := m.One(t, "aws:rds/subnetGroup:SubnetGroup", "db-subnets")
			if !slices.Equal(subnets.Strings("subnetIds"), []string{"subnet-isolated-a", "subnet-isolated-b"}) {
				t.Errorf("database subnets %v, want the isolated ones", subnets.Strings("subnetIds"))
			}
			if !strings.HasPrefix(secretARN, "arn:aws:secretsmanager:") {
				t.Errorf("secret ARN %q", secretARN)
			}
			// dbEngineVersion 16 -> 17 must be possible with `up`, and no paid Extended Support by default.
			if !db.Bool("allowMajorVersionUpgrade") || !db.Bool("applyImmediately") {
				t.Errorf("major upgrades: allow %v, apply immediately %v", db.Bool("allowMajorVersionUpgrade"), db.Bool("applyImmediately"))
			}
			if db.String("engineLifecycleSupport") != "open-source-rds-extended-support-disabled" ||
				!slices.Contains(db.IgnoreChanges, "engineLifecycleSupport") {
				t.Errorf("engine lifecycle %q (ignoreChanges %v)", db.String("engineLifecycleSupport"), db.IgnoreChanges)
			}
			if db.Number("maxAllocatedStorage") != float64(2*tc.args.AllocatedStorage) {
				t.Errorf("maxAllocatedStorage %v", db.Number("maxAllocatedStorage"))
			}
		})
	}
}

// Storage autoscaling may grow to twice the allocation, but never past RDS's 65536 GiB.
func TestMaxAllocatedStorageStaysWithinRDSLimit(t *testing.T) {
	for allocated, want := range map[int]int{20: 40, 32768: 65536, 40000: 65536, 65536: 65536} {
		if got := MaxAllocatedStorage(allocated); got != want {
			t.Errorf("MaxAllocatedStorage(%d) = %d, want %d", allocated, got, want)
		}
	}
}
