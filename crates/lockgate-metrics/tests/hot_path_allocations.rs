//! The recording hot path allocates nothing in the steady state: a counting
//! global allocator watches `record` on a known metric (same bucket and new
//! buckets, whose buffers are recycled from expired ones) and a Lambda
//! invocation through `InvocationRecorder`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lockgate_metrics::lambda::{InvocationRecorder, Outcome};
use lockgate_metrics::{MetricKey, MetricStore, StoreConfig, Timestamp};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted(f: impl FnOnce()) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    f();
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst)
}

#[test]
fn recording_does_not_allocate_in_the_steady_state() {
    // A short retention so that buckets expire and are recycled quickly.
    let store = MetricStore::new(StoreConfig {
        retention_secs: 10,
        ..StoreConfig::default()
    });
    let key = MetricKey::new("AWS/Lambda", "Duration")
        .with_dimension("FunctionName", "f")
        .with_dimension("Resource", "f:live");
    let recorder = InvocationRecorder::new(&store, "f", Some("live"), "3").unwrap();
    let outcome = Outcome {
        duration_ms: 12.0,
        error: false,
        throttled: false,
        cold: false,
    };
    let start = Timestamp::from_secs(1_800_000_000);
    // 100 values a second for 20 seconds: two retentions, so the ring of
    // buckets and their buffers have reached their steady size.
    let step = 10_000;
    let mut t = start;
    let warm = |t: &mut Timestamp, n: usize| {
        for _ in 0..n {
            *t = t.plus_micros(step);
            store.record(&key, 5.0, *t).unwrap();
            recorder.record(&outcome, *t);
        }
    };
    warm(&mut t, 2000);
    let n = counted(|| warm(&mut t, 3000));
    assert_eq!(
        n, 0,
        "{n} allocations while recording 3 000 values and invocations over 30 seconds"
    );
}
