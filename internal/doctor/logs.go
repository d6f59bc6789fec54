package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

const maxLogStreams = 3

// fetchLogs returns the last n lines of the streams most likely to explain a failure: those
// of failed stopped tasks first (awslogs names them <prefix>/<container>/<task id>), then the
// most recently written ones.
func (g *gatherer) fetchLogs(ctx context.Context, s *Snapshot, n int) *Logs {
	o := s.Outputs
	l := &Logs{Group: o.LogGroupName}
	type pick struct{ stream, why string }
	var picks []pick
	seen := map[string]bool{}
	add := func(stream, why string) {
		if !seen[stream] && len(picks) < maxLogStreams {
			seen[stream] = true
			picks = append(picks, pick{stream, why})
		}
	}
	failed := 0
	for _, t := range s.Stopped {
		if ClassifyTask(t, o.Region).Benign || failed == 2 {
			continue
		}
		failed++
		id := taskID(aws.ToString(t.TaskArn))
		add(fmt.Sprintf("%s/%s/%s", LogStreamPrefix, ContainerName, id), "stopped task "+id)
	}

	cctx, cancel := g.call(ctx)
	out, err := g.clients.Logs.DescribeLogStreams(cctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(o.LogGroupName),
		OrderBy:      logtypes.OrderByLastEventTime,
		Descending:   aws.Bool(true),
		Limit:        aws.Int32(maxLogStreams),
	})
	cancel()
	if err != nil {
		if code, _ := apiErr(err); code == "ResourceNotFoundException" {
			l.Error = fmt.Sprintf("log group %s does not exist in %s", o.LogGroupName, o.Region)
			l.Hint = "The task definition's awslogs-group must be this group, in the stack's region; the task execution role needs logs:CreateLogStream and logs:PutLogEvents."
			return l
		}
		_, cause, _, _ := callFailure("CloudWatch Logs", "DescribeLogStreams", o.Region, err)
		l.Error = cause
		return l
	}
	for _, st := range out.LogStreams {
		name := aws.ToString(st.LogStreamName)
		why := "most recent stream"
		if st.LastEventTimestamp != nil {
			why = fmt.Sprintf("most recent stream, last event %s", ago(s.Now, time.UnixMilli(*st.LastEventTimestamp)))
		}
		add(name, why)
	}

	for _, p := range picks {
		cctx, cancel := g.call(ctx)
		ev, err := g.clients.Logs.GetLogEvents(cctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(o.LogGroupName),
			LogStreamName: aws.String(p.stream),
			Limit:         aws.Int32(int32(n)),
			StartFromHead: aws.Bool(false),
		})
		cancel()
		ls := LogStream{Stream: p.stream, Why: p.why}
		if err != nil {
			if code, _ := apiErr(err); code == "ResourceNotFoundException" {
				ls.Why += "; no such stream: the container never started, so it never logged"
				ls.Missing = true
			} else {
				_, cause, _, _ := callFailure("CloudWatch Logs", "GetLogEvents", o.Region, err)
				ls.Why += "; " + cause
			}
			l.Streams = append(l.Streams, ls)
			continue
		}
		events := ev.Events
		if len(events) > n {
			events = events[len(events)-n:]
		}
		for _, e := range events {
			msg := strings.TrimRight(aws.ToString(e.Message), "\r\n")
			ls.Lines = append(ls.Lines, fmt.Sprintf("%s  %s", fmtTime(time.UnixMilli(aws.ToInt64(e.Timestamp))), msg))
		}
		l.Streams = append(l.Streams, ls)
	}
	return l
}
