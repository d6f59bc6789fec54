package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// docker:index/image:Image as pulumi-docker v4.10.0 implements it natively (provider/provider.go and
// provider/image.go of pulumi/pulumi-docker; read through the search tool's stored copies):
//
//   - Check fills build.dockerfile/context defaults, hashes the build context into build.contextDigest
//     (every file not excluded by <Dockerfile>.dockerignore or <context>/.dockerignore: path, full
//     fs.FileMode string such as "-rw-r--r--", sha256 of the content; the Dockerfile first under the name
//     "Dockerfile" with mode 0), defaults build.platform to the host's linux/<GOARCH> (with an info message),
//     and requires a fully qualified image name when pushing.
//   - Diff compares the old inputs (kept in state under __inputs, as a secret) with the new ones; any
//     change is an update (never a replacement), except changes to registry.username/password only.
//   - Create/Update build and push; during preview nothing is built unless buildOnPreview, and the
//     outputs (repoDigest) stay unknown.
//
// The fake "build" is not reproducible, like a real `docker build`: the digest mixes the context digest with
// a build counter from the shared state, so every rebuild gives a new digest. The push goes to the fake ECR.

const dockerImageType = "docker:index/image:Image"

// plainOpts unmarshal like the real provider's Check/Diff: secrets become plain values.
var plainOpts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

type dockerBuildSpec struct {
	Context, Dockerfile, Platform, Target string
	Args                                  map[string]string
}

func marshalBuildAndApplyDefaults(b resource.PropertyValue) dockerBuildSpec {
	var build dockerBuildSpec
	b = plain(b)
	if !b.IsObject() {
		build.Context = "."
		build.Dockerfile = "Dockerfile"
		return build
	}
	o := b.ObjectValue()
	build.Context = strOr(o, "context", ".")
	if !has(o, "context") {
		build.Context = "."
	}
	if d, ok := str(o, "dockerfile"); ok {
		build.Dockerfile = d
	} else {
		build.Dockerfile = path.Join(build.Context, "Dockerfile")
	}
	build.Platform = strOr(o, "platform", "")
	build.Target = strOr(o, "target", "")
	if args := obj(o, "args"); args != nil {
		build.Args = map[string]string{}
		for k, v := range args {
			if pv := plain(v); pv.IsString() {
				build.Args[string(k)] = pv.StringValue()
			}
		}
	}
	return build
}

