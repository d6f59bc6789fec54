// Package doctor checks a deployed stack of task-management-api: the post-deploy checklist
// and troubleshooting section of the old ECS Fargate guide as one command.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Exit codes.
const (
	ExitHealthy   = 0
	ExitUnhealthy = 1
	ExitUsage     = 2 // bad flags, unusable outputs, no AWS configuration
)

// EndpointEnv names the environment variable that, like the hidden --endpoint-url flag,
// sends every AWS client to one base endpoint (tests, local emulators).
const EndpointEnv = "DOCTOR_AWS_ENDPOINT_URL"

// Env is what Main needs from the outside world; the zero value means the real one.
type Env struct {
	Stdout, Stderr io.Writer
	// Credentials replace the default AWS credential chain (tests use static fake keys).
	Credentials aws.CredentialsProvider
	// MaxAttempts per AWS call, retries included (default 3).
	MaxAttempts int
	// Now is the clock used for "3m ago" in the report (default time.Now).
	Now func() time.Time
	// HTTPClient performs the endpoint GET (default: bounded timeouts, proxy from env).
	HTTPClient *http.Client
}

// Options are the parsed flags.
type Options struct {
	Stack       string
	OutputsFile string
	JSON        bool
	Wait        time.Duration
	Interval    time.Duration
	Timeout     time.Duration
	HTTPTimeout time.Duration
	LogLines    int
	EndpointURL string
}

var hiddenFlags = map[string]bool{"endpoint-url": true}

func newFlagSet(o *Options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Stack, "stack", "", "Pulumi `stack` to check (reads pulumi stack output --json --stack <stack>)")
	fs.StringVar(&o.OutputsFile, "outputs", "", "read the stack outputs from this JSON `file` instead of calling pulumi (CI)")
	fs.BoolVar(&o.JSON, "json", false, "print a machine-readable JSON report on stdout (progress still goes to stderr)")
	fs.DurationVar(&o.Wait, "wait", 0, "poll until every check passes or this `duration` has passed (e.g. 5m); 0 checks once")
	fs.DurationVar(&o.Interval, "interval", 15*time.Second, "pause between polls with --wait")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Second, "timeout of each AWS call (and of the pulumi CLI call, times 4)")
	fs.DurationVar(&o.HTTPTimeout, "http-timeout", 10*time.Second, "bound for GET url+healthCheckPath, redirects included")
	fs.IntVar(&o.LogLines, "log-lines", 20, "log lines to show per stream when a check fails")
	fs.StringVar(&o.EndpointURL, "endpoint-url", os.Getenv(EndpointEnv), "testing only: base endpoint for every AWS client")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: doctor --stack <stack> [flags]
       doctor --outputs outputs.json [flags]

Checks a deployed stack: region consistency, the ECS service and its rollout, recently
stopped tasks, ALB target health and GET url+healthCheckPath; prints the last log lines on
failure. Exit status: 0 all checks pass, 1 a check failed, 2 usage or unusable outputs.

