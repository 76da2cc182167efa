// Drives Lockgate's CloudWatch API with the AWS SDK for JavaScript v3
// (endpoint from AWS_ENDPOINT_URL_CLOUDWATCH).
import {
  CloudWatchClient, PutMetricDataCommand, GetMetricDataCommand, GetMetricStatisticsCommand,
  DescribeAlarmsCommand, ListMetricsCommand,
} from "@aws-sdk/client-cloudwatch";

process.removeAllListeners("warning");
const cw = new CloudWatchClient({ maxAttempts: 1 });
const now = new Date();
const at = new Date(Math.floor((now.getTime() - 75000) / 1000) * 1000);
const dims = [{ Name: "Service", Value: "web" }];
const r = {};
await cw.send(new PutMetricDataCommand({
  Namespace: "Shop",
  MetricData: [
    { MetricName: "Latency", Dimensions: dims, Timestamp: at, Values: [10, 30, 50], Counts: [5, 4, 1], Unit: "Milliseconds" },
    { MetricName: "Orders", Dimensions: dims, Timestamp: at, StatisticValues: { SampleCount: 2, Sum: 9, Minimum: 4, Maximum: 5 }, Unit: "Count" },
  ],
}));
const start = new Date(now.getTime() - 600000);
const md = await cw.send(new GetMetricDataCommand({
  StartTime: start, EndTime: now,
  MetricDataQueries: [
    { Id: "p90", MetricStat: { Metric: { Namespace: "Shop", MetricName: "Latency", Dimensions: dims }, Period: 60, Stat: "p90" } },
    { Id: "sum", MetricStat: { Metric: { Namespace: "Shop", MetricName: "Orders", Dimensions: dims }, Period: 60, Stat: "Sum" } },
  ],
}));
const byId = Object.fromEntries(md.MetricDataResults.map((x) => [x.Id, x]));
r.p90 = byId.p90.Values;
r.sum = byId.sum.Values;
r.first_ts_is_date = byId.p90.Timestamps[0] instanceof Date;
const st = await cw.send(new GetMetricStatisticsCommand({
  Namespace: "Shop", MetricName: "Orders", Dimensions: dims, StartTime: start, EndTime: now, Period: 300, Statistics: ["SampleCount", "Sum"],
}));
const dp = st.Datapoints[0];
r.stats = { SampleCount: dp.SampleCount, Sum: dp.Sum, Unit: dp.Unit };
const alarms = await cw.send(new DescribeAlarmsCommand({}));
r.alarms = alarms.MetricAlarms.map((a) => [a.AlarmName, a.StateValue]);
const lm = await cw.send(new ListMetricsCommand({ Namespace: "Shop" }));
r.metrics = lm.Metrics.map((m) => m.MetricName).sort();
try {
  await cw.send(new PutMetricDataCommand({ Namespace: "AWS/Lambda", MetricData: [{ MetricName: "Errors", Value: 1 }] }));
  r.error = null;
} catch (e) {
  r.error = [e.name, e.Code ?? null, e.$metadata?.httpStatusCode ?? null];
}
console.log(JSON.stringify(r));