func (s *server) dockerCheck(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	bop := inputs["buildOnPreview"]
	inputs["buildOnPreview"] = resource.NewBoolProperty(!bop.IsNull() && !bop.ContainsUnknowns() && plain(bop).IsBool() && plain(bop).BoolValue())

	build := marshalBuildAndApplyDefaults(inputs["build"])
	knownDockerfile := false
	if b, ok := inputs["build"]; !ok || b.IsNull() {
		inputs["build"] = resource.NewObjectProperty(resource.PropertyMap{
			"dockerfile": resource.NewStringProperty(build.Dockerfile),
			"context":    resource.NewStringProperty(build.Context),
		})
		knownDockerfile = true
	} else if b.IsObject() {
		o := b.ObjectValue()
		if !o["dockerfile"].ContainsUnknowns() {
			o["dockerfile"] = resource.NewStringProperty(build.Dockerfile)
			knownDockerfile = true
		}
		if !o["context"].ContainsUnknowns() {
			o["context"] = resource.NewStringProperty(build.Context)
		}
	}

	if knownDockerfile {
		if _, statErr := os.Stat(build.Dockerfile); statErr != nil {
			if filepath.IsAbs(build.Dockerfile) {
				return nil, fmt.Errorf("expected a relative Dockerfile path; got %q instead: %v", build.Dockerfile, statErr)
			}
			relPath := filepath.Join(build.Context, build.Dockerfile)
			if _, err := os.Stat(relPath); err != nil {
				return nil, fmt.Errorf("could not open dockerfile at relative path %q: %v", build.Dockerfile, statErr)
			}
			return nil, fmt.Errorf("could not open dockerfile at relative path %q. Try setting `dockerfile` to %q", build.Dockerfile, relPath)
		}
		contextDigest, err := hashContext(build.Context, build.Dockerfile)
		if err != nil {
			return nil, err
		}
		inputs["build"].ObjectValue()["contextDigest"] = resource.NewStringProperty(contextDigest)
	}

	hostPlatform := "linux/" + runtime.GOARCH
	msg := fmt.Sprintf("Building your image for %s architecture.\n"+
		"To ensure you are building for the correct platform, consider "+
		"explicitly setting the `platform` field on ImageBuildOptions.", hostPlatform)
	if b := inputs["build"]; b.IsObject() && b.ObjectValue()["platform"].IsNull() {
		b.ObjectValue()["platform"] = resource.NewStringProperty(hostPlatform)
		if s.host != nil {
			_ = s.host.Log(ctx, diag.Info, urn, msg)
		}
	}

	skipPush := boolOr(inputs, "skipPush", false)
	if name, ok := str(inputs, "imageName"); ok && !skipPush && !inputs["imageName"].ContainsUnknowns() {
		server := ""
		if reg := obj(inputs, "registry"); reg != nil && !reg["server"].ContainsUnknowns() {
			server = strOr(reg, "server", "")
		}
		if _, err := registryAddrForAuth(server, name); err != nil {
			return nil, err
		}
	}
	out, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

func (s *server) dockerDiff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldState, err := plugin.UnmarshalProperties(req.GetOlds(), plainOpts)
	if err != nil {
		return nil, err
	}
	oldInputs := oldState
	if in, ok := oldState["__inputs"]; ok {
		oldInputs = plain(in).ObjectValue()
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), plainOpts)
	if err != nil {
		return nil, err
	}
	d := oldInputs.Diff(news)
	if d == nil {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	diff := map[string]*pulumirpc.PropertyDiff{}
	for key := range d.Adds {
		diff[string(key)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_ADD}
	}
	for key := range d.Deletes {
		diff[string(key)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_DELETE}
	}
	for key, valueDiff := range d.Updates {
		diff[string(key)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE}
		if string(key) != "registry" && string(key) != "registryAuth" {
			continue
		}
		// Only registry.server (or provider registryAuth address) changes rebuild; credentials come and go.
		var updates []*resource.ObjectDiff
		if valueDiff.Object != nil {
			updates = append(updates, valueDiff.Object)
		} else if valueDiff.Array != nil {
			for _, u := range valueDiff.Array.Updates {
				updates = append(updates, u.Object)
			}
		}
		keep := false
		for _, u := range updates {
			if u == nil {
				continue
			}
			_, server := u.Updates["server"]
			_, address := u.Updates["address"]
			if server || address || u.Updates == nil {
				keep = true
				break
			}
		}
		if !keep {
			delete(diff, string(key))
		}
	}
	if len(diff) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	keys := map[string]bool{}
	for k := range diff {
		keys[k] = true
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, DetailedDiff: diff, HasDetailedDiff: true,
		Diffs: sortedKeys(keys)}, nil
}

// canPreview: nothing is built during a preview unless buildOnPreview is set and the inputs are known.
func (s *server) canPreview(ctx context.Context, inputs resource.PropertyMap, urn resource.URN) bool {
	bop := inputs["buildOnPreview"]
	if bop.ContainsUnknowns() {
		if s.host != nil {
			_ = s.host.Log(ctx, diag.Warning, urn, "buildOnPreview is unresolved; cannot build on preview. Continuing without preview image build. "+
				"To avoid this warning, set buildOnPreview explicitly, and ensure all inputs are resolved at preview.")
		}
		return false
	}
	if !plain(bop).IsBool() || !plain(bop).BoolValue() {
		return false
	}
	b := inputs["build"]
	if !b.IsObject() || b.ObjectValue()["dockerfile"].ContainsUnknowns() || b.ObjectValue()["context"].ContainsUnknowns() ||
		b.ObjectValue()["args"].ContainsUnknowns() || inputs["imageName"].ContainsUnknowns() {
		if s.host != nil {
			_ = s.host.Log(ctx, diag.Warning, urn, "Minimum inputs for build are unresolved. Continuing without preview image build. "+
				"To avoid this warning, ensure image name, dockerfile, args, and context are resolved at preview.")
		}
		return false
	}
	return true
}

