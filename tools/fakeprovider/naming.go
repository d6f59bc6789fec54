package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// autoName says how pulumi-aws names a resource whose name property the program left unset.
//
// pulumi-aws (provider/resources.go, terraform-bridge SetAutonaming(255, "-")) auto-names every resource with
// a `name` argument: <logical name>-<7 random hex>, at most 255 characters; some resources override it
// (aws_iam_role: AutoName("name", 64, "-"); aws_lb / aws_lb_target_group: 32 characters, pulumi/pulumi-aws#1932;
// aws_db_instance: identifier = NewUniqueHex(<logical name>, 7, 255), no separator). The random part comes
// from the engine's per-step RandomSeed (resource.NewUniqueName), and the bridge keeps the previous value
// from the old inputs so that an unchanged resource keeps its name; on a replacement the engine re-runs
// Check without old inputs, so the replacement gets a new name.
type autoName struct {
	Prop    string // the Pulumi property, e.g. "name", "identifier"
	MaxLen  int
	RandLen int    // 7 for pulumi-aws
	Sep     string // "-"; "" for aws_db_instance
	Lower   bool   // lowercase the whole name (AutoNameTransform with strings.ToLower)
}

// defaultsKey lists the input properties the provider filled in (auto-names and defaults), like the
// bridge's __defaults: a name the user set explicitly makes a replacement delete-before-replace.
const defaultsKey = "__defaults"

func (a *autoName) generate(logicalName string, seed []byte) (string, error) {
	prefix := logicalName + a.Sep
	name, err := resource.NewUniqueName(seed, prefix, a.RandLen, a.MaxLen, nil)
	if err != nil {
		return "", err
	}
	if a.Lower {
		name = strings.ToLower(name)
	}
	return name, nil
}

// defaulted reports whether prop was filled in by the provider in the checked inputs m.
func defaulted(m resource.PropertyMap, prop string) bool {
	for _, d := range strings_(arr(m, defaultsKey)) {
		if d == prop {
			return true
		}
	}
	return false
}

func markDefaulted(m resource.PropertyMap, props []string) {
	if len(props) == 0 {
		return
	}
	existing := strings_(arr(m, defaultsKey))
	seen := map[string]bool{}
	var all []string
	for _, p := range append(existing, props...) {
		if !seen[p] {
			seen[p] = true
			all = append(all, p)
		}
	}
	m[defaultsKey] = toProperty(all)
}

// applyAutoName fills in the name property of news, reusing the old auto-name when there is one.
func applyAutoName(a *autoName, logicalName string, seed []byte, olds, news resource.PropertyMap) error {
	key := resource.PropertyKey(a.Prop)
	if v, ok := news[key]; ok && !v.IsNull() {
		return nil
	}
	if old, ok := olds[key]; ok && !old.IsNull() && (defaulted(olds, a.Prop) || !olds.HasValue(defaultsKey)) {
		news[key] = old
		markDefaulted(news, []string{a.Prop})
		return nil
	}
	name, err := a.generate(logicalName, seed)
	if err != nil {
		return fmt.Errorf("could not make instance: %w", err)
	}
	news[key] = resource.NewStringProperty(name)
	markDefaulted(news, []string{a.Prop})
	return nil
}
