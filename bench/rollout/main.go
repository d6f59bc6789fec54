// Command rollout prints the modelled rolling-deploy critical path of this project's stacks next to the
// defaults of the common alternatives, as a Markdown table for BENCHMARKS.md. It is a model from
// documented settings, not a measurement.
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/infra"
	"github.com/task-management-api/task-management-api/internal/pulumitest"
)

func main() {
	taskStart := flag.Int("task-start", 30, "assumed seconds from task launch to the app listening (image pull + boot)")
	flag.Parse()

	type row struct {
		name string
		s    infra.RolloutSettings
	}
	var rows []row
	for _, stack := range []string{"dev", "prod"} {
		cfg, err := stackConfig(stack)
		if err != nil {
			log.Fatal(err)
		}
		rows = append(rows, row{"this project, `" + stack + "` stack", infra.RolloutSettingsFor(cfg, *taskStart)})
	}
	// Defaults when the user sets nothing: AWS's target-group defaults (HTTP: 30 s × 5 healthy, 2 unhealthy,
	// 300 s deregistration) under CDK, which adds a 60 s grace period when a load balancer is attached;
	// the Terraform-based pulumi-aws TargetGroup defaults (30 s × 3 healthy, 3 unhealthy) under awsx;
	// ECS's 30 s stop timeout everywhere.
	rows = append(rows,
		row{"CDK `ApplicationLoadBalancedFargateService` defaults", infra.RolloutSettings{HealthCheckInterval: 30, HealthyThreshold: 5, UnhealthyThreshold: 2, GracePeriod: 60, DeregistrationDelay: 300, StopTimeout: 30, TaskStart: *taskStart}},
		row{"awsx `ecs.FargateService` + `lb.ApplicationLoadBalancer` defaults", infra.RolloutSettings{HealthCheckInterval: 30, HealthyThreshold: 3, UnhealthyThreshold: 3, DeregistrationDelay: 300, StopTimeout: 30, TaskStart: *taskStart}},
		row{"seed guide's CloudFormation-style template", infra.RolloutSettings{HealthCheckInterval: 30, HealthyThreshold: 5, UnhealthyThreshold: 2, DeregistrationDelay: 300, StopTimeout: 30, TaskStart: *taskStart}},
	)

	fmt.Printf("Model, not a measurement; task start assumed %d s for every row.\n\n", *taskStart)
	fmt.Println("| setup | ALB check (interval × healthy / unhealthy) | grace | deregistration | stop timeout | new tasks healthy | deploy complete (old tasks gone) | broken task replaced after |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		m := infra.ModelRollout(r.s)
		fmt.Printf("| %s | %d s × %d / %d | %d s | %d s | %d s | %.0f s | %.0f s | %.0f s |\n", r.name,
			r.s.HealthCheckInterval, r.s.HealthyThreshold, r.s.UnhealthyThreshold, r.s.GracePeriod, r.s.DeregistrationDelay,
			r.s.StopTimeout, m.NewTasksHealthy.Seconds(), m.OldTasksGone.Seconds(), m.BrokenTaskReplaced.Seconds())
	}
}

// stackConfig loads a shipped stack file through the program's own LoadConfig.
func stackConfig(stack string) (*infra.Config, error) {
	values, err := pulumitest.StackConfig(".", stack)
	if err != nil {
		return nil, err
	}
	var cfg *infra.Config
	err = pulumitest.Run(func(ctx *pulumi.Context) error {
		var err error
		cfg, err = infra.LoadConfig(ctx)
		return err
	}, &pulumitest.Mocks{}, pulumitest.Options{Stack: stack, Config: values})
	return cfg, err
}
