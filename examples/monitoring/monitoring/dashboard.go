package monitoring

import (
	"encoding/json"
	"fmt"
)

// The CloudWatch dashboard body is JSON
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
// It is built from these types with json.Marshal, so names and ARNs from the stack reference are
// always escaped correctly.

type dashboard struct {
	Start   string   `json:"start"`
	Widgets []widget `json:"widgets"`
}

type widget struct {
	Type       string `json:"type"` // metric, alarm, log or text
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties any    `json:"properties"` // one of the *Properties types below
}

type textProperties struct {
	Markdown string `json:"markdown"`
}

type alarmProperties struct {
	Title  string   `json:"title"`
	Alarms []string `json:"alarms"`
}

type logProperties struct {
	Title  string `json:"title"`
	Region string `json:"region"`
	Query  string `json:"query"`
	View   string `json:"view"`
}

type metricProperties struct {
	Title       string       `json:"title"`
	Region      string       `json:"region"`
	View        string       `json:"view"`
	Stacked     bool         `json:"stacked"`
	Period      int          `json:"period"`
	Stat        string       `json:"stat"`
	Metrics     []metricRow  `json:"metrics"`
	Annotations *annotations `json:"annotations,omitempty"`
}

type annotations struct {
	Horizontal []horizontalAnnotation `json:"horizontal"`
}

type horizontalAnnotation struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// metricRow is one entry of a metric widget's "metrics" array. CloudWatch wants it as a flat JSON
// array, [namespace, metricName, dimName1, dimValue1, ..., {options}], or [{options}] for a math
// expression; MarshalJSON writes that shape.
type metricRow struct {
	Namespace  string
	MetricName string
	Dimensions []dimension
	Options    metricOptions
}

type dimension struct {
	Name, Value string
}

type metricOptions struct {
	ID         string `json:"id,omitempty"`
	Expression string `json:"expression,omitempty"`
	Label      string `json:"label,omitempty"`
	Stat       string `json:"stat,omitempty"`
	Visible    *bool  `json:"visible,omitempty"`
}

func (r metricRow) MarshalJSON() ([]byte, error) {
	if r.Options.Expression != "" {
		return json.Marshal([]metricOptions{r.Options})
	}
	row := []any{r.Namespace, r.MetricName}
	for _, d := range r.Dimensions {
		row = append(row, d.Name, d.Value)
	}
	if r.Options != (metricOptions{}) {
		row = append(row, r.Options)
	}
	return json.Marshal(row)
}

// dashboardBody returns the dashboard JSON for svc: the alarms' states, then the metrics they watch.
func dashboardBody(svc *service, cfg settings, alarmArns []string) (string, error) {
	hidden := false
	lb := []dimension{{"LoadBalancer", svc.AlbArnSuffix}}
	targets := []dimension{{"TargetGroup", svc.TargetGroupArnSuffix}, {"LoadBalancer", svc.AlbArnSuffix}}
	ecsService := []dimension{{"ClusterName", svc.ClusterName}, {"ServiceName", svc.ServiceName}}
	db := []dimension{{"DBInstanceIdentifier", svc.DatabaseInstanceID}}

	graph := func(title, stat string, rows []metricRow, limits ...horizontalAnnotation) metricProperties {
		p := metricProperties{Title: title, Region: svc.Region, View: "timeSeries", Period: period, Stat: stat, Metrics: rows}
		if len(limits) > 0 {
			p.Annotations = &annotations{Horizontal: limits}
		}
		return p
	}

	d := dashboard{
		Start: "-PT6H",
		Widgets: []widget{
			{Type: "text", X: 0, Y: 0, Width: 24, Height: 2, Properties: textProperties{
				Markdown: fmt.Sprintf("## %s\n[%s](%s) · stack `%s` · cluster `%s` · database `%s` · region `%s`",
					svc.ServiceName, svc.URL, svc.URL, svc.Stack, svc.ClusterName, svc.DatabaseInstanceID, svc.Region),
			}},
			{Type: "alarm", X: 0, Y: 2, Width: 24, Height: 3, Properties: alarmProperties{
				Title: "Alarms", Alarms: alarmArns,
			}},
			{Type: "metric", X: 0, Y: 5, Width: 12, Height: 6, Properties: graph("Requests and 5xx (count per minute)", "Sum", []metricRow{
				{Namespace: nsALB, MetricName: "RequestCount", Dimensions: lb},
				{Namespace: nsALB, MetricName: "HTTPCode_Target_5XX_Count", Dimensions: lb},
				{Namespace: nsALB, MetricName: "HTTPCode_ELB_5XX_Count", Dimensions: lb},
			})},
			{Type: "metric", X: 12, Y: 5, Width: 12, Height: 6, Properties: graph("5xx rate (%)", "Sum", []metricRow{
				{Namespace: nsALB, MetricName: "RequestCount", Dimensions: lb, Options: metricOptions{ID: "requests", Visible: &hidden}},
				{Namespace: nsALB, MetricName: "HTTPCode_Target_5XX_Count", Dimensions: lb, Options: metricOptions{ID: "target5xx", Visible: &hidden}},
				{Namespace: nsALB, MetricName: "HTTPCode_ELB_5XX_Count", Dimensions: lb, Options: metricOptions{ID: "elb5xx", Visible: &hidden}},
				{Options: metricOptions{ID: "rate", Expression: http5xxRateExpression, Label: "5xx rate (%)"}},
			}, horizontalAnnotation{Label: "alarm", Value: float64(cfg.HTTP5xxRatePercent)})},
			{Type: "metric", X: 0, Y: 11, Width: 12, Height: 6, Properties: graph("Load balancer targets", "Maximum", []metricRow{
				{Namespace: nsALB, MetricName: "HealthyHostCount", Dimensions: targets},
				{Namespace: nsALB, MetricName: "UnHealthyHostCount", Dimensions: targets},
			})},
			{Type: "metric", X: 12, Y: 11, Width: 12, Height: 6, Properties: graph("ECS CPU and memory (%)", "Average", []metricRow{
				{Namespace: nsECS, MetricName: "CPUUtilization", Dimensions: ecsService},
				{Namespace: nsECS, MetricName: "MemoryUtilization", Dimensions: ecsService},
			},
				horizontalAnnotation{Label: "CPU alarm", Value: float64(cfg.CPUUtilizationPercent)},
				horizontalAnnotation{Label: "memory alarm", Value: float64(cfg.MemoryUtilizationPercent)},
			)},
			{Type: "metric", X: 0, Y: 17, Width: 12, Height: 6, Properties: graph("RDS free storage (bytes)", "Minimum", []metricRow{
				{Namespace: nsRDS, MetricName: "FreeStorageSpace", Dimensions: db},
			}, horizontalAnnotation{Label: "alarm", Value: float64(cfg.FreeStorageGiB) * (1 << 30)})},
			{Type: "log", X: 12, Y: 17, Width: 12, Height: 6, Properties: logProperties{
				Title:  "Recent errors in the application log",
				Region: svc.Region,
				Query: "SOURCE '" + svc.LogGroupName + "' | fields @timestamp, @message" +
					" | filter @message like /(?i)(error|exception|traceback)/ | sort @timestamp desc | limit 50",
				View: "table",
			}},
		},
	}
	body, err := json.Marshal(d)
	return string(body), err
}
