//! Measuring a warm run: wrk's figures, the CPU time every process of
//! the run used, the busy work of the calibration, medians.

use std::process::Command;

pub struct Wrk {
    pub rps: f64,
    /// Latency percentiles in microseconds.
    pub p50: f64,
    pub p99: f64,
    /// CPU time per request in microseconds of everything the run used:
    /// this process (the servers), the runtimes, wrk.
    pub cpu_split: [f64; 3],
}

impl Wrk {
    /// CPU time per request in all, in microseconds.
    pub fn cpu_us(&self) -> f64 {
        self.cpu_split.iter().sum()
    }
}

/// CPU time used so far (user + system, µs): by this process, by its
/// reaped children (wrk, once it has ended) and by each live descendant
/// (the runtimes, and the sandboxes around them).
pub struct CpuClock {
    me: f64,
    reaped: f64,
    descendants: Vec<(u32, f64)>,
}

pub fn rusage_us(who: libc::c_int) -> f64 {
    // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes one `rusage` into the struct it is given.
    unsafe { libc::getrusage(who, &mut u) };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(u.ru_utime) + us(u.ru_stime)
}

/// `steps` of a busy loop: user-space work only, no system call (the kind
/// of work the gateway adds to a request).
pub fn busy(steps: u64) {
    let mut x = 0u64;
    for i in 0..steps {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    std::hint::black_box(x);
}

/// How many steps of [`busy`] take `extra` of this thread's CPU time.
pub fn busy_steps(extra: std::time::Duration) -> u64 {
    if extra.is_zero() {
        return 0;
    }
    const SAMPLE: u64 = 20_000_000;
    let start = rusage_us(libc::RUSAGE_THREAD);
    busy(SAMPLE);
    let took_us = (rusage_us(libc::RUSAGE_THREAD) - start).max(1.0);
    (SAMPLE as f64 * extra.as_secs_f64() * 1e6 / took_us) as u64
}

/// A process's CPU time: the sum over its threads of
/// `/proc/PID/task/TID/schedstat` (nanoseconds on the CPU, not ticks).
pub fn process_us(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let ns: f64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .sum();
    Some(ns / 1e3)
}

impl CpuClock {
    fn now() -> CpuClock {
        let me = std::process::id();
        CpuClock {
            me: rusage_us(libc::RUSAGE_SELF),
            reaped: rusage_us(libc::RUSAGE_CHILDREN),
            descendants: lockgate_cloud::peer::process_tree(me)
                .into_iter()
                .filter(|&p| p != me)
                .filter_map(|p| Some((p, process_us(p)?)))
                .collect(),
        }
    }

    /// CPU used since `before` by this process, by the descendants alive
    /// at both readings, and by the children reaped between them.
    fn since(&self, before: &CpuClock) -> [f64; 3] {
        let runtimes: f64 = self
            .descendants
            .iter()
            .filter_map(|(pid, t)| {
                let (_, t0) = before.descendants.iter().find(|(p, _)| p == pid)?;
                Some(t - t0)
            })
            .sum();
        [self.me - before.me, runtimes, self.reaped - before.reaped]
    }
}

/// wrk's latency (`29.00us`, `1.23ms`, `2.00s`) in microseconds.
pub fn micros(text: &str) -> f64 {
    let (num, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e6)
    } else {
        (text, f64::NAN)
    };
    num.parse::<f64>().map(|v| v * scale).unwrap_or(f64::NAN)
}

/// `total (servers + runtimes + wrk)`.
pub fn show_cpu(w: &Wrk) -> String {
    let [s, r, l] = w.cpu_split;
    format!("{:.0} ({s:.0} + {r:.0} + {l:.0})", w.cpu_us())
}

pub fn show_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// Runs wrk off the runtime's threads (a current-thread runtime must keep
/// serving while it runs).
pub async fn wrk(url: &str, connections: u64, seconds: u64) -> Wrk {
    let url = url.to_string();
    let before = CpuClock::now();
    let (mut w, requests) =
        tokio::task::spawn_blocking(move || run_wrk(&url, connections, seconds))
            .await
            .expect("wrk thread");
    w.cpu_split = CpuClock::now()
        .since(&before)
        .map(|us| us / requests.max(1.0));
    w
}

/// One wrk run, and how many requests it made.
pub fn run_wrk(url: &str, connections: u64, seconds: u64) -> (Wrk, f64) {
    let out = Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            url,
        ])
        .output()
        .expect("wrk is needed: apt-get install -y wrk");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("Non-2xx"),
        "non-2xx responses during the run:\n{text}"
    );
    let find = |prefix: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_string()
    };
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let w = Wrk {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        p50: micros(&find("50%")),
        p99: micros(&find("99%")),
        cpu_split: [f64::NAN; 3],
    };
    (w, requests)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
