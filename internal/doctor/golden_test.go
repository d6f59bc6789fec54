package doctor

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// go test ./internal/doctor -run TestGolden -update rewrites testdata/*.golden; the README's
// Troubleshooting section quotes testdata/healthy.golden and testdata/failing-allowed-hosts.golden.
var update = flag.Bool("update", false, "rewrite the golden files")

var latencyRe = regexp.MustCompile(`(→ \d{3} in|failed after) [0-9.]+(µs|ms|s)`)

func TestGolden(t *testing.T) {
	region, regionOutputs := region403Scenario()
	cases := []struct {
		name string
		sc   *scenario
		ro   runOpts
		code int
	}{
		{"healthy", healthyScenario(), runOpts{}, ExitHealthy},
		{"failing-allowed-hosts", allowedHostsScenario(), runOpts{}, ExitUnhealthy},
		{"failing-region-403", region, runOpts{outputs: regionOutputs}, ExitUnhealthy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.ro.args = append(tc.ro.args, "--stack", "dev")
			res := runDoctor(t, tc.sc, tc.ro)
			wantExit(t, res, tc.code)
			// Only the measured latency varies between runs.
			got := latencyRe.ReplaceAllString(res.stdout, "$1 3ms")
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (rerun with -update if intended):\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

// TestREADMEShowsTheGoldenOutput keeps the README's Troubleshooting examples equal to what the doctor
// prints for the same fixtures.
func TestREADMEShowsTheGoldenOutput(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"healthy", "failing-allowed-hosts"} {
		golden, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```text\n"+string(golden)+"```") {
			t.Errorf("README.md does not show testdata/%s.golden verbatim; paste it again", name)
		}
	}
}
