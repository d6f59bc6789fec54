// Command task-management-api deploys the Django task API to AWS ECS Fargate.
//
//	config → provider → network → registry + image → load balancer → database → secrets → service → exports
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/infra"
)

func main() {
	pulumi.Run(program)
}

func program(ctx *pulumi.Context) error {
	cfg, err := infra.LoadConfig(ctx)
	if err != nil {
		return err
	}
	name := cfg.Name()

	provider, err := infra.NewAWSProvider(ctx, cfg)
	if err != nil {
		return err
	}
	aws := pulumi.Providers(provider)

	network, err := infra.NewNetwork(ctx, name+"-network", &infra.NetworkArgs{
		NATGateways: cfg.NATGateways,
	}, aws)
	if err != nil {
		return err
	}

	registry, err := infra.NewRegistry(ctx, name+"-registry", &infra.RegistryArgs{
		ContextDir:  "app",
		Dockerfile:  "app/Dockerfile",
		Platform:    cfg.Platform(),
		ForceDelete: cfg.ForceDeleteRepository,
		KeepImages:  30,
	}, aws)
	if err != nil {
		return err
	}

	alb, err := infra.NewLoadBalancer(ctx, name+"-lb", &infra.LoadBalancerArgs{
		VPCID:               network.VPCID,
		SubnetIDs:           network.PublicSubnetIDs,
		SecurityGroupID:     network.ALBSecurityGroupID,
		HealthCheckPath:     cfg.HealthCheckPath,
		DeregistrationDelay: cfg.DeregistrationDelay,
		DeletionProtection:  cfg.DeletionProtection,
		DomainName:          cfg.DomainName,
		HostedZoneID:        cfg.HostedZoneID,
		CertificateARN:      cfg.CertificateARN,
	}, aws)
	if err != nil {
		return err
	}

	db, err := infra.NewDatabase(ctx, name+"-db", &infra.DatabaseArgs{
		SubnetIDs:           network.IsolatedSubnetIDs,
		SecurityGroupID:     network.DatabaseSecurityGroupID,
		InstanceClass:       cfg.DBInstanceClass,
		AllocatedStorage:    cfg.DBAllocatedStorage,
		MultiAZ:             cfg.DBMultiAZ,
		BackupRetentionDays: cfg.DBBackupRetentionDays,
		EngineVersion:       cfg.DBEngineVersion,
		DeletionProtection:  cfg.DeletionProtection,
		FinalSnapshot:       cfg.DBFinalSnapshot,
	}, aws)
	if err != nil {
		return err
	}

	secrets, err := infra.NewSecrets(ctx, name+"-secrets", &infra.SecretsArgs{
		DjangoSecretKey: cfg.DjangoSecretKey,
		Provided:        cfg.HasDjangoSecretKey(),
	}, aws)
	if err != nil {
		return err
	}

	service, err := infra.NewService(ctx, name+"-app", &infra.ServiceArgs{
		Region:                       cfg.Region,
		LogGroupName:                 cfg.LogGroupName(),
		LogRetentionDays:             cfg.LogRetentionDays,
		ContainerInsights:            cfg.ContainerInsights,
		Architecture:                 cfg.Architecture,
		CPU:                          cfg.CPU,
		Memory:                       cfg.Memory,
		UseSpot:                      cfg.UseSpot,
		SubnetIDs:                    network.TaskSubnetIDs,
		SecurityGroup:                network.ServiceSecurityGroupID,
		AssignPublicIP:               network.AssignPublicIP,
		ImageRef:                     registry.ImageRef,
		HealthCheckPath:              cfg.HealthCheckPath,
		StopTimeout:                  cfg.StopTimeout,
		WebConcurrency:               cfg.WebConcurrency,
		HTTPSOnly:                    alb.HTTPS,
		AllowedHosts:                 alb.Hostnames,
		CSRFTrustedOrigins:           alb.Origins,
		DatabaseHost:                 db.Address,
		DjangoSecretKeyARN:           secrets.DjangoSecretKeyARN,
		DjangoSecretKeyValueFrom:     secrets.DjangoSecretKeyValueFrom,
		DatabaseSecretARN:            db.SecretARN,
		EnableExecuteCommand:         cfg.EnableExecuteCommand,
		DesiredCount:                 cfg.DesiredCount,
		MinCount:                     cfg.MinCount,
		MaxCount:                     cfg.MaxCount,
		HealthCheckGracePeriod:       cfg.HealthCheckGracePeriod,
		MigrationTimeout:             cfg.MigrationTimeout,
		AutoscalingCPUTarget:         cfg.AutoscalingCPUTarget,
		AutoscalingRequestsPerTarget: cfg.AutoscalingRequestsPerTarget,
		TargetGroupARN:               alb.TargetGroupARN,
		ALBARNSuffix:                 alb.ARNSuffix,
		TargetGroupARNSuffix:         alb.TargetGroupARNSuffix,
		Listener:                     alb.Listener,
	}, aws)
	if err != nil {
		return err
	}

	ctx.Export("url", alb.URL)
	ctx.Export("healthCheckPath", pulumi.String(cfg.HealthCheckPath))
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("albDnsName", alb.DNSName)
	ctx.Export("albZoneId", alb.ZoneID)
	ctx.Export("albArnSuffix", alb.ARNSuffix)
	ctx.Export("targetGroupArn", alb.TargetGroupARN)
	ctx.Export("targetGroupArnSuffix", alb.TargetGroupARNSuffix)
	ctx.Export("repositoryUrl", registry.RepositoryURL)
	ctx.Export("imageRef", registry.ImageRef)
	ctx.Export("clusterName", service.ClusterName)
	ctx.Export("serviceName", service.ServiceName)
	ctx.Export("taskDefinitionArn", service.TaskDefinitionARN)
	ctx.Export("logGroupName", service.LogGroupName)
	ctx.Export("vpcId", network.VPCID)
	ctx.Export("publicSubnetIds", network.PublicSubnetIDs)
	ctx.Export("privateSubnetIds", network.PrivateSubnetIDs)
	ctx.Export("isolatedSubnetIds", network.IsolatedSubnetIDs)
	ctx.Export("albSecurityGroupId", network.ALBSecurityGroupID)
	ctx.Export("serviceSecurityGroupId", network.ServiceSecurityGroupID)
	ctx.Export("databaseEndpoint", db.Endpoint)
	ctx.Export("databaseInstanceId", db.InstanceID)
	ctx.Export("databaseSecretArn", db.SecretARN)
	return nil
}
