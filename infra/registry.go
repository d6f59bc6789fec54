package infra

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RegistryType is the type token of the Registry component.
const RegistryType = "taskapi:infra:Registry"

// RegistryArgs configures the ECR repository and the image built into it.
type RegistryArgs struct {
	// ContextDir is the Docker build context (relative to the program directory), Dockerfile its Dockerfile.
	ContextDir string
	Dockerfile string
	// Platform is the build platform, e.g. linux/amd64; it must match the task's runtimePlatform.
	Platform    string
	ForceDelete bool
	// KeepImages is how many images the lifecycle policy keeps for rollbacks.
	KeepImages int
}

// Registry is an ECR repository in the stack's region and the app image built and pushed to it.
type Registry struct {
	pulumi.ResourceState

	RepositoryURL pulumi.StringOutput
	// ImageRef is repository@sha256:digest, the exact image the tasks run.
	ImageRef pulumi.StringOutput
}

// lifecyclePolicy is the JSON document ECR expects:
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
type lifecyclePolicy struct {
	Rules []lifecycleRule `json:"rules"`
}

type lifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    lifecycleSelection `json:"selection"`
	Action       lifecycleAction    `json:"action"`
}

type lifecycleSelection struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

type lifecycleAction struct {
	Type string `json:"type"`
}

func newLifecyclePolicy(keep int) (string, error) {
	doc, err := json.Marshal(lifecyclePolicy{Rules: []lifecycleRule{
		{
			RulePriority: 1,
			Description:  "Drop untagged layers left by interrupted pushes after a day",
			Selection:    lifecycleSelection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
			Action:       lifecycleAction{Type: "expire"},
		},
		{
			// ECR requires the "any" rule to have the highest priority number.
			RulePriority: 2,
			Description:  fmt.Sprintf("Keep the newest %d images for rollbacks", keep),
			Selection:    lifecycleSelection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
			Action:       lifecycleAction{Type: "expire"},
		},
	}})
	return string(doc), err
}

// NewRegistry creates the repository, builds the image for args.Platform and pushes it. The tag is the
// build context's content hash; during preview nothing is built or pushed.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	r := &Registry{}
	if err := ctx.RegisterComponentResource(RegistryType, name, r, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(r)

	tag, err := ContextHash(args.ContextDir, args.Dockerfile)
	if err != nil {
		return nil, err
	}
	policy, err := newLifecyclePolicy(args.KeepImages)
	if err != nil {
		return nil, err
	}

	repo, err := ecr.NewRepository(ctx, name+"-repo", &ecr.RepositoryArgs{
		// MUTABLE on purpose. pulumi-docker rebuilds when its own hash of the context changes, and that
		// hash includes every file's full permission bits: a checkout under another umask, or a revert to
		// content pushed before, rebuilds and pushes to a tag that already exists, which an IMMUTABLE
		// repository refuses (ImageTagAlreadyExistsException). Tasks run the image by digest (ImageRef),
		// so re-pointing a tag never changes what runs.
		ImageTagMutability: pulumi.String("MUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
			&ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("AES256")},
		},
		ForceDelete: pulumi.Bool(args.ForceDelete),
	}, child)
	if err != nil {
		return nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, child); err != nil {
		return nil, err
	}

	// The token is for the caller's own registry in the provider's region: where the repository lives.
	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{}, pulumi.Parent(r))
	image, err := docker.NewImage(ctx, name+"-image", &docker.ImageArgs{
		ImageName: pulumi.Sprintf("%s:%s", repo.RepositoryUrl, tag[:32]),
		Build: &docker.DockerBuildArgs{
			Context:    pulumi.String(args.ContextDir),
			Dockerfile: pulumi.String(args.Dockerfile),
			Platform:   pulumi.String(args.Platform),
		},
		Registry: &docker.RegistryArgs{
			Server:   repo.RepositoryUrl,
			Username: token.UserName(),
			Password: pulumi.ToSecret(token.Password()).(pulumi.StringOutput),
		},
	}, child)
	if err != nil {
		return nil, err
	}

	r.RepositoryURL = repo.RepositoryUrl
	r.ImageRef = image.RepoDigest.ApplyT(checkDigest).(pulumi.StringOutput)

	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"repositoryUrl": r.RepositoryURL,
		"imageRef":      r.ImageRef,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// checkDigest insists on repo@sha256:…: a task definition pinned by digest runs exactly the pushed image,
// and a mutable or missing reference is the seed's "latest" drift.
func checkDigest(ref string) (string, error) {
	at := strings.Index(ref, "@sha256:")
	if at <= 0 || len(ref)-at-len("@sha256:") != 64 {
		return "", fmt.Errorf("the pushed image has no usable digest (got %q, want <repository>@sha256:<64 hex>); was the push skipped or did it fail?", ref)
	}
	return ref, nil
}
