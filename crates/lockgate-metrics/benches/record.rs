//! The metric store's hot path: recording one value, and one Lambda
//! invocation (16 values over 4 dimension sets), as the invocation path
//! will; plus EMF's pre-check on an ordinary log line and an alarm
//! evaluation. Figures go to docs/benchmarks.md.
//!
//! cargo bench -p lockgate-metrics --bench record

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lockgate_metrics::alarm::{Alarm, AlarmDefinition};
use lockgate_metrics::emf;
use lockgate_metrics::lambda::{InvocationRecorder, Outcome};
use lockgate_metrics::{MetricKey, MetricStore, StoreConfig, Timestamp};

fn bench(c: &mut Criterion) {
    let store = MetricStore::new(StoreConfig::default());
    let key = MetricKey::new("AWS/Lambda", "Duration")
        .with_dimension("FunctionName", "checkout-service")
        .with_dimension("Resource", "checkout-service:live")
        .with_dimension("ExecutedVersion", "12");
    // Time advances 10 µs per value: a new one-second bucket every 100 000
    // values, as at 100 000 values a second.
    let mut t = Timestamp::from_secs(1_800_000_000);
    c.bench_function("store.record(&key) (lookup + record)", |b| {
        b.iter(|| {
            t = t.plus_micros(10);
            store.record(black_box(&key), black_box(12.5), t).unwrap();
        })
    });
    let handle = store.handle(&key).unwrap();
    c.bench_function("handle.record (pre-resolved)", |b| {
        b.iter(|| {
            t = t.plus_micros(10);
            handle.record(black_box(12.5), t).unwrap();
        })
    });
    let recorder = InvocationRecorder::new(&store, "checkout-service", Some("live"), "12").unwrap();
    let outcome = Outcome {
        duration_ms: 12.5,
        error: false,
        throttled: false,
        cold: false,
    };
    c.bench_function("InvocationRecorder::record (16 values)", |b| {
        b.iter(|| {
            t = t.plus_micros(10);
            recorder.record(black_box(&outcome), t);
        })
    });
    let line = "2026-12-02T10:00:00.000Z\treq-1\tINFO\tprocessing order 42 for customer 7";
    c.bench_function("emf::parse_line (ordinary line)", |b| {
        b.iter(|| emf::parse_line(black_box(line)).unwrap())
    });
    let emf_line = r#"{"_aws":{"Timestamp":1796189500661,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["route","service"]],"Metrics":[{"Name":"Orders","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds","StorageResolution":1}]}]},"route":"/buy","service":"cart","Orders":[1.0,2.0],"Latency":[12.5]}"#;
    c.bench_function("emf::parse_line (Powertools line)", |b| {
        b.iter(|| emf::parse_line(black_box(emf_line)).unwrap())
    });
    let def = AlarmDefinition::from_cfn_properties(
        "p99",
        &serde_json::json!({"Namespace": "AWS/Lambda", "MetricName": "Duration", "ExtendedStatistic": "p99", "Period": 60,
            "EvaluationPeriods": 3, "Threshold": 100, "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": [{"Name": "FunctionName", "Value": "checkout-service"}, {"Name": "Resource", "Value": "checkout-service:live"}, {"Name": "ExecutedVersion", "Value": "12"}]}),
    )
    .unwrap();
    let mut alarm = Alarm::new(def, t);
    let now = t;
    c.bench_function("alarm.evaluate (p99, 5 periods of dense data)", |b| {
        b.iter(|| alarm.evaluate(black_box(&store), now))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
