package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Status of one check.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn" // worth reading, but does not fail the run
	Fail Status = "fail"
	Skip Status = "skip" // could not be evaluated because an earlier call failed; counts as a failure
)

// Check is the result of one check: what was looked at (Evidence) and, when it did not
// pass, the likely Cause and the Fix.
type Check struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Status   Status   `json:"status"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
	Cause    string   `json:"cause,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	// Class names the failure class when one was recognised (e.g. "image-pull-forbidden").
	Class string `json:"class,omitempty"`
	// Terminal failures will not heal by waiting (--wait stops early on them).
	Terminal bool `json:"terminal,omitempty"`
}

// LogStream holds the last lines of one CloudWatch Logs stream.
type LogStream struct {
	Stream string   `json:"stream"`
	Why    string   `json:"why"`
	Lines  []string `json:"lines"`
	// Missing: the stream does not exist (the container never started).
	Missing bool `json:"missing,omitempty"`
}

// Logs is the log excerpt attached to a failing report.
type Logs struct {
	Group   string      `json:"group"`
	Streams []LogStream `json:"streams,omitempty"`
	Error   string      `json:"error,omitempty"`
	Hint    string      `json:"hint,omitempty"`
}

// Report is the doctor's verdict for one stack.
type Report struct {
	Stack    string  `json:"stack,omitempty"`
	Source   string  `json:"outputsSource"`
	Region   string  `json:"region"`
	OK       bool    `json:"ok"`
	Checks   []Check `json:"checks"`
	Logs     *Logs   `json:"logs,omitempty"`
	Attempts int     `json:"attempts"`
	// Elapsed is wall time in seconds for all attempts.
	Elapsed float64 `json:"elapsedSeconds"`
	// Gave up describes why --wait stopped before everything passed.
	GaveUp string `json:"gaveUp,omitempty"`
}

func (r *Report) finish() {
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		if c.Status == Fail || c.Status == Skip {
			r.OK = false
		}
	}
}

// Failed returns the checks that did not pass.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail || c.Status == Skip {
			out = append(out, c)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

var statusLabel = map[Status]string{Pass: "PASS", Warn: "WARN", Fail: "FAIL", Skip: "SKIP"}

// WriteText writes the human-readable report.
func (r *Report) WriteText(w io.Writer) {
	name := r.Stack
	if name == "" {
		name = "(from " + r.Source + ")"
	}
	fmt.Fprintf(w, "Deployment doctor: stack %s, region %s\n\n", name, r.Region)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%s  %-8s %s\n", statusLabel[c.Status], c.Name, c.Summary)
		for _, e := range c.Evidence {
			writeIndented(w, "      ", "", e)
		}
		if c.Cause != "" {
			writeIndented(w, "      ", "cause: ", c.Cause)
		}
		if c.Fix != "" {
			writeIndented(w, "      ", "fix:   ", c.Fix)
		}
	}
	if r.Logs != nil {
		fmt.Fprintf(w, "\nLast log lines from %s:\n", r.Logs.Group)
		if r.Logs.Error != "" {
			writeIndented(w, "  ", "", r.Logs.Error)
			if r.Logs.Hint != "" {
				writeIndented(w, "  ", "hint: ", r.Logs.Hint)
			}
		}
		if r.Logs.Error == "" && len(r.Logs.Streams) == 0 {
			fmt.Fprintln(w, "  (no log streams yet: the container never started or never wrote to stdout)")
		}
		for _, s := range r.Logs.Streams {
			fmt.Fprintf(w, "  == %s (%s)\n", s.Stream, s.Why)
			if len(s.Lines) == 0 && !s.Missing {
				fmt.Fprintln(w, "     (empty)")
			}
			for _, l := range s.Lines {
				fmt.Fprintf(w, "     %s\n", l)
			}
		}
	}
	fmt.Fprintln(w)
	passed, warned := 0, 0
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			passed++
		case Warn:
			warned++
		}
	}
	verdict := "HEALTHY"
	if !r.OK {
		verdict = "UNHEALTHY"
	}
	extra := ""
	if warned > 0 {
		extra = fmt.Sprintf(", %d warning(s)", warned)
	}
	fmt.Fprintf(w, "%s: %d/%d checks passed%s", verdict, passed+warned, len(r.Checks), extra)
	if r.Attempts > 1 {
		fmt.Fprintf(w, " after %d attempts", r.Attempts)
	}
	fmt.Fprintln(w)
	if r.GaveUp != "" {
		fmt.Fprintf(w, "%s\n", r.GaveUp)
	}
}

func writeIndented(w io.Writer, indent, label, text string) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	pad := strings.Repeat(" ", len(label))
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(w, "%s%s%s\n", indent, label, l)
		} else {
			fmt.Fprintf(w, "%s%s%s\n", indent, pad, l)
		}
	}
}

func fmtTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}
