"""Writes Embedded Metric Format lines with Powertools for AWS Lambda
(Python), as a function's code does, mixed with ordinary log lines."""
from dataclasses import dataclass

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricResolution, MetricUnit

metrics = Metrics(namespace="Shop", service="cart")


@dataclass
class Context:
    function_name: str = "checkout"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:checkout"
    aws_request_id: str = "req-1"


@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    print("START of an ordinary log line")
    metrics.add_dimension(name="route", value="/buy")
    metrics.add_metric(name="Orders", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Orders", unit=MetricUnit.Count, value=2)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=12.5, resolution=MetricResolution.High)
    metrics.add_metadata(key="order_id", value="o-42")
    with single_metric(name="Refunds", unit=MetricUnit.Count, value=3, namespace="Shop") as m:
        m.add_dimension(name="reason", value="damaged")
    return {"ok": True}


handler({}, Context())
print('{"level": "INFO", "message": "a structured log line"}')
