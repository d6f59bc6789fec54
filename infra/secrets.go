package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecretsType is the type token of the Secrets component.
const SecretsType = "taskapi:infra:Secrets"

// SecretsArgs configures the application's secrets.
type SecretsArgs struct {
	// DjangoSecretKey is used when Provided; otherwise a key is generated on the first deploy.
	DjangoSecretKey pulumi.StringOutput
	Provided        bool
}

// Secrets holds the Django secret key in Secrets Manager; tasks receive it through ECS secrets, never as
// a plain environment variable.
type Secrets struct {
	pulumi.ResourceState

	DjangoSecretKeyARN pulumi.StringOutput
}

// NewSecrets creates the secret and its value.
func NewSecrets(ctx *pulumi.Context, name string, args *SecretsArgs, opts ...pulumi.ResourceOption) (*Secrets, error) {
	s := &Secrets{}
	if err := ctx.RegisterComponentResource(SecretsType, name, s, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(s)

	secret, err := secretsmanager.NewSecret(ctx, name+"-django-key", &secretsmanager.SecretArgs{
		Description: pulumi.String("Django SECRET_KEY of the task API"),
	}, child)
	if err != nil {
		return nil, err
	}

	value := args.DjangoSecretKey
	versionOpts := []pulumi.ResourceOption{child}
	if !args.Provided {
		// Secrets Manager draws a new value on every run; ignoring changes keeps the first one, so sessions
		// and signed tokens survive deploys. Setting djangoSecretKey later replaces it.
		value = pulumi.ToSecret(secretsmanager.GetRandomPasswordOutput(ctx, secretsmanager.GetRandomPasswordOutputArgs{
			PasswordLength:    pulumi.Int(64),
			ExcludeCharacters: pulumi.String("\"'`\\"),
		}, pulumi.Parent(s)).RandomPassword()).(pulumi.StringOutput)
		versionOpts = append(versionOpts, pulumi.IgnoreChanges([]string{"secretString"}))
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-django-key-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: value,
	}, versionOpts...)
	if err != nil {
		return nil, err
	}

	// The version's ARN is the secret's, but depending on it means no task starts before the value exists.
	s.DjangoSecretKeyARN = version.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"djangoSecretKeyArn": s.DjangoSecretKeyARN}); err != nil {
		return nil, err
	}
	return s, nil
}