Flags:
`)
		fs.VisitAll(func(f *flag.Flag) {
			if hiddenFlags[f.Name] {
				return
			}
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(stderr, "%s\n    \t%s\n", line, usage)
		})
	}
	return fs
}

// Main runs the doctor with command-line args and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	var o Options
	fs := newFlagSet(&o, env.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitHealthy
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "doctor: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return ExitUsage
	}
	if o.Stack == "" && o.OutputsFile == "" {
		fmt.Fprintln(env.Stderr, "doctor: pass --stack <name> or --outputs file.json")
		fs.Usage()
		return ExitUsage
	}
	if o.Wait < 0 || o.Interval <= 0 || o.Timeout <= 0 || o.HTTPTimeout <= 0 || o.LogLines < 0 {
		fmt.Fprintln(env.Stderr, "doctor: --wait must be >= 0; --interval, --timeout and --http-timeout > 0; --log-lines >= 0")
		return ExitUsage
	}
	rep, code := Run(ctx, o, env)
	if rep == nil {
		return code
	}
	if o.JSON {
		if err := rep.WriteJSON(env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "doctor: %v\n", err)
		}
	} else {
		rep.WriteText(env.Stdout)
	}
	return code
}

// usageError prints a fatal error (and, with --json, a JSON object saying so) and returns ExitUsage.
func usageError(o Options, env Env, err error) (*Report, int) {
	fmt.Fprintf(env.Stderr, "doctor: %v\n", err)
	if o.JSON {
		v := map[string]any{"ok": false, "error": err.Error()}
		var oe *OutputsError
		if errors.As(err, &oe) {
			v["outputsSource"], v["problems"] = oe.Source, oe.Problems
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	return nil, ExitUsage
}

// Run loads the outputs, runs the checks (polling with --wait) and returns the report and
// exit code. A nil report means a usage error already printed.
func Run(ctx context.Context, o Options, env Env) (*Report, int) {
	start := time.Now()
	outs, source, err := LoadOutputs(ctx, o.Stack, o.OutputsFile, 4*o.Timeout)
	if err != nil {
		return usageError(o, env, err)
	}
	clients, err := NewClients(ctx, ClientOptions{
		Region:      outs.Region,
		EndpointURL: o.EndpointURL,
		Credentials: env.Credentials,
		MaxAttempts: env.MaxAttempts,
		CallTimeout: o.Timeout,
	})
	if err != nil {
		return usageError(o, env, err)
	}
	hc := env.HTTPClient
	if hc == nil {
		hc = boundedHTTPClient(o.HTTPTimeout)
	}
	g := &gatherer{clients: clients, timeout: o.Timeout, httpTimeout: o.HTTPTimeout, httpClient: hc}

	name := o.Stack
	if name == "" {
		name = source
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(env.Stderr, "doctor: "+format+"\n", args...)
	}

	pollCtx := ctx
	var deadline time.Time
	if o.Wait > 0 {
		deadline = start.Add(o.Wait)
		var cancel context.CancelFunc
		pollCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
		progress("checking %s in %s until healthy, at most %s (every %s)", name, outs.Region, o.Wait, o.Interval)
	} else {
		progress("checking %s in %s", name, outs.Region)
	}

	var rep *Report
	var snap *Snapshot
	for attempt := 1; ; attempt++ {
		s := g.gather(pollCtx, outs, env.Now())
		if rep != nil && pollCtx.Err() != nil {
			// The deadline cut this pass short: keep the last complete one.
			rep.GaveUp = fmt.Sprintf("Gave up: --wait %s deadline reached after %d attempt(s); showing the last complete check.", o.Wait, rep.Attempts)
			break
		}
		snap = s
		rep = &Report{Stack: o.Stack, Source: source, Region: outs.Region, Checks: Evaluate(s), Attempts: attempt}
		rep.finish()
		if rep.OK || o.Wait == 0 {
			break
		}
		if c, ok := firstTerminal(rep); ok {
			rep.GaveUp = fmt.Sprintf("Stopped waiting: the %s check failed in a way that waiting will not fix.", c.Name)
			break
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			rep.GaveUp = fmt.Sprintf("Gave up: --wait %s deadline reached after %d attempt(s).", o.Wait, attempt)
			break
		}
		pause := min(o.Interval, remaining)
		progress("[%s/%s] attempt %d: not healthy yet: %s; next check in %s",
			fmtDur(time.Since(start)), fmtDur(o.Wait), attempt, pendingSummary(rep), pause.Round(time.Millisecond))
		select {
		case <-pollCtx.Done():
		case <-time.After(pause):
		}
		if ctx.Err() != nil {
			break
		}
	}

	if ctx.Err() != nil {
		rep.GaveUp = "Interrupted: the results are incomplete."
	} else if !rep.OK && o.LogLines > 0 {
		// The log excerpt may take one more call timeout past the --wait deadline.
		rep.Logs = g.fetchLogs(ctx, snap, o.LogLines)
	}
	rep.Elapsed = time.Since(start).Round(time.Millisecond).Seconds()
	if rep.OK {
		return rep, ExitHealthy
	}
	return rep, ExitUnhealthy
}

func firstTerminal(r *Report) (Check, bool) {
	for _, c := range r.Checks {
		if c.Status == Fail && c.Terminal {
			return c, true
		}
	}
	return Check{}, false
}

func pendingSummary(r *Report) string {
	var parts []string
	for _, c := range r.Failed() {
		parts = append(parts, c.Name+": "+abbreviate(c.Summary, 90))
	}
	return strings.Join(parts, "; ")
}

func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
