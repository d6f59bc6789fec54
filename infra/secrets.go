package infra

import (
	"crypto/rand"

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
	// DjangoSecretKeyValueFrom pins the exact version of the key (<arn>:::<version id>, the ECS secrets
	// syntax arn:json-key:version-stage:version-id). A new key is a new version, hence a new task
	// definition and a rolling deployment: every task runs with the same key, instead of old tasks
	// keeping the old one while tasks started later get the new one.
	DjangoSecretKeyValueFrom pulumi.StringOutput
}

// GenerateDjangoKey draws a fresh key locally: 52 characters of base32 from crypto/rand (260 bits),
// which passes Django's own check (security.W009). It is generated on every run and only the first
// value is kept (ignoreChanges), so previews need no AWS call: secretsmanager:GetRandomPassword is not
// in the read-only role PR previews run with.
func GenerateDjangoKey() string { return rand.Text() + rand.Text() }

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
		// Keeping the first generated value means sessions and signed tokens survive deploys. Setting
		// djangoSecretKey later replaces it.
		value = pulumi.ToSecret(pulumi.String(GenerateDjangoKey())).(pulumi.StringOutput)
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
	s.DjangoSecretKeyValueFrom = pulumi.Sprintf("%s:::%s", version.Arn, version.VersionId)
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"djangoSecretKeyArn":       s.DjangoSecretKeyARN,
		"djangoSecretKeyValueFrom": s.DjangoSecretKeyValueFrom,
	}); err != nil {
		return nil, err
	}
	return s, nil
}
