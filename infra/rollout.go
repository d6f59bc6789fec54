package infra

import "time"

// RolloutSettings are the settings that decide how long a rolling ECS deployment behind an ALB takes.
// All durations are in seconds.
type RolloutSettings struct {
	HealthCheckInterval     int
	HealthyThreshold        int
	UnhealthyThreshold      int
	GracePeriod             int
	DeregistrationDelay     int
	StopTimeout             int
	ContainerHealthInterval int // 0 when the container has no health check
	// TaskStart is an assumption, not a setting: pulling the image and starting the app.
	TaskStart int
}

// Rollout is the modelled critical path of one rolling deployment (minimum healthy 100 %, maximum 200 %,
// so every new task starts at once and the old ones stop only when the new ones are healthy).
type Rollout struct {
	// NewTasksHealthy: the new tasks are started, registered and pass enough ALB health checks.
	NewTasksHealthy time.Duration
	// OldTasksGone: then the old tasks drain (deregistration delay) and stop (worst case: stop timeout).
	OldTasksGone time.Duration
	// BrokenTaskReplaced: how long a task that never turns healthy runs before ECS replaces it, the unit
	// the circuit breaker counts in.
	BrokenTaskReplaced time.Duration
}

// ModelRollout computes the critical path. It is a model from documented semantics, not a measurement:
// ALB needs HealthyThreshold consecutive passes, one per interval, after registration; ECS also waits for
// the first passing container health check; ECS ignores failures during the grace period.
func ModelRollout(s RolloutSettings) Rollout {
	healthy := max(s.HealthyThreshold*s.HealthCheckInterval, s.ContainerHealthInterval)
	newHealthy := s.TaskStart + healthy
	unhealthy := max(s.GracePeriod, s.UnhealthyThreshold*s.HealthCheckInterval)
	return Rollout{
		NewTasksHealthy:    seconds(newHealthy),
		OldTasksGone:       seconds(newHealthy + s.DeregistrationDelay + s.StopTimeout),
		BrokenTaskReplaced: seconds(s.TaskStart + unhealthy),
	}
}

// RolloutSettingsFor returns the settings this program deploys for cfg.
func RolloutSettingsFor(cfg *Config, taskStart int) RolloutSettings {
	return RolloutSettings{
		HealthCheckInterval:     HealthCheckInterval,
		HealthyThreshold:        HealthCheckHealthyThreshold,
		UnhealthyThreshold:      HealthCheckUnhealthyThreshold,
		GracePeriod:             ServiceGracePeriod(cfg.HealthCheckGracePeriod, cfg.MigrationTimeout),
		DeregistrationDelay:     cfg.DeregistrationDelay,
		StopTimeout:             cfg.StopTimeout,
		ContainerHealthInterval: ContainerHealthCheckInterval,
		TaskStart:               taskStart,
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
