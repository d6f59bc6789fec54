// Command monitoring is the monitoring example's Pulumi program (see Pulumi.yaml beside this file):
// CloudWatch alarms, an SNS topic and a dashboard for a task-management-api stack.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/task-management-api/task-management-api/examples/monitoring/monitoring"
)

func main() {
	pulumi.Run(monitoring.Program)
}
