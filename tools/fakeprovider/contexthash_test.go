package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

// TestHashContextFormat recomputes pulumi-docker's accumulator by hand: for each file (the Dockerfile first,
// as "Dockerfile" with mode 0), the slash path, fs.FileMode.String(), sha256(content), a zero byte.
func TestHashContextFormat(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\n", 0o644)
	writeFile(t, filepath.Join(dir, "src", "app.py"), "print(1)\n", 0o755)
	got, err := hashContext(dir, filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	var acc []byte
	for _, f := range []struct{ name, mode, content string }{
		{"Dockerfile", "----------", "FROM scratch\n"},
		{"Dockerfile", "-rw-r--r--", "FROM scratch\n"},
		{"src/app.py", "-rwxr-xr-x", "print(1)\n"},
	} {
		acc = append(acc, f.name+f.mode...)
		acc = append(acc, sum(f.content)...)
		acc = append(acc, 0)
	}
	want := sha256.Sum256(acc)
	if got != hex.EncodeToString(want[:]) {
		t.Fatalf("hash = %s, want %s", got, hex.EncodeToString(want[:]))
	}
}

func TestHashContextChanges(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	writeFile(t, df, "FROM scratch\nCOPY . /\n", 0o644)
	writeFile(t, filepath.Join(dir, "app.py"), "v1\n", 0o644)
	writeFile(t, filepath.Join(dir, ".dockerignore"), "*.log\n", 0o644)
	hash := func() string {
		h, err := hashContext(dir, df)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h1 := hash()

	// Files excluded by .dockerignore do not count.
	writeFile(t, filepath.Join(dir, "debug.log"), "noise", 0o644)
	if hash() != h1 {
		t.Error("an ignored file changed the hash")
	}
	// The full permission bits count: a checkout under another umask (0600 vs 0644) is a new context.
	if err := os.Chmod(filepath.Join(dir, "app.py"), 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := hash()
	if h2 == h1 {
		t.Error("a mode change did not change the hash")
	}
	if err := os.Chmod(filepath.Join(dir, "app.py"), 0o644); err != nil {
		t.Fatal(err)
	}
	if hash() != h1 {
		t.Error("restoring the mode did not restore the hash")
	}
	// Content: a change, then a revert to the older content, gives the older hash back (which still differs
	// from what was last deployed, so pulumi-docker rebuilds).
	writeFile(t, filepath.Join(dir, "app.py"), "v2\n", 0o644)
	if hash() == h1 {
		t.Error("a content change did not change the hash")
	}
	writeFile(t, filepath.Join(dir, "app.py"), "v1\n", 0o644)
	if hash() != h1 {
		t.Error("reverting the content did not restore the hash")
	}
	// <Dockerfile>.dockerignore takes precedence over <context>/.dockerignore.
	writeFile(t, df+".dockerignore", "app.py\n", 0o644)
	writeFile(t, filepath.Join(dir, "app.py"), "v3\n", 0o644)
	h3 := hash()
	writeFile(t, filepath.Join(dir, "app.py"), "v4\n", 0o644)
	if hash() != h3 {
		t.Error("Dockerfile.dockerignore was not used")
	}
}
