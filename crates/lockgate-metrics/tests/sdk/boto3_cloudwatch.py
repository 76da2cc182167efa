"""Drives Lockgate's CloudWatch API with real boto3 (endpoint from
AWS_ENDPOINT_URL_CLOUDWATCH). With PROTOCOL=query, botocore is given a copy
of its own CloudWatch model that says "query", so the same calls go out in
the query protocol (form-encoded, XML answers), as older SDKs send them."""
import datetime, gzip, json, os, sys, tempfile

if os.environ.get("PROTOCOL") == "query":
    import botocore
    src = os.path.join(os.path.dirname(botocore.__file__), "data/cloudwatch/2010-08-01/service-2.json.gz")
    model = json.loads(gzip.open(src).read())
    model["metadata"]["protocol"] = "query"
    model["metadata"]["protocols"] = ["query"]
    d = tempfile.mkdtemp()
    os.makedirs(os.path.join(d, "cloudwatch/2010-08-01"))
    with open(os.path.join(d, "cloudwatch/2010-08-01/service-2.json"), "w") as f:
        json.dump(model, f)
    os.environ["AWS_DATA_PATH"] = d

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

cw = boto3.client("cloudwatch", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
r = {"protocol": getattr(cw.meta.service_model, "resolved_protocol", cw.meta.service_model.protocol)}
now = datetime.datetime.now(datetime.timezone.utc)
# 75 seconds back: inside a complete 60-second period, within every alarm's evaluation range.
at = (now - datetime.timedelta(seconds=75)).replace(microsecond=0)
dims = [{"Name": "Service", "Value": "checkout"}]

cw.put_metric_data(Namespace="Shop", MetricData=[
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": at, "Value": 10.0, "Unit": "Milliseconds"},
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": at, "Values": [20.0, 30.0, 400.0], "Counts": [1, 2, 1], "Unit": "Milliseconds"},
    {"MetricName": "Orders", "Dimensions": dims, "Timestamp": at, "StatisticValues": {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4}, "Unit": "Count"},
    {"MetricName": "Failures", "Timestamp": at, "Value": 3, "StorageResolution": 1},
])

start, end = now - datetime.timedelta(minutes=10), now
md = cw.get_metric_data(StartTime=start, EndTime=end, ScanBy="TimestampAscending", MetricDataQueries=[
    {"Id": "p99", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Latency", "Dimensions": dims}, "Period": 60, "Stat": "p99"}},
    {"Id": "n", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Latency", "Dimensions": dims}, "Period": 60, "Stat": "SampleCount"}, "Label": "count"},
    {"Id": "orders", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}},
    {"Id": "hidden", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}},
])
r["get_metric_data"] = {
    x["Id"]: {"label": x["Label"], "values": x["Values"], "status": x["StatusCode"],
              "timestamps_are_datetimes": all(isinstance(t, datetime.datetime) for t in x["Timestamps"]),
              "first_ts": x["Timestamps"][0].timestamp() if x["Timestamps"] else None}
    for x in md["MetricDataResults"]
}
r["expected_period_start"] = at.replace(second=0).timestamp()

st = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", Dimensions=dims, StartTime=start, EndTime=end,
                              Period=60, Statistics=["Average", "Maximum", "SampleCount", "Sum", "Minimum"], ExtendedStatistics=["p50", "tm80"])
dp = st["Datapoints"]
r["statistics"] = {"label": st["Label"], "datapoints": [
    {k: v for k, v in d.items() if k != "Timestamp"} for d in dp]}

pages = list(cw.get_paginator("list_metrics").paginate(Namespace="Shop"))
r["list_metrics"] = sorted((m["MetricName"], len(m["Dimensions"])) for p in pages for m in p["Metrics"])
r["list_filtered"] = sorted(m["MetricName"] for m in cw.list_metrics(Dimensions=[{"Name": "Service", "Value": "checkout"}])["Metrics"])
r["list_lambda"] = sorted(json.dumps(m["Dimensions"], sort_keys=True) for m in cw.list_metrics(Namespace="AWS/Lambda", MetricName="Errors")["Metrics"])

alarms = cw.describe_alarms()["MetricAlarms"]
r["alarms"] = [{k: a.get(k) for k in ("AlarmName", "AlarmArn", "StateValue", "StateReason", "Namespace", "MetricName",
                                       "Statistic", "ExtendedStatistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
                                       "Threshold", "ComparisonOperator", "TreatMissingData", "Dimensions")}
               for a in alarms]
r["alarm_reason_data"] = json.loads(alarms[0]["StateReasonData"]) if alarms and "StateReasonData" in alarms[0] else None
r["alarm_updated_is_datetime"] = isinstance(alarms[0]["StateUpdatedTimestamp"], datetime.datetime) if alarms else None
r["alarms_in_alarm"] = [a["AlarmName"] for a in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]]
r["alarms_by_prefix"] = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="lambda-")["MetricAlarms"]]
paged = list(cw.get_paginator("describe_alarms").paginate(PaginationConfig={"PageSize": 1}))
r["alarm_pages"] = [[a["AlarmName"] for a in p["MetricAlarms"]] for p in paged]
hist = cw.describe_alarm_history(AlarmName="shop-failures", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
r["history"] = [h["HistorySummary"] for h in hist]

def code_of(call):
    try:
        call()
    except ClientError as e:
        return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Message", "")]
    return None

r["err_reserved_namespace"] = code_of(lambda: cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "Errors", "Value": 1}]))
r["err_period"] = code_of(lambda: cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", StartTime=start, EndTime=end, Period=45, Statistics=["Sum"]))
r["err_expression"] = code_of(lambda: cw.get_metric_data(StartTime=start, EndTime=end, MetricDataQueries=[{"Id": "e", "Expression": "m1 * 2"}]))
r["err_both_values"] = code_of(lambda: cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1, "Values": [1.0]}]))
r["err_too_many_points"] = code_of(lambda: cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", StartTime=now - datetime.timedelta(days=2), EndTime=now, Period=60, Statistics=["Sum"]))
r["err_unknown_op"] = code_of(lambda: cw.put_metric_alarm(AlarmName="x", EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold", MetricName="m", Namespace="N", Period=60, Statistic="Sum", Threshold=1))
try:
    cw.put_metric_data(Namespace="AWS/X", MetricData=[{"MetricName": "m", "Value": 1}])
    r["modeled_exception"] = None
except cw.exceptions.InvalidParameterValueException as e:
    r["modeled_exception"] = "InvalidParameterValueException"
print(json.dumps(r))
