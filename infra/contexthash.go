package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ContextHash is a content hash of what `docker build` would send for contextDir: every file not excluded
// by .dockerignore (path, mode and content, in a fixed order) plus the Dockerfile. Used as the image tag,
// it changes exactly when the image would, so an unchanged app is neither rebuilt nor re-tagged.
// Of the mode it keeps the file type and the executable bit, the parts git preserves: a checkout under
// another umask must not look like a new image.
func ContextHash(contextDir, dockerfile string) (string, error) {
	patterns, err := readDockerignore(contextDir)
	if err != nil {
		return "", err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return "", fmt.Errorf("%s/.dockerignore: %w", contextDir, err)
	}

	h := sha256.New()
	add := func(name, path string, mode fs.FileMode) error {
		fmt.Fprintf(h, "%s\x00%s\x00", name, normalMode(mode))
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			_, _ = io.WriteString(h, target)
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	}

	// The Dockerfile is always part of the build, even when .dockerignore excludes it.
	info, err := os.Lstat(dockerfile)
	if err != nil {
		return "", fmt.Errorf("dockerfile: %w", err)
	}
	if err := add("Dockerfile", dockerfile, info.Mode()); err != nil {
		return "", err
	}

	err = filepath.WalkDir(contextDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextDir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if excluded {
			// A "!" pattern may re-include something below an excluded directory.
			if d.IsDir() && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			fmt.Fprintf(h, "%s/\x00", rel)
			return nil
		}
		return add(rel, path, info.Mode())
	})
	if err != nil {
		return "", fmt.Errorf("hashing build context %s: %w", contextDir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readDockerignore(contextDir string) ([]string, error) {
	f, err := os.Open(filepath.Join(contextDir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

func normalMode(mode fs.FileMode) string {
	kind := "file"
	switch {
	case mode&fs.ModeSymlink != 0:
		kind = "symlink"
	case !mode.IsRegular():
		kind = "other"
	}
	if mode&0o111 != 0 {
		return kind + "+x"
	}
	return kind
}
