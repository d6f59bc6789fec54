package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// server is one fake provider plugin process. The engine starts one process per provider resource (the
// explicit aws provider, the docker default provider, ...), so per-process configuration is per provider.
type server struct {
	pulumirpc.UnimplementedResourceProviderServer

	pkg, version string
	host         *provider.HostClient

	mu          sync.Mutex
	region      string // "" while unknown (a preview may configure with unknown values)
	defaultTags map[string]string
	tagsUnknown bool
}

func newServer(pkg, version string, host *provider.HostClient) *server {
	return &server{pkg: pkg, version: version, host: host}
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, _ := json.Marshal(map[string]any{"name": s.pkg, "version": s.version,
		"description": "fake provider for tests (tools/fakeprovider); it has no schema"})
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// --- provider configuration ---

// providerRegion resolves the region like pulumi-aws: the provider's region, else AWS_REGION, else
// AWS_DEFAULT_REGION (the AWS SDK's environment fallback; profiles are not modelled).
func providerRegion(cfg resource.PropertyMap) (region string, known bool) {
	if v, ok := cfg["region"]; ok && !v.IsNull() {
		if isUnknown(v) {
			return "", false
		}
		if s, ok := str(cfg, "region"); ok && s != "" {
			return s, true
		}
	}
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(env); r != "" {
			return r, true
		}
	}
	return "", true
}

// missingRegion is pulumi-aws's message when no region can be found (provider/resources.go preConfigureCallback).
const missingRegion = "Missing region information\nMake sure you have set your AWS region, e.g. `pulumi config set aws:region us-west-2`."

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if s.pkg == "aws" {
		news, err := unmarshal(req.GetNews())
		if err != nil {
			return nil, err
		}
		if region, known := providerRegion(news); known && region == "" {
			return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: []*pulumirpc.CheckFailure{{Property: "region", Reason: missingRegion}}}, nil
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	changed, replace := map[string]bool{}, map[string]bool{}
	for _, k := range unionKeys(olds, news) {
		if k == "version" {
			continue
		}
		if !equalValues(olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)], false) {
			changed[k] = true
			// A provider in another region cannot manage the old resources: replace (and so all its resources).
			if k == "region" {
				replace[k] = true
			}
		}
	}
	return diffResponse(olds, news, changed, replace, false), nil
}

func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg := resource.PropertyMap{}
	if req.GetArgs() != nil {
		var err error
		if cfg, err = unmarshal(req.GetArgs()); err != nil {
			return nil, err
		}
	} else {
		for k, v := range req.GetVariables() {
			key := strings.TrimPrefix(k, s.pkg+":config:")
			var decoded any
			if err := json.Unmarshal([]byte(v), &decoded); err == nil && key != "region" {
				cfg[resource.PropertyKey(key)] = resource.NewPropertyValue(decoded)
			} else {
				cfg[resource.PropertyKey(key)] = resource.NewStringProperty(v)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pkg == "aws" {
		region, known := providerRegion(cfg)
		if known && region == "" {
			return nil, fmt.Errorf("%s", missingRegion)
		}
		s.region = region
		s.defaultTags, s.tagsUnknown = nil, false
		if v, ok := cfg["defaultTags"]; ok && plain(v).IsString() {
			// Provider inputs may arrive JSON-encoded (the engine's convention for non-string config).
			var decoded any
			if json.Unmarshal([]byte(plain(v).StringValue()), &decoded) == nil {
				cfg["defaultTags"] = resource.NewPropertyValue(decoded)
			}
		}
		if dt := obj(cfg, "defaultTags"); dt != nil {
			if v, ok := dt["tags"]; ok && isUnknown(v) {
				s.tagsUnknown = true
			}
			for k, v := range obj(dt, "tags") {
				if s.defaultTags == nil {
					s.defaultTags = map[string]string{}
				}
				if pv := plain(v); pv.IsString() {
					s.defaultTags[string(k)] = pv.StringValue()
				}
			}
		}
	}
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets:   true,
		SupportsPreview: true,
		AcceptResources: true,
		AcceptOutputs:   s.pkg == "awsx",
	}, nil
}

func (s *server) currentRegion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.region
}

// --- resources ---

func typeOf(t, urn string) string {
	if t != "" {
		return t
	}
	return string(resource.URN(urn).Type())
}

func (s *server) spec(typ string) (*typeSpec, error) {
	if spec, ok := awsTypes[typ]; ok && s.pkg == "aws" {
		return spec, nil
	}
	return nil, fmt.Errorf("fake %s provider: no fake for resource type %q; add it to the table in tools/fakeprovider/awstypes.go "+
		"(replacement rules with their source, naming, outputs)", s.pkg, typ)
}

