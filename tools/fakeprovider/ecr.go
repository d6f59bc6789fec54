package main

import (
	"fmt"
	"regexp"
	"strings"
)

// The fake ECR registry, kept in the shared state so the aws plugin (which creates repositories and hands
// out passwords) and the docker plugin (which pushes) agree.
//
// Error texts are the ones a real `docker push` / the ECR API return:
//   - immutable tag: "tag invalid: The image tag '<tag>' already exists in the '<repo>' repository and cannot
//     be overwritten because the repository is immutable." (moby/buildkit#3776 quotes it from ECR;
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html names the exception
//     ImageTagAlreadyExistsException)
//   - unknown repository: "name unknown: The repository with name '<repo>' does not exist in the registry
//     with id '<account>'" (aws-actions/amazon-ecr-login#166)
//   - no credentials: "no basic auth credentials" (docker's message for an ECR 401 without login)

var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$`)

func ecrRepoKey(region, name string) string { return region + "/" + name }

func ecrRegistryHost(region string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", Account, region)
}

// ecrToken returns (and records) the password getAuthorizationToken hands out in region. It is stable per
// region, like a token within its 12-hour validity.
func ecrToken(region string) (string, error) {
	token := "fake-ecr-password-" + digest(48, "ecr-token", Account, region)
	err := withState(func(st *fakeState) error {
		st.ECRTokens[region] = token
		return nil
	})
	return token, err
}

func ecrPutRepository(region, name, mutability string) error {
	if mutability == "" {
		mutability = "MUTABLE"
	}
	return withState(func(st *fakeState) error {
		key := ecrRepoKey(region, name)
		repo := st.ECR[key]
		if repo == nil {
			repo = &ecrRepo{Name: name, Region: region, Images: map[string]string{}}
			st.ECR[key] = repo
		}
		repo.URL = ecrRegistryHost(region) + "/" + name
		repo.ImageTagMutability = mutability
		return nil
	})
}

func ecrDeleteRepository(region, name string, force bool) error {
	return withState(func(st *fakeState) error {
		key := ecrRepoKey(region, name)
		repo := st.ECR[key]
		if repo == nil {
			return nil
		}
		if len(repo.Digests) > 0 && !force {
			return fmt.Errorf("deleting ECR Repository (%s): operation error ECR: DeleteRepository, "+
				"RepositoryNotEmptyException: The repository with name '%s' in registry with id '%s' cannot be "+
				"deleted because it still contains images", name, name, Account)
		}
		delete(st.ECR, key)
		return nil
	})
}

// ecrPush pushes digest as repository:tag to the registry named by host, authenticating as docker would.
func ecrPush(host, repoName, tag, dgst, username, password string) error {
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return fmt.Errorf(`Get "https://%s/v2/": dial tcp: lookup %s: no such host`, host, host)
	}
	account, region := m[1], m[2]
	return withState(func(st *fakeState) error {
		issued, ok := st.ECRTokens[region]
		switch {
		case username == "" || password == "":
			return fmt.Errorf("no basic auth credentials")
		case username != "AWS" || !ok || password != issued || account != Account:
			return fmt.Errorf("denied: Your authorization token has expired. Reauthenticate and try again.")
		}
		repo := st.ECR[ecrRepoKey(region, repoName)]
		if repo == nil {
			return fmt.Errorf("name unknown: The repository with name '%s' does not exist in the registry with id '%s'",
				repoName, account)
		}
		if old, exists := repo.Images[tag]; exists && old != dgst && strings.EqualFold(repo.ImageTagMutability, "IMMUTABLE") {
			return fmt.Errorf("tag invalid: The image tag '%s' already exists in the '%s' repository and cannot be "+
				"overwritten because the repository is immutable.", tag, repoName)
		}
		repo.Images[tag] = dgst
		for _, d := range repo.Digests {
			if d == dgst {
				return nil
			}
		}
		repo.Digests = append(repo.Digests, dgst)
		return nil
	})
}
