package doctor

// The doctor against a real AWS emulator: moto's server (moto[server], from the app's locked test
// virtualenv) seeded with a deployed stack by testdata/moto_seed.py (boto3). It checks the happy path
// end to end on an independent implementation of the ECS, ELBv2, CloudWatch Logs and ECR APIs, and
// that the doctor only reads. The fakes in fake_test.go stay for the failures moto cannot produce
// (stopped tasks with exit codes, unhealthy targets with reasons, rollouts that fail, timeouts).

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// VenvEnv names the variable that points the moto tests at the app's test virtualenv; the Makefile
// sets it (make doctor-moto, part of make test).
const VenvEnv = "TASKAPI_VENV"

type motoServer struct {
	endpoint  string
	recording string
}

func startMoto(t *testing.T) *motoServer {
	t.Helper()
	venv := os.Getenv(VenvEnv)
	if venv == "" {
		t.Skipf("%s is not set: this test runs moto_server from the app's test virtualenv; run `make doctor-moto` (part of `make test`)", VenvEnv)
	}
	bin := filepath.Join(venv, "bin", "moto_server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s=%s has no moto_server (%v): the virtualenv is not app/requirements-dev.lock", VenvEnv, venv, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	m := &motoServer{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), recording: filepath.Join(dir, "recording.jsonl")}
	logFile, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(),
		// moto starts services with no running task unless told; the stack is deployed and steady.
		"MOTO_ECS_SERVICE_RUNNING=2",
		"MOTO_RECORDER_FILEPATH="+m.recording,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if out, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("--- moto_server log\n%s", out)
			}
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(m.endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 60s: %v", m.endpoint, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// seed creates the stack's resources in moto and returns the stack outputs they make.
func (m *motoServer) seed(t *testing.T) obj {
	t.Helper()
	python := filepath.Join(os.Getenv(VenvEnv), "bin", "python")
	cmd := exec.Command(python, filepath.Join("testdata", "moto_seed.py"), m.endpoint)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("seeding moto: %v\n%s", err, stderr)
	}
	var outputs obj
	if err := json.Unmarshal(out, &outputs); err != nil {
		t.Fatalf("seed printed no outputs JSON: %v\n%s", err, out)
	}
	return outputs
}

func (m *motoServer) recorder(t *testing.T, action string) {
	t.Helper()
	resp, err := http.Post(m.endpoint+"/moto-api/recorder/"+action, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto recorder %s: %s", action, resp.Status)
	}
}

// calls lists the API operations moto recorded, as "service:Operation".
func (m *motoServer) calls(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(m.recording)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e struct {
			Headers     map[string]string `json:"headers"`
			Body        string            `json:"body"`
			BodyEncoded bool              `json:"body_encoded"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("recording: %v", err)
		}
		service := "?"
		if auth := e.Headers["Authorization"]; auth != "" {
			// Credential=AKID/20251126/us-east-1/ecs/aws4_request
			if parts := strings.Split(auth, "/"); len(parts) >= 4 {
				service = parts[3]
			}
		}
		if target := e.Headers["X-Amz-Target"]; target != "" { // JSON protocols: ECS, Logs
			calls = append(calls, service+":"+target[strings.LastIndex(target, ".")+1:])
			continue
		}
		body := e.Body
		if e.BodyEncoded {
			raw, _ := base64.StdEncoding.DecodeString(body)
			body = string(raw)
		}
		form, _ := url.ParseQuery(body) // query protocol: ELBv2
		calls = append(calls, service+":"+form.Get("Action"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return calls
}

func TestDoctorAgainstMoto(t *testing.T) {
	m := startMoto(t)
	outputs := m.seed(t)
	m.recorder(t, "reset-recording")
	m.recorder(t, "start-recording")

	res := runDoctor(t, healthyScenario(), runOpts{outputs: outputs, awsEndpoint: m.endpoint})

	wantExit(t, res, ExitHealthy)
	tg := strings.Split(outputs["targetGroupArn"].(string), "/")[1]
	wantContains(t, "stdout", res.stdout,
		"HEALTHY: 5/5 checks passed",
		"image registry, cluster and stack agree on us-east-1",
		"ACTIVE, 2/2 tasks running, rollout COMPLETED",
		"2 healthy (2 desired) in "+tg,
		"GET "+outputs["url"].(string)+fxHealth+" → 200",
	)

	calls := m.calls(t)
	seen := map[string]int{}
	for _, c := range calls {
		seen[c]++
		op := c[strings.Index(c, ":")+1:]
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Get") {
			t.Errorf("the doctor changed something: %s", c)
		}
	}
	for _, want := range []string{
		"ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListTasks",
		"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
	} {
		if seen[want] != 1 {
			t.Errorf("%s called %d times, want 1 (all calls: %v)", want, seen[want], calls)
		}
	}
}

func TestDoctorAgainstMotoShowsLogsWhenTheEndpointFails(t *testing.T) {
	m := startMoto(t)
	outputs := m.seed(t)
	sc := healthyScenario()
	sc.app = func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"detail": "Internal server error."}`, http.StatusInternalServerError)
	}
	m.recorder(t, "reset-recording")
	m.recorder(t, "start-recording")

	res := runDoctor(t, sc, runOpts{outputs: outputs, awsEndpoint: m.endpoint})

	wantExit(t, res, ExitUnhealthy)
	wantContains(t, "stdout", res.stdout, "FAIL  endpoint", "→ 500")
	seen := map[string]bool{}
	for _, c := range m.calls(t) {
		seen[c] = true
		op := c[strings.Index(c, ":")+1:]
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Get") {
			t.Errorf("the doctor changed something: %s", c)
		}
	}
	if !seen["logs:DescribeLogStreams"] {
		t.Errorf("no DescribeLogStreams against moto's log group after a failed check")
	}
}