func (s *server) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	if s.pkg == "docker" && typ == dockerImageType {
		return s.dockerCheck(ctx, req)
	}
	spec, err := s.spec(typ)
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	delete(news, defaultsKey)
	var filled []string
	for _, k := range sortedKeys(spec.Defaults) {
		if !has(news, k) {
			news[resource.PropertyKey(k)] = toProperty(spec.Defaults[k])
			filled = append(filled, k)
		}
	}
	if spec.AutoName != nil {
		name := req.GetName()
		if name == "" {
			name = resource.URN(req.GetUrn()).Name()
		}
		if err := applyAutoName(spec.AutoName, name, req.GetRandomSeed(), olds, news); err != nil {
			return nil, fmt.Errorf("could not make instance of '%s': %w", typ, err)
		}
	}
	markDefaulted(news, filled)

	var failures []*pulumirpc.CheckFailure
	for _, k := range spec.Required {
		if v, ok := news[resource.PropertyKey(k)]; !ok || v.IsNull() {
			failures = append(failures, &pulumirpc.CheckFailure{Property: k, Reason: fmt.Sprintf("Missing required property '%s'", k)})
		}
	}
	if spec.Validate != nil {
		for _, reason := range spec.Validate(news) {
			failures = append(failures, &pulumirpc.CheckFailure{Reason: reason})
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func unionKeys(a, b resource.PropertyMap) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[string(k)] = true
	}
	for k := range b {
		seen[string(k)] = true
	}
	return sortedKeys(seen)
}

// awsDiff compares old *inputs* with new inputs (never old outputs: computed values would always differ).
func awsDiff(spec *typeSpec, oldIn, news resource.PropertyMap) *pulumirpc.DiffResponse {
	jsonProp := map[string]bool{}
	for _, k := range spec.JSON {
		jsonProp[k] = true
	}
	changed, replace := map[string]bool{}, map[string]bool{}
	for _, k := range unionKeys(oldIn, news) {
		if k == defaultsKey || k == "tagsAll" {
			continue
		}
		key := resource.PropertyKey(k)
		if !equalValues(oldIn[key], news[key], jsonProp[k]) {
			changed[k] = true
		}
	}
	for k := range changed {
		if forcesNew(spec, k) {
			replace[k] = true
		}
	}
	if spec.diff != nil {
		spec.diff(oldIn, news, changed, replace)
	}
	dbr := false
	if len(replace) > 0 {
		dbr = spec.DeleteBeforeReplace
		// The bridge deletes first when the name was set by the program: the replacement would collide with it.
		if a := spec.AutoName; a != nil && has(news, a.Prop) && !defaulted(news, a.Prop) {
			dbr = true
		}
	}
	return diffResponse(oldIn, news, changed, replace, dbr)
}

func forcesNew(spec *typeSpec, key string) bool {
	if spec.ReplaceAllExcept != nil {
		for _, k := range spec.ReplaceAllExcept {
			if k == key {
				return false
			}
		}
		return true
	}
	for _, k := range spec.Replace {
		if k == key {
			return true
		}
	}
	return false
}

func diffResponse(olds, news resource.PropertyMap, changed, replace map[string]bool, dbr bool) *pulumirpc.DiffResponse {
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range changed {
		key := resource.PropertyKey(k)
		kind := pulumirpc.PropertyDiff_UPDATE
		if v, ok := olds[key]; !ok || v.IsNull() {
			kind = pulumirpc.PropertyDiff_ADD
		} else if v, ok := news[key]; !ok || v.IsNull() {
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replace[k] {
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[kind]
		}
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return &pulumirpc.DiffResponse{
		Changes:             pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:               sortedKeys(changed),
		Replaces:            sortedKeys(replace),
		DeleteBeforeReplace: dbr,
		DetailedDiff:        detailed,
		HasDetailedDiff:     true,
	}
}

func (s *server) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	if s.pkg == "docker" && typ == dockerImageType {
		return s.dockerDiff(ctx, req)
	}
	spec, err := s.spec(typ)
	if err != nil {
		return nil, err
	}
	oldIn, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(oldIn) == 0 { // state written without inputs: fall back to the old outputs
		if oldIn, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	resp := awsDiff(spec, oldIn, news)
	// tagsAll is an output, but the provider's defaultTags flow into it: a changed defaultTags (or a
	// provider replacement) updates every taggable resource, as with pulumi-aws.
	if spec.Taggable {
		olds, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		if old, ok := olds["tagsAll"]; ok && !equalValues(old, s.tagsAll(news), false) {
			if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME {
				resp = diffResponse(oldIn, news, map[string]bool{}, map[string]bool{}, false)
				resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
			}
			resp.Diffs = append(resp.Diffs, "tagsAll")
			if resp.DetailedDiff == nil {
				resp.DetailedDiff = map[string]*pulumirpc.PropertyDiff{}
			}
			resp.DetailedDiff["tagsAll"] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE}
			resp.HasDetailedDiff = true
		}
	}
	return resp, nil
}

// tagsAll merges the provider's defaultTags with the resource's tags, like the AWS provider's tags_all.
func (s *server) tagsAll(in resource.PropertyMap) resource.PropertyValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tagsUnknown || (in["tags"].ContainsUnknowns()) {
		return resource.MakeComputed(resource.NewStringProperty(""))
	}
	all := map[string]string{}
	for k, v := range s.defaultTags {
		all[k] = v
	}
	for k, v := range obj(in, "tags") {
		if pv := plain(v); pv.IsString() {
			all[string(k)] = pv.StringValue()
		}
	}
	return toProperty(all)
}

