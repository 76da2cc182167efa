//! Embedded Metric Format lines written by the real Powertools for AWS
//! Lambda (Python, `.ci/requirements.txt`), read into the store.

use std::path::Path;
use std::process::Command;

use lockgate_metrics::emf;
use lockgate_metrics::stats::Statistic;
use lockgate_metrics::{MetricKey, MetricStore, StoreConfig, Timestamp, Unit};

#[test]
fn powertools_metrics_reach_the_store() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/powertools_emf.py");
    let out = Command::new("python3")
        .arg(&script)
        .output()
        .expect("python3 must be installed to run the Powertools EMF test");
    assert!(
        out.status.success(),
        "the Powertools script failed (aws-lambda-powertools comes from .ci/requirements.txt; run .ci/install):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let store = MetricStore::new(StoreConfig::default());
    let (mut emf_lines, mut other) = (0, 0);
    for line in stdout.lines() {
        match emf::ingest_line(&store, line).unwrap_or_else(|e| panic!("{e}: {line}")) {
            0 => other += 1,
            _ => emf_lines += 1,
        }
    }
    assert_eq!(other, 2, "{stdout}");
    assert_eq!(emf_lines, 3, "{stdout}"); // the function's metrics, the single metric, the cold start
    let all = store.metrics(Timestamp(0));
    let names: Vec<String> = all.iter().map(|k| k.to_string()).collect();
    assert!(
        names.contains(&"Shop/Orders {route=/buy, service=cart}".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Shop/ColdStart {function_name=checkout, service=cart}".to_string()),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("Shop/Refunds {") && n.contains("reason=damaged")),
        "{names:?}"
    );
    let orders = store
        .get(
            &MetricKey::new("Shop", "Orders")
                .with_dimension("route", "/buy")
                .with_dimension("service", "cart"),
        )
        .unwrap();
    let a = orders.aggregate(Timestamp(0), Timestamp(i64::MAX), true);
    assert_eq!((a.count, a.sum), (2.0, 3.0));
    assert_eq!(orders.unit(), Unit::Count);
    let latency = store
        .get(
            &MetricKey::new("Shop", "Latency")
                .with_dimension("route", "/buy")
                .with_dimension("service", "cart"),
        )
        .unwrap();
    let a = latency.aggregate(Timestamp(0), Timestamp(i64::MAX), true);
    assert_eq!(Statistic::Percentile(99.0).compute(&a), Some(12.5));
    assert_eq!(latency.unit(), Unit::Milliseconds);
    // The metadata member is not a metric.
    assert!(!names.iter().any(|n| n.contains("order_id")));
}
