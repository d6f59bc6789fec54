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
		wantValue  string
		wantIgnore bool
		wantInvoke int
	}{
		{"generated", false, strings.Repeat("generated-", 6) + "key!", true, 1},
		{"configured", true, configured, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var arn string
			m := run(t, func(ctx *pulumi.Context) error {
				s, err := NewSecrets(ctx, "sec", &SecretsArgs{
					DjangoSecretKey: pulumi.ToSecret(pulumi.String(configured)).(pulumi.StringOutput),
					Provided:        tc.provided,
				})
				if err != nil {
					return err
				}
				await(s.DjangoSecretKeyARN, &arn)
				return nil
			})
			version := m.One(t, "aws:secretsmanager/secretVersion:SecretVersion", "sec-django-key-value")
			if !version.Get("secretString").IsSecret() || version.String("secretString") != tc.wantValue {
				t.Errorf("secret value %q (secret: %v), want %q", version.String("secretString"), version.Get("secretString").IsSecret(), tc.wantValue)
			}
			ignored := slices.Contains(version.IgnoreChanges, "secretString")
			if ignored != tc.wantIgnore {
				t.Errorf("ignoreChanges secretString = %v, want %v (a generated key must not change on every up)", ignored, tc.wantIgnore)
			}
			if n := len(m.Calls("aws:secretsmanager/getRandomPassword:getRandomPassword")); n != tc.wantInvoke {
				t.Errorf("%d random password invokes", n)
			}
			if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:") {
				t.Errorf("ARN %q", arn)
			}
		})
	}
}
