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
