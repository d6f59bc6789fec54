package main

import (
	"fmt"
	"sort"
	"strings"
)

// replacementTableMarkdown renders awsTypes as the README's replacement table.
func replacementTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| Pulumi type | Terraform resource | Properties that force replacement | Delete before replace | Source | Notes |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	tokens := make([]string, 0, len(awsTypes))
	for t := range awsTypes {
		tokens = append(tokens, t)
	}
	sort.Strings(tokens)
	for _, t := range tokens {
		s := awsTypes[t]
		replace := "`" + strings.Join(s.Replace, "`, `") + "`"
		switch {
		case s.ReplaceAllExcept != nil:
			replace = "every input except `" + strings.Join(s.ReplaceAllExcept, "`, `") + "`"
		case len(s.Replace) == 0:
			replace = "none"
		}
		dbr := ""
		if s.DeleteBeforeReplace {
			dbr = "yes"
		} else if s.AutoName != nil {
			dbr = "when `" + s.AutoName.Prop + "` is set by the program"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s |\n", t, s.TF, replace, dbr, s.Source, s.Note)
	}
	return b.String()
}
