//! Cold starts, interleaved run by run across clouds.

use std::time::Instant;

use bytes::Bytes;
use lockgate_cloud::{Cloud, InvokeRequest};

use crate::measure::median;

/// Cold starts of `name` on each cloud, interleaved run by run (so the
/// machine's noise falls on all alike): each cloud's median and best, ms.
/// A cloud whose functions keep a standby sandbox has it made at the start
/// of each run (its instances stopped first) and is measured last, so the
/// sandbox is ready as a function's that has been deployed a moment.
pub async fn cold_starts(clouds: &[(&Cloud, bool)], name: &str, runs: u64) -> Vec<(f64, f64)> {
    let fs: Vec<_> = clouds
        .iter()
        .map(|(c, standby)| (c.function(name).unwrap().clone(), *standby))
        .collect();
    let mut order: Vec<usize> = (0..fs.len()).collect();
    order.sort_by_key(|&i| fs[i].1);
    let mut totals = vec![Vec::new(); fs.len()];
    for _ in 0..runs {
        for (f, standby) in &fs {
            if *standby {
                f.stop_all();
                assert!(f.ensure_standby().await, "no standby sandbox for {name}");
            }
        }
        for &i in &order {
            let (f, standby) = &fs[i];
            if !standby {
                f.stop_all();
            }
            let t = Instant::now();
            let o = f
                .invoke(InvokeRequest {
                    payload: Bytes::from_static(b"{}"),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(
                o.cold && o.function_error.is_none(),
                "{}",
                String::from_utf8_lossy(&o.body)
            );
            totals[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    totals
        .into_iter()
        .map(|t| {
            let best = t.iter().copied().fold(f64::INFINITY, f64::min);
            (median(t), best)
        })
        .collect()
}
