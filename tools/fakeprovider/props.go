package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/types/known/structpb"
)

// Property-map helpers shared by the aws, docker and awsx fakes.

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}
var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, unmarshalOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

// plain looks through secrets and (known) output values.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return resource.MakeComputed(resource.NewStringProperty(""))
			}
			v = o.Element
		default:
			return v
		}
	}
}

func isUnknown(v resource.PropertyValue) bool { return v.ContainsUnknowns() }

// str returns the known string at key, looking through secrets.
func str(m resource.PropertyMap, key string) (string, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return "", false
	}
	v = plain(v)
	if v.IsString() {
		return v.StringValue(), true
	}
	return "", false
}

func strOr(m resource.PropertyMap, key, def string) string {
	if s, ok := str(m, key); ok {
		return s
	}
	return def
}

func boolOr(m resource.PropertyMap, key string, def bool) bool {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v = plain(v)
	if v.IsBool() {
		return v.BoolValue()
	}
	return def
}

func numOr(m resource.PropertyMap, key string, def float64) float64 {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v = plain(v)
	if v.IsNumber() {
		return v.NumberValue()
	}
	return def
}

func obj(m resource.PropertyMap, key string) resource.PropertyMap {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v = plain(v)
	if v.IsObject() {
		return v.ObjectValue()
	}
	return nil
}

func arr(m resource.PropertyMap, key string) []resource.PropertyValue {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v = plain(v)
	if v.IsArray() {
		return v.ArrayValue()
	}
	return nil
}

func strings_(vs []resource.PropertyValue) []string {
	var out []string
	for _, v := range vs {
		v = plain(v)
		if v.IsString() {
			out = append(out, v.StringValue())
		}
	}
	return out
}

// has reports whether key is present and not null.
func has(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	return ok && !v.IsNull()
}

// stripMeta removes the provider's bookkeeping keys from a copy of m.
func stripMeta(m resource.PropertyMap) resource.PropertyMap {
	out := m.Copy()
	delete(out, defaultsKey)
	return out
}

// equalValues compares two values the way a diff should: secrets are looked through (a value that only
// became secret is no change), unknowns are never equal, JSON documents may be compared semantically.
func equalValues(a, b resource.PropertyValue, jsonDoc bool) bool {
	a, b = plain(a), plain(b)
	if a.ContainsUnknowns() || b.ContainsUnknowns() {
		return false
	}
	if jsonDoc && a.IsString() && b.IsString() {
		return normalJSON(a.StringValue()) == normalJSON(b.StringValue())
	}
	switch {
	case a.IsNull() || b.IsNull():
		return a.IsNull() && b.IsNull()
	case a.IsArray() && b.IsArray():
		x, y := a.ArrayValue(), b.ArrayValue()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i], false) {
				return false
			}
		}
		return true
	case a.IsObject() && b.IsObject():
		x, y := a.ObjectValue(), b.ObjectValue()
		keys := map[resource.PropertyKey]bool{}
		for k, v := range x {
			if !v.IsNull() {
				keys[k] = true
			}
		}
		for k, v := range y {
			if !v.IsNull() {
				keys[k] = true
			}
		}
		for k := range keys {
			if !equalValues(x[k], y[k], false) {
				return false
			}
		}
		return true
	}
	return a.DeepEquals(b)
}

func normalJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	out, err := json.Marshal(v) // map keys come out sorted
	if err != nil {
		return s
	}
	return string(out)
}

// digest returns n lowercase hex characters derived from the parts.
func digest(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := hex.EncodeToString(h.Sum(nil))
	for len(s) < n {
		s += digest(64, s)
	}
	return s[:n]
}

// fromAlphabet returns n characters of alphabet derived from the parts.
func fromAlphabet(n int, alphabet string, parts ...string) string {
	x := new(big.Int)
	x.SetString(digest(128, parts...), 16)
	base := big.NewInt(int64(len(alphabet)))
	var b strings.Builder
	mod := new(big.Int)
	for i := 0; i < n; i++ {
		x.DivMod(x, base, mod)
		b.WriteByte(alphabet[mod.Int64()])
		if x.Sign() == 0 {
			x.SetString(digest(128, append(parts, fmt.Sprint(i))...), 16)
		}
	}
	return b.String()
}

func digits(n int, parts ...string) string {
	return fromAlphabet(n, "0123456789", parts...)
}

// uuid returns a deterministic RFC 4122-shaped identifier.
func uuid(parts ...string) string {
	h := digest(32, parts...)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toProperty converts plain Go values (maps, slices, strings, numbers, bools, PropertyValues) to a PropertyValue.
func toProperty(v any) resource.PropertyValue {
	switch x := v.(type) {
	case resource.PropertyValue:
		return x
	case nil:
		return resource.NewNullProperty()
	case string:
		return resource.NewStringProperty(x)
	case bool:
		return resource.NewBoolProperty(x)
	case int:
		return resource.NewNumberProperty(float64(x))
	case float64:
		return resource.NewNumberProperty(x)
	case []string:
		out := make([]resource.PropertyValue, len(x))
		for i, s := range x {
			out[i] = resource.NewStringProperty(s)
		}
		return resource.NewArrayProperty(out)
	case []any:
		out := make([]resource.PropertyValue, len(x))
		for i, s := range x {
			out[i] = toProperty(s)
		}
		return resource.NewArrayProperty(out)
	case map[string]any:
		return resource.NewObjectProperty(toPropertyMap(x))
	case map[string]string:
		m := resource.PropertyMap{}
		for k, s := range x {
			m[resource.PropertyKey(k)] = resource.NewStringProperty(s)
		}
		return resource.NewObjectProperty(m)
	case resource.PropertyMap:
		return resource.NewObjectProperty(x)
	}
	panic(fmt.Sprintf("toProperty: unsupported %T", v))
}

func toPropertyMap(m map[string]any) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[resource.PropertyKey(k)] = toProperty(v)
	}
	return out
}
