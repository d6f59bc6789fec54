package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The fake AWS account's shared state. The aws and docker plugins are separate processes (one per
// provider resource, even), so everything they must agree on lives in one JSON file guarded by a file
// lock: the fake ECR (repositories, tags, digests), the ECR passwords handed out, and counters that make
// ids and builds deterministic for a fresh state directory. The call log is a separate append-only file.
//
// Directory: $FAKE_AWS_STATE_DIR, else $PULUMI_HOME/fake-aws-state, else ~/.pulumi/fake-aws-state.

const (
	stateFile = "state.json"
	lockFile  = "state.lock"
	callsFile = "calls.jsonl"
)

// Account is the fake AWS account every ARN and URL names.
const Account = "123456789012"

type fakeState struct {
	// Counters: "create:<urn>" (creations of that URN, so a replacement gets new ids), "taskdef:<region>:<family>"
	// (ECS revisions), "docker-build" (image builds), "getRandomPassword" (calls).
	Counters map[string]int `json:"counters"`
	// ECR repositories by "<region>/<name>".
	ECR map[string]*ecrRepo `json:"ecr"`
	// ECRTokens are the passwords getAuthorizationToken handed out, by region.
	ECRTokens map[string]string `json:"ecrTokens"`
	// VPCs (id → CIDR) and Subnets (id → record): EC2 refuses overlapping subnets.
	VPCs    map[string]string        `json:"vpcs"`
	Subnets map[string]*subnetRecord `json:"subnets"`
	// DBSubnetGroups (name → subnet ids) and DBInstances (identifier → subnet group and the subnets used).
	DBSubnetGroups map[string][]string          `json:"dbSubnetGroups"`
	DBInstances    map[string]*dbInstanceRecord `json:"dbInstances"`
}

type dbInstanceRecord struct {
	SubnetGroup string   `json:"dbSubnetGroupName"`
	Subnets     []string `json:"subnets"` // the subnets its network interfaces are in (one, two with multiAz)
}

type subnetRecord struct {
	VPC  string `json:"vpcId"`
	CIDR string `json:"cidrBlock"`
	AZ   string `json:"availabilityZone"`
}

type ecrRepo struct {
	Name               string `json:"name"`
	Region             string `json:"region"`
	URL                string `json:"repositoryUrl"`
	ImageTagMutability string `json:"imageTagMutability"`
	// Images maps tag → digest ("sha256:<64 hex>").
	Images map[string]string `json:"images"`
	// Digests lists every digest pushed (tagged or not), oldest first.
	Digests []string `json:"digests"`
}

// callEntry is one line of calls.jsonl.
type callEntry struct {
	Time    string `json:"time"`
	Plugin  string `json:"plugin"`           // aws, docker, awsx
	Op      string `json:"op"`               // Create, Update, Delete, Read, Invoke, Build, Push, Construct
	Type    string `json:"type"`             // resource type or invoke token
	URN     string `json:"urn,omitempty"`    // resource URN
	Name    string `json:"name,omitempty"`   // physical name / id / image name where useful
	Preview bool   `json:"preview"`          // the engine asked for a preview (nothing may change)
	Detail  string `json:"detail,omitempty"` // e.g. the digest pushed, the error returned
	Error   string `json:"error,omitempty"`  // set when the call failed
	Region  string `json:"region,omitempty"` // the provider's region
}

func stateDir() string {
	if d := os.Getenv("FAKE_AWS_STATE_DIR"); d != "" {
		return d
	}
	if h := os.Getenv("PULUMI_HOME"); h != "" {
		return filepath.Join(h, "fake-aws-state")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".pulumi", "fake-aws-state")
}

// withState runs fn on the shared state under an exclusive file lock and writes it back when fn succeeds.
func withState(fn func(st *fakeState) error) error {
	dir := stateDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck

	st := &fakeState{}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(data, st); err != nil {
			return fmt.Errorf("fake AWS state %s: %w", filepath.Join(dir, stateFile), err)
		}
	}
	if st.Counters == nil {
		st.Counters = map[string]int{}
	}
	if st.ECR == nil {
		st.ECR = map[string]*ecrRepo{}
	}
	if st.ECRTokens == nil {
		st.ECRTokens = map[string]string{}
	}
	if st.VPCs == nil {
		st.VPCs = map[string]string{}
	}
	if st.Subnets == nil {
		st.Subnets = map[string]*subnetRecord{}
	}
	if st.DBSubnetGroups == nil {
		st.DBSubnetGroups = map[string][]string{}
	}
	if st.DBInstances == nil {
		st.DBInstances = map[string]*dbInstanceRecord{}
	}
	if err := fn(st); err != nil {
		return err
	}
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// readState returns a snapshot of the shared state (for tests and tools).
func readState() (*fakeState, error) {
	var snap *fakeState
	err := withState(func(st *fakeState) error { snap = st; return nil })
	return snap, err
}

// bump increments and returns a counter.
func bump(name string) (int, error) {
	var n int
	err := withState(func(st *fakeState) error {
		st.Counters[name]++
		n = st.Counters[name]
		return nil
	})
	return n, err
}

// logCall appends one entry to the call log. Failures to log are reported on stderr, not returned: the log
// is for tests, and the engine's operation must not fail because of it.
func logCall(e callEntry) {
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	dir := stateDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "fakeprovider: call log:", err)
		return
	}
	line, _ := json.Marshal(e)
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err == nil {
		defer lock.Close()
		_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
		defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	}
	f, err := os.OpenFile(filepath.Join(dir, callsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeprovider: call log:", err)
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}

// readCalls parses the call log.
func readCalls() ([]callEntry, error) {
	data, err := os.ReadFile(filepath.Join(stateDir(), callsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []callEntry
	for _, line := range splitLines(data) {
		var e callEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			if i > start {
				out = append(out, b[start:i])
			}
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}