func (s *server) dockerCreate(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() && !s.canPreview(ctx, inputs, urn) {
		logCall(callEntry{Plugin: "docker", Op: "Create", Type: dockerImageType, URN: string(urn), Preview: true})
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	id, outs, err := s.dockerBuild(urn, inputs, req.GetPreview())
	if err != nil {
		return nil, err
	}
	st, err := marshal(checkpointObject(inputs, outs))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: st}, nil
}

func (s *server) dockerUpdate(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() && !s.canPreview(ctx, news, urn) {
		logCall(callEntry{Plugin: "docker", Op: "Update", Type: dockerImageType, URN: string(urn), Preview: true})
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	_, outs, err := s.dockerBuild(urn, news, req.GetPreview())
	if err != nil {
		return nil, err
	}
	st, err := marshal(checkpointObject(news, outs))
	return &pulumirpc.UpdateResponse{Properties: st}, err
}

// checkpointObject stores the inputs (as one secret) next to the outputs, like pulumi-docker.
func checkpointObject(inputs, outputs resource.PropertyMap) resource.PropertyMap {
	object := outputs.Copy()
	object["__inputs"] = resource.MakeSecret(resource.NewObjectProperty(inputs))
	return object
}

// dockerBuild "builds" the image and pushes it to the fake ECR.
func (s *server) dockerBuild(urn resource.URN, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	name, _ := str(inputs, "imageName")
	build := marshalBuildAndApplyDefaults(inputs["build"])
	contextDigest := ""
	if b := obj(inputs, "build"); b != nil {
		contextDigest = strOr(b, "contextDigest", "")
	}
	reg := obj(inputs, "registry")
	server, username, password := strOr(reg, "server", ""), strOr(reg, "username", ""), strOr(reg, "password", "")
	skipPush := boolOr(inputs, "skipPush", false)

	relDockerfile := build.Dockerfile
	if absCtx, err := filepath.Abs(build.Context); err == nil {
		if absDf, err := filepath.Abs(build.Dockerfile); err == nil {
			if rel, err := filepath.Rel(absCtx, absDf); err == nil {
				relDockerfile = rel
			}
		}
	}
	outs := resource.PropertyMap{
		"dockerfile":     resource.NewStringProperty(relDockerfile),
		"context":        resource.NewStringProperty(build.Context),
		"baseImageName":  resource.NewStringProperty(name),
		"registryServer": resource.NewStringProperty(server),
		"imageName":      resource.NewStringProperty(name),
		"platform":       resource.NewStringProperty(build.Platform),
	}

	n := 0
	if !preview {
		var err error
		if n, err = bump("docker-build"); err != nil {
			return "", nil, err
		}
	}
	args, _ := json.Marshal(build.Args)
	imageID := "sha256:" + digest(64, "image", contextDigest, build.Platform, string(args), build.Target, fmt.Sprint(n))
	logCall(callEntry{Plugin: "docker", Op: "Build", Type: dockerImageType, URN: string(urn), Name: name, Preview: preview,
		Detail: "contextDigest=" + contextDigest + " image=" + imageID})
	if preview {
		return name, outs, nil
	}
	if skipPush {
		outs["repoDigest"] = resource.NewStringProperty(imageID)
		return name, outs, nil
	}

	host, err := registryAddrForAuth(server, name)
	if err != nil {
		return "", nil, err
	}
	repo, tag := splitImageName(name)
	repoPath := strings.TrimPrefix(repo, host+"/")
	manifest := "sha256:" + digest(64, "manifest", imageID)
	entry := callEntry{Plugin: "docker", Op: "Push", Type: dockerImageType, URN: string(urn), Name: name, Detail: manifest}
	if err := ecrPush(host, repoPath, tag, manifest, username, password); err != nil {
		entry.Error = err.Error()
		logCall(entry)
		return "", nil, err
	}
	logCall(entry)
	outs["repoDigest"] = resource.NewStringProperty(repo + "@" + manifest)
	return name, outs, nil
}

// splitImageName splits "host/path:tag" into "host/path" and "tag" (default "latest").
func splitImageName(name string) (string, string) {
	if at := strings.Index(name, "@"); at >= 0 {
		name = name[:at]
	}
	if colon := strings.LastIndex(name, ":"); colon > strings.LastIndex(name, "/") {
		return name[:colon], name[colon+1:]
	}
	return name, "latest"
}

// registryAddrForAuth mirrors pulumi-docker's getRegistryAddrForAuth: the registry server's hostname, or the
// image name's domain, which must be present (fully qualified image names only).
func registryAddrForAuth(server, image string) (string, error) {
	if server != "" {
		h := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
		if i := strings.Index(h, "/"); i >= 0 {
			h = h[:i]
		}
		if h == "index.docker.io" || h == "docker.io" || h == "registry-1.docker.io" {
			return "https://index.docker.io/v1/", nil
		}
		return h, nil
	}
	first, _, found := strings.Cut(image, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") || image != strings.ToLower(image[:len(first)])+image[len(first):] {
		return "", fmt.Errorf("error: repository name must be canonical. This provider requires all image names to be fully qualified.\n" +
			"For example, if you are attempting to push to Dockerhub, prefix your image name with `docker.io`:\n\n" +
			"`docker.io/repository/image:tag`")
	}
	return first, nil
}

// --- build context hash (pulumi-docker provider/provider.go hashContext) ---

func hashContext(contextPath, dockerfilePath string) (string, error) {
	patterns, err := ignorePatterns(dockerfilePath, contextPath)
	if err != nil {
		return "", err
	}
	var acc bytes.Buffer
	// The Dockerfile is always hashed first as "Dockerfile" with mode 0, whatever its name and place.
	if err := hashPath(&acc, dockerfilePath, "Dockerfile", 0); err != nil {
		return "", fmt.Errorf("error hashing dockerfile %q: %w", dockerfilePath, err)
	}
	var pm *patternmatcher.PatternMatcher
	if len(patterns) > 0 {
		if pm, err = patternmatcher.New(patterns); err != nil {
			return "", err
		}
	}
	err = filepath.WalkDir(contextPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextPath, p)
		if err != nil || rel == "." {
			return err
		}
		if pm != nil {
			excluded, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
			if err != nil {
				return err
			}
			if excluded {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := hashPath(&acc, filepath.Join(contextPath, rel), rel, info.Mode()); err != nil {
			return fmt.Errorf("error while hashing %q: %w", rel, err)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("unable to hash build context: %w", err)
	}
	h := sha256.Sum256(acc.Bytes())
	return hex.EncodeToString(h[:]), nil
}

func hashPath(acc *bytes.Buffer, filePath, relName string, mode fs.FileMode) error {
	h := sha256.New()
	if mode.Type() == fs.ModeSymlink {
		target, err := filepath.EvalSymlinks(filePath)
		if err != nil {
			return fmt.Errorf("could not evaluate symlink at %s: %w", filePath, err)
		}
		_, _ = io.Copy(h, strings.NewReader(filepath.ToSlash(filepath.Clean(target))))
	} else if mode.IsRegular() {
		f, err := os.Open(filePath)
		if err != nil {
			return fmt.Errorf("could not open file %s: %w", filePath, err)
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return fmt.Errorf("could not copy file %s to hash: %w", filePath, err)
		}
	}
	acc.WriteString(filepath.ToSlash(path.Clean(relName)))
	acc.WriteString(mode.String())
	acc.Write(h.Sum(nil))
	acc.WriteByte(0)
	return nil
}

// ignorePatterns prefers <Dockerfile>.dockerignore, then <context>/.dockerignore.
func ignorePatterns(dockerfilePath, contextRoot string) ([]string, error) {
	for _, p := range []string{dockerfilePath + ".dockerignore", filepath.Join(contextRoot, ".dockerignore")} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", p, err)
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("unable to parse %q: %w", p, err)
		}
		return patterns, nil
	}
	return nil, nil
}
