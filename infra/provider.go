package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NewAWSProvider returns the one AWS provider every resource and invoke uses. Its region comes only from
// the stack file, so the shell's AWS_REGION or profile can never send part of the stack elsewhere.
func NewAWSProvider(ctx *pulumi.Context, cfg *Config) (*aws.Provider, error) {
	return aws.NewProvider(ctx, cfg.Name()+"-aws", &aws.ProviderArgs{
		Region: pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{
			Tags: pulumi.StringMap{
				"project":    pulumi.String(cfg.Project),
				"stack":      pulumi.String(cfg.Stack),
				"managed-by": pulumi.String("pulumi"),
			},
		},
	})
}