func (s *server) newRes(spec *typeSpec, urn string, in resource.PropertyMap, preview bool) *res {
	u := resource.URN(urn)
	return &res{s: s, spec: spec, urn: u, name: u.Name(), in: stripMeta(in), region: s.currentRegion(), preview: preview}
}

func computed() resource.PropertyValue { return resource.MakeComputed(resource.NewStringProperty("")) }

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	if s.pkg == "docker" && typ == dockerImageType {
		return s.dockerCreate(ctx, req)
	}
	spec, err := s.spec(typ)
	if err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	r := s.newRes(spec, req.GetUrn(), props, req.GetPreview())
	outs := stripMeta(props)
	entry := callEntry{Plugin: s.pkg, Op: "Create", Type: typ, URN: req.GetUrn(), Preview: req.GetPreview(), Region: r.region}
	if req.GetPreview() {
		for _, k := range spec.Computed {
			if !has(outs, k) {
				outs[resource.PropertyKey(k)] = computed()
			}
		}
		if spec.Taggable {
			outs["tagsAll"] = s.tagsAll(outs)
		}
		logCall(entry)
		st, err := marshal(outs)
		return &pulumirpc.CreateResponse{Properties: st}, err
	}
	if r.region == "" {
		return nil, fmt.Errorf("%s", missingRegion)
	}
	if r.seq, err = bump("create:" + req.GetUrn()); err != nil {
		return nil, err
	}
	id, computedOuts, err := spec.create(r)
	if err != nil {
		entry.Error = err.Error()
		logCall(entry)
		return nil, err
	}
	for k, v := range computedOuts {
		outs[resource.PropertyKey(k)] = toProperty(v)
	}
	if spec.Taggable {
		outs["tagsAll"] = s.tagsAll(outs)
	}
	entry.Name = id
	logCall(entry)
	st, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: st}, nil
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	if s.pkg == "docker" && typ == dockerImageType {
		return s.dockerUpdate(ctx, req)
	}
	spec, err := s.spec(typ)
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	oldIn, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	r := s.newRes(spec, req.GetUrn(), news, req.GetPreview())
	r.old, r.oldIn, r.id = olds, stripMeta(oldIn), req.GetId()
	outs := stripMeta(news)
	for _, k := range spec.Computed {
		if has(outs, k) {
			continue
		}
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			outs[resource.PropertyKey(k)] = v
		} else if req.GetPreview() {
			outs[resource.PropertyKey(k)] = computed()
		}
	}
	if spec.Taggable {
		outs["tagsAll"] = s.tagsAll(outs)
	}
	entry := callEntry{Plugin: s.pkg, Op: "Update", Type: typ, URN: req.GetUrn(), Name: req.GetId(), Preview: req.GetPreview(), Region: r.region}
	if !req.GetPreview() && spec.update != nil {
		if err := spec.update(r); err != nil {
			entry.Error = err.Error()
			logCall(entry)
			return nil, err
		}
	}
	logCall(entry)
	st, err := marshal(outs)
	return &pulumirpc.UpdateResponse{Properties: st}, err
}

// Read (refresh) returns what the state says: nothing drifts in the fake account.
func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	if s.pkg == "aws" {
		if _, err := s.spec(typ); err != nil {
			return nil, err
		}
	}
	logCall(callEntry{Plugin: s.pkg, Op: "Read", Type: typ, URN: req.GetUrn(), Name: req.GetId(), Region: s.currentRegion()})
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ := typeOf(req.GetType(), req.GetUrn())
	entry := callEntry{Plugin: s.pkg, Op: "Delete", Type: typ, URN: req.GetUrn(), Name: req.GetId(), Region: s.currentRegion()}
	if s.pkg == "aws" {
		spec, err := s.spec(typ)
		if err != nil {
			return nil, err
		}
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		r := s.newRes(spec, req.GetUrn(), props, false)
		r.old, r.id = props, req.GetId()
		if spec.remove != nil {
			if err := spec.remove(r); err != nil {
				entry.Error = err.Error()
				logCall(entry)
				return nil, err
			}
		}
	}
	logCall(entry)
	return &emptypb.Empty{}, nil
}
