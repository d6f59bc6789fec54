package doctor

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `make up` must not report success for a deployment ECS rolled back. The AWS provider's wait for a
// steady state is satisfied once the circuit breaker's rollback settles, so `pulumi up` exits 0; the
// Makefile then runs the doctor, which sees the service's primary deployment on the previous task
// definition. A fake `pulumi` stands in for the CLI (its `up` succeeds, as the real one does after a
// rollback) and the fake AWS describes the service.
func TestMakeUpVerifiesTheRollout(t *testing.T) {
	rolledBack := healthyScenario()
	s := svc(2, 2, "COMPLETED", event(3, "(service "+fxService+") rolling back to deployment "+fxOldDep+"."))
	s["deployments"].([]any)[0].(obj)["taskDefinition"] = fxOldTD
	rolledBack.service = constService(s)

	t.Run("rolled back", func(t *testing.T) {
		out, err := makeUp(t, rolledBack)
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("make up: %v; want it to fail because ECS rolled the deployment back", err)
		}
		wantContains(t, "make up output", out,
			"Verifying the rollout of stack dev",
			"service runs taskapi-dev-app:6, stack exported taskapi-dev-app:7",
			"the circuit breaker rolled back")
	})
	t.Run("healthy", func(t *testing.T) {
		out, err := makeUp(t, healthyScenario())
		if err != nil {
			t.Fatalf("make up of a healthy rollout: %v", err)
		}
		wantContains(t, "make up output", out, "Verifying the rollout of stack dev", "HEALTHY: 5/5 checks passed")
	})
}

// makeUp runs `make up STACK=dev` from the repository root with a fake `pulumi` (every command
// succeeds, `stack output` prints the outputs) against the fake AWS describing sc.
func makeUp(t *testing.T, sc *scenario) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed")
	}
	isolateAWSEnv(t)
	awsSrv := httptest.NewServer(&fakeAWS{t: t, sc: sc, scopes: map[string]string{}})
	t.Cleanup(awsSrv.Close)
	appSrv := httptest.NewServer(http.HandlerFunc(healthyApp))
	t.Cleanup(appSrv.Close)

	outputs, err := json.Marshal(defaultOutputs(appSrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "pulumi.log")
	fake := filepath.Join(dir, "pulumi")
	script := "#!/bin/sh\n" +
		"echo \"$*\" >> '" + log + "'\n" +
		"case \"$*\" in\n" +
		"*\"stack output --json\"*) cat '" + filepath.Join(dir, "outputs.json") + "' ;;\n" +
		"*\"config get aws:region\"*) echo us-east-1 ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(dir, "outputs.json"), outputs, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "--no-print-directory", "up", "STACK=dev", "PULUMI="+fake, "VERIFY_WAIT=20s")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		EndpointEnv+"="+awsSrv.URL,
		"PULUMI_BACKEND_URL=file://"+dir,
		"AWS_ACCESS_KEY_ID=AKIDDOCTORTEST", "AWS_SECRET_ACCESS_KEY=fake-secret-key",
		"SKIP_AWS_CHECK=1", // the preflight would ask STS, which these keys cannot pass
	)
	out, err := cmd.CombinedOutput()
	calls, _ := os.ReadFile(log)
	if !strings.Contains(string(calls), "up --stack dev") {
		t.Fatalf("the fake pulumi up never ran:\n%s", out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("make up:\n%s\npulumi calls:\n%s", out, calls)
		}
	})
	return string(out), err
}
