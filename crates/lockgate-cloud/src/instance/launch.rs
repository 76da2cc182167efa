//! What a process is started with: its program, arguments, environment,
//! and the sandbox it runs in (wrapped again at each start).

use std::path::PathBuf;

/// What a process needs to be started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<std::ffi::OsString>,
    /// The working directory.
    pub cwd: PathBuf,
    /// The whole environment (the runtime API address is added).
    pub env: Vec<(String, String)>,
    /// The sandbox `program` and `args` run in, when they do: its arguments
    /// are made again at every start, since what they hide depends on what
    /// exists then (a server's state that appears beside a function's code
    /// after the function was set up, or goes away).
    pub confined: Option<Confined>,
}

/// A program to run confined, wrapped again at every start.
#[derive(Debug, Clone)]
pub struct Confined {
    /// The sandbox.
    pub sandbox: lockgate_sandbox::Sandbox,
    /// What the process may see.
    pub jail: lockgate_sandbox::Jail,
    /// The gate program of a sandbox made ahead of need, on the host
    /// ([`lockgate_sandbox::GATE_PROGRAM`] written out): without it no
    /// instance is parked.
    pub gate: Option<PathBuf>,
}

impl Launch {
    /// The program, arguments and environment to start now (the Runtime
    /// API's address `api` added); `gated` (the gate's descriptors), in a
    /// sandbox that waits for its gate to open before it starts the program (see
    /// [`Sandbox::wrap`](lockgate_sandbox::Sandbox::wrap)).
    pub(super) fn command_line(
        &self,
        api: &str,
        gated: Option<lockgate_sandbox::GateFds>,
    ) -> lockgate_sandbox::Wrapped {
        let mut env = self.env.clone();
        env.push(("AWS_LAMBDA_RUNTIME_API".to_string(), api.to_string()));
        match &self.confined {
            None => lockgate_sandbox::Wrapped {
                program: self.program.clone().into_os_string(),
                args: self.args.clone(),
                env,
            },
            // Inside, the process starts in its code, where Lambda's does.
            Some(c) => c.sandbox.wrap(
                &c.jail,
                self.program.as_os_str(),
                &self.args,
                std::path::Path::new(crate::bootstrap::TASK_ROOT),
                &env,
                gated,
            ),
        }
    }

    /// Whether instances run in a sandbox that can be made ahead of need
    /// ([`Instance::park`]).
    pub fn can_park(&self) -> bool {
        self.confined
            .as_ref()
            .is_some_and(|c| c.sandbox.is_sandboxed() && c.gate.is_some())
    }

    /// What a sandbox made now would be made from: its arguments and the
    /// identity of the paths they name.
    pub(super) fn fingerprint(&self) -> Fingerprint {
        let w = self.command_line("", None);
        let identity = self
            .confined
            .as_ref()
            .map(|c| c.jail.identity())
            .unwrap_or_default();
        Fingerprint {
            program: w.program,
            args: w.args,
            identity,
        }
    }
}

/// What a sandbox was made from (see [`lockgate_sandbox::Jail::identity`]).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Fingerprint {
    program: std::ffi::OsString,
    args: Vec<std::ffi::OsString>,
    identity: Vec<Option<(u64, u64)>>,
}
