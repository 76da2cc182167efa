//! Instances whose sandbox is made ahead of need: made, waiting at their
//! gate, started by a cold start (see `docs/local-cloud.md`, "A standby
//! sandbox per function").

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use super::launch::Fingerprint;
use super::{Instance, Launch, lock};
use crate::logs::FunctionLog;

/// An instance whose sandbox is made — namespaces, mounts, its Runtime API
/// listening — and whose runtime has not started: it starts when
/// [`Parked::start`] opens the gate its sandbox waits at. Dropped unused,
/// the sandbox is stopped; if the server dies, the gate reads the end of
/// its pipe and the sandbox ends without starting anything.
#[derive(Debug)]
pub struct Parked {
    inst: Arc<Instance>,
    gate: Option<std::io::PipeWriter>,
    made_from: Fingerprint,
    made: watch::Receiver<bool>,
}

impl Parked {
    /// Whether starting it now gives the process what a sandbox made now
    /// would: the sandbox is alive and `launch` makes the same arguments
    /// from the same paths (a directory to hide that appeared since, or a
    /// code directory replaced, would otherwise be seen as it was).
    pub fn is_current(&self, launch: &Launch) -> bool {
        !self.inst.is_dead() && !self.inst.was_killed() && self.made_from == launch.fingerprint()
    }

    /// Starts the runtime in the sandbox made ahead (whether or not it is
    /// made yet: the gate is read once it is); its init is counted from now.
    pub fn start(mut self) -> std::io::Result<Arc<Instance>> {
        use std::io::Write;
        *lock(&self.inst.started) = Instant::now();
        // What it writes from now on is the function's.
        self.inst
            .behind_gate
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let result = match self.gate.as_mut() {
            Some(gate) => gate.write_all(b"go\n"),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        // Written or not, the gate is closed: a sandbox that did not read
        // `go` ends at the end of the file. One that could not be told is
        // stopped (by `drop`, which sees the gate still here).
        result?;
        self.gate = None;
        Ok(self.inst.clone())
    }

    /// The instance (not started yet).
    pub fn instance(&self) -> &Arc<Instance> {
        &self.inst
    }

    /// Resolves once the sandbox is made (it said so), or never if it
    /// ended before it was.
    pub fn made(&self) -> impl Future<Output = ()> + use<> {
        let mut made = self.made.clone();
        async move {
            if made.wait_for(|m| *m).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        if self.gate.is_some() {
            self.inst.kill();
        }
    }
}

impl Instance {
    /// Makes an instance's sandbox ahead of need, its runtime not started
    /// ([`Parked::start`] starts it): a cold start then pays for the
    /// runtime's init, not for making the sandbox. Only for a launch that
    /// [can park](Launch::can_park).
    pub async fn park(launch: &Launch, log: FunctionLog) -> std::io::Result<Parked> {
        if !launch.can_park() {
            return Err(std::io::Error::other(
                "only a sandboxed instance can be parked",
            ));
        }
        let made_from = launch.fingerprint();
        let (gate_reader, gate) = std::io::pipe()?;
        let (ready, ready_writer) = std::io::pipe()?;
        let inst = Instance::start(launch, log, Some((gate_reader, ready_writer))).await?;
        // The sandbox says `r` once it is made; the end of the pipe first
        // means it ended before.
        let (made_tx, made) = watch::channel(false);
        let ready = tokio::net::unix::pipe::Receiver::from_owned_fd(ready.into())?;
        tokio::spawn(async move {
            let mut byte = [0u8; 1];
            loop {
                if ready.readable().await.is_err() {
                    return;
                }
                match ready.try_read(&mut byte) {
                    Ok(1) if byte[0] == b'r' => {
                        made_tx.send_replace(true);
                        return;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    _ => return,
                }
            }
        });
        Ok(Parked {
            inst,
            gate: Some(gate),
            made_from,
            made,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::instance::Confined;
    use crate::logs::{LogLine, SinkSlot};

    /// A standby's own failure (bubblewrap could not make the sandbox) is
    /// marked as such in the function's log; what the runtime writes once
    /// the gate has opened is the function's, unmarked.
    #[tokio::test(flavor = "multi_thread")]
    async fn what_a_standby_writes_before_its_gate_opens_is_marked() {
        let sandbox =
            lockgate_sandbox::Sandbox::detect(lockgate_sandbox::SandboxMode::Auto).unwrap();
        if !sandbox.is_sandboxed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "bubblewrap is needed in CI (.ci/install installs it)"
            );
            // Skipped (said on stderr): no bubblewrap outside CI.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("what_a_standby_writes_before_its_gate_opens_is_marked: skipped");
            }
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let gate = dir.path().join("gate");
        std::fs::write(&gate, lockgate_sandbox::GATE_PROGRAM).unwrap();
        std::fs::set_permissions(&gate, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        // The code directory every instance starts in.
        let code = lockgate_sandbox::Jail {
            mapped: vec![(dir.path().to_path_buf(), crate::bootstrap::TASK_ROOT.into())],
            ..Default::default()
        };
        let launch = |jail: lockgate_sandbox::Jail| Launch {
            program: "/bin/echo".into(),
            args: vec!["said by the runtime".into()],
            cwd: "/".into(),
            env: Vec::new(),
            confined: Some(Confined {
                sandbox: sandbox.clone(),
                jail,
                gate: Some(gate.clone()),
            }),
        };
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = lines.clone();
        let sink = Arc::new(move |l: &LogLine<'_>| lock(&seen).push(l.line.to_string()));
        let log = FunctionLog::new(SinkSlot::new(sink), "f", "$LATEST");
        let until_closed = |inst: Arc<Instance>| async move {
            tokio::time::timeout(Duration::from_secs(10), inst.wait_dead())
                .await
                .expect("the process ended");
            inst.sync_output().await;
        };

        // A directory to bind that does not exist: bubblewrap fails.
        let broken = lockgate_sandbox::Jail {
            writable: vec![dir.path().join("missing")],
            ..code.clone()
        };
        let parked = Instance::park(&launch(broken), log.clone()).await.unwrap();
        until_closed(parked.instance().clone()).await;
        let said = lock(&lines).clone();
        assert!(
            said.iter()
                .any(|l| l.starts_with(&format!("{}bwrap:", crate::instance::STANDBY_PREFIX))),
            "{said:?}"
        );

        lock(&lines).clear();
        let parked = Instance::park(&launch(code), log).await.unwrap();
        let made = tokio::time::timeout(Duration::from_secs(10), parked.made()).await;
        assert!(made.is_ok(), "the sandbox was not made: {:?}", lock(&lines));
        let inst = parked.start().unwrap();
        until_closed(inst).await;
        assert_eq!(*lock(&lines), ["said by the runtime"]);
    }
}
