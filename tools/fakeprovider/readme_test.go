package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTable keeps README.md's replacement table equal to awsTypes; UPDATE_README=1 rewrites it.
func TestReadmeTable(t *testing.T) {
	const start, end = "<!-- replacement-table:start -->\n", "<!-- replacement-table:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no replacement-table markers")
	}
	want := readme[:i+len(start)] + replacementTableMarkdown() + readme[j:]
	if readme == want {
		return
	}
	if os.Getenv("UPDATE_README") != "" {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error("README.md's replacement table is out of date: run UPDATE_README=1 go test -run TestReadmeTable .")
}
