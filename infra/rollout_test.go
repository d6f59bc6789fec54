package infra

import (
	"testing"
	"time"
)

func TestModelRollout(t *testing.T) {
	cases := []struct {
		name string
		s    RolloutSettings
		want Rollout
	}{
		{"this program's defaults", RolloutSettings{HealthCheckInterval: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriod: 60,
			DeregistrationDelay: 30, StopTimeout: 30, ContainerHealthInterval: 15, TaskStart: 30},
			Rollout{50 * time.Second, 110 * time.Second, 90 * time.Second}},
		{"seed template", RolloutSettings{HealthCheckInterval: 30, HealthyThreshold: 5, UnhealthyThreshold: 2,
			DeregistrationDelay: 300, StopTimeout: 30, TaskStart: 30},
			Rollout{180 * time.Second, 510 * time.Second, 90 * time.Second}},
		{"slow container check dominates", RolloutSettings{HealthCheckInterval: 5, HealthyThreshold: 2, ContainerHealthInterval: 30},
			Rollout{30 * time.Second, 30 * time.Second, 0}},
	}
	for _, tc := range cases {
		if got := ModelRollout(tc.s); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestRolloutSettingsForUsesTheDeployedValues(t *testing.T) {
	c := validConfig()
	c.DeregistrationDelay, c.StopTimeout, c.HealthCheckGracePeriod, c.MigrationTimeout = 45, 20, 90, 120
	s := RolloutSettingsFor(&c, 30)
	// ECS ignores failing health checks for the migration budget plus the start allowance.
	want := RolloutSettings{HealthCheckInterval: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriod: 210,
		DeregistrationDelay: 45, StopTimeout: 20, ContainerHealthInterval: 15, TaskStart: 30}
	if s != want {
		t.Errorf("%+v, want %+v", s, want)
	}
}
