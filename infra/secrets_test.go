package infra

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestDjangoSecretKeyGeneratedOnceOrTakenFromConfig(t *testing.T) {
	configured := strings.Repeat("configured-key-", 4)
	cases := []struct {
		name       string
		provided   bool
		wantIgnore bool
	}{
		{"generated", false, true},
		{"configured", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var arn, valueFrom string
			m := run(t, func(ctx *pulumi.Context) error {
				s, err := NewSecrets(ctx, "sec", &SecretsArgs{
					DjangoSecretKey: pulumi.ToSecret(pulumi.String(configured)).(pulumi.StringOutput),
					Provided:        tc.provided,
				})
				if err != nil {
					return err
				}
				await(s.DjangoSecretKeyARN, &arn)
				await(s.DjangoSecretKeyValueFrom, &valueFrom)
				return nil
			})
			version := m.One(t, "aws:secretsmanager/secretVersion:SecretVersion", "sec-django-key-value")
			value := version.String("secretString")
			if !version.Get("secretString").IsSecret() {
				t.Errorf("secret value is not a secret output")
			}
			if tc.provided && value != configured {
				t.Errorf("secret value %q, want the configured key", value)
			}
			if !tc.provided && (value == configured || validateDjangoKey(value) != nil) {
				t.Errorf("generated key %q is not a fresh key Django accepts: %v", value, validateDjangoKey(value))
			}
			ignored := slices.Contains(version.IgnoreChanges, "secretString")
			if ignored != tc.wantIgnore {
				t.Errorf("ignoreChanges secretString = %v, want %v (a generated key must not change on every up)", ignored, tc.wantIgnore)
			}
			// Generating the key must not need AWS: previews run with a read-only role.
			if calls := m.Calls(""); len(calls) != 0 {
				t.Errorf("invokes %v, want none", calls)
			}
			if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:") {
				t.Errorf("ARN %q", arn)
			}
			if id, ok := strings.CutPrefix(valueFrom, arn+":::"); !ok || len(id) < 8 {
				t.Errorf("valueFrom %q, want %s:::<version id> (the exact version of the key)", valueFrom, arn)
			}
		})
	}
}

func TestGeneratedDjangoKeysDiffer(t *testing.T) {
	a, b := GenerateDjangoKey(), GenerateDjangoKey()
	if a == b || validateDjangoKey(a) != nil {
		t.Errorf("keys %q and %q", a, b)
	}
}
