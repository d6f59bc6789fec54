package main

import (
	"strings"
	"testing"
)

func TestFakeECR(t *testing.T) {
	t.Setenv("FAKE_AWS_STATE_DIR", t.TempDir())
	const region = "us-east-1"
	host := ecrRegistryHost(region)
	if err := ecrPutRepository(region, "immutable", "IMMUTABLE"); err != nil {
		t.Fatal(err)
	}
	if err := ecrPutRepository(region, "mutable", ""); err != nil {
		t.Fatal(err)
	}
	password, err := ecrToken(region)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)

	tests := []struct {
		name, host, repo, tag, digest, user, password, wantErr string
	}{
		{"no credentials", host, "immutable", "v1", d1, "", "", "no basic auth credentials"},
		{"wrong password", host, "immutable", "v1", d1, "AWS", "nope", "denied: Your authorization token has expired"},
		{"first push", host, "immutable", "v1", d1, "AWS", password, ""},
		{"same digest again", host, "immutable", "v1", d1, "AWS", password, ""},
		{"new digest, same tag, immutable", host, "immutable", "v1", d2,
			"AWS", password, "tag invalid: The image tag 'v1' already exists in the 'immutable' repository and cannot be overwritten because the repository is immutable."},
		{"new tag", host, "immutable", "v2", d2, "AWS", password, ""},
		{"mutable overwrite", host, "mutable", "latest", d1, "AWS", password, ""},
		{"mutable overwrite again", host, "mutable", "latest", d2, "AWS", password, ""},
		{"unknown repository", host, "missing", "v1", d1, "AWS", password,
			"name unknown: The repository with name 'missing' does not exist in the registry with id '123456789012'"},
		{"other region's registry", ecrRegistryHost("eu-west-1"), "immutable", "v1", d1, "AWS", password, "denied"},
	}
	for _, tc := range tests {
		err := ecrPush(tc.host, tc.repo, tc.tag, tc.digest, tc.user, tc.password)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}

	// A repository that still holds images is only deleted with forceDelete.
	if err := ecrDeleteRepository(region, "immutable", false); err == nil || !strings.Contains(err.Error(), "RepositoryNotEmptyException") {
		t.Errorf("delete non-empty: %v", err)
	}
	if err := ecrDeleteRepository(region, "immutable", true); err != nil {
		t.Errorf("force delete: %v", err)
	}
	st, _ := readState()
	if st.ECR[ecrRepoKey(region, "immutable")] != nil || len(st.ECR[ecrRepoKey(region, "mutable")].Digests) != 2 {
		t.Errorf("state = %+v", st.ECR)
	}
}

func TestSubnetConflicts(t *testing.T) {
	t.Setenv("FAKE_AWS_STATE_DIR", t.TempDir())
	_ = withState(func(st *fakeState) error { st.VPCs["vpc-1"] = "10.0.0.0/16"; return nil })
	if err := createSubnet("subnet-1", "vpc-1", "10.0.0.0/24", "us-east-1a"); err != nil {
		t.Fatal(err)
	}
	// A replacement is created before the old subnet is deleted: the same CIDR in another AZ conflicts.
	if err := createSubnet("subnet-2", "vpc-1", "10.0.0.0/24", "us-east-1b"); err == nil || !strings.Contains(err.Error(), "InvalidSubnet.Conflict") {
		t.Errorf("overlap: %v", err)
	}
	if err := createSubnet("subnet-3", "vpc-1", "10.1.0.0/24", "us-east-1b"); err == nil || !strings.Contains(err.Error(), "InvalidSubnet.Range") {
		t.Errorf("outside the VPC: %v", err)
	}
	if err := createSubnet("subnet-4", "vpc-1", "10.0.1.0/24", "us-east-1b"); err != nil {
		t.Errorf("disjoint: %v", err)
	}
}

func TestRandomPassword(t *testing.T) {
	args := pm(map[string]any{"passwordLength": 64, "excludeCharacters": "\"'`\\"})
	a, err := randomPassword(args, "1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := randomPassword(args, "2")
	if len(a) != 64 || a == b || strings.ContainsAny(a, "\"'`\\") {
		t.Errorf("passwords %q %q", a, b)
	}
}
