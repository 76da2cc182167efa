//! Commands of a run in its shell session, with the run's log and limits.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Instant;

use super::files::is_identifier;
use super::outcome::{PhaseEvent, PhaseReport, PhaseStatus};
use super::run::RunOptions;
use super::shell::{CmdOutcome, Session};
use super::spec::{Buildspec, PhaseName, Shell};
use crate::log::{Log, Stream};
use crate::sandbox::{self, Jail, Sandbox};

pub(super) struct Runner<'a> {
    pub(super) spec: &'a Buildspec,
    pub(super) opts: &'a RunOptions,
    pub(super) id: String,
    pub(super) log: Log,
    pub(super) sandbox: Sandbox,
    pub(super) src: PathBuf,
    pub(super) home: PathBuf,
    pub(super) tmp: PathBuf,
    pub(super) env: BTreeMap<String, String>,
    pub(super) deny: Vec<PathBuf>,
    pub(super) deadline: Instant,
    pub(super) session: Option<Session>,
    pub(super) phases: Vec<PhaseReport>,
    pub(super) warnings: Vec<String>,
}

impl Runner<'_> {
    pub(super) fn emit(&self, phase: &'static str, status: Option<PhaseStatus>) {
        if let Some(sink) = &self.opts.events {
            sink(&PhaseEvent {
                build_id: self.id.clone(),
                phase,
                status,
            });
        }
    }

    pub(super) fn record(
        &mut self,
        phase: &'static str,
        status: PhaseStatus,
        started: Instant,
        message: Option<String>,
    ) {
        let mut line = format!("Phase complete: {phase} State: {}", status.as_str());
        if let Some(m) = &message {
            line.push_str(&format!("\nPhase context status code: {m}"));
        }
        for l in line.lines() {
            self.log.system(Some(phase), l);
        }
        self.emit(phase, Some(status));
        self.phases.push(PhaseReport {
            phase,
            status,
            duration: started.elapsed(),
            message,
        });
    }

    pub(super) fn shell_command(&self) -> std::process::Command {
        let (program, args): (String, Vec<OsString>) = match self.spec.shell {
            Shell::Sh => ("/bin/sh".into(), Vec::new()),
            Shell::Bash => (
                sandbox::find_in(
                    "bash",
                    self.env
                        .get("PATH")
                        .map(|p| p.as_ref())
                        .unwrap_or_else(|| "/usr/bin:/bin".as_ref()),
                )
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "/bin/bash".into()),
                vec!["--noprofile".into(), "--norc".into()],
            ),
        };
        let jail = Jail {
            workspace: self.src.clone(),
            home: self.home.clone(),
            tmp: self.tmp.clone(),
            deny: self.deny.clone(),
            network: self.opts.network,
            ..Default::default()
        };
        self.sandbox
            .command(&jail, &program, &args, &self.env, &self.src)
    }

    /// Runs one command in the session (starting a shell when there is none).
    pub(super) fn command(
        &mut self,
        phase: &'static str,
        command: &str,
        quiet: bool,
    ) -> CmdOutcome {
        if self.session.as_ref().is_none_or(Session::is_dead) {
            match Session::start(self.shell_command()) {
                Ok(s) => self.session = Some(s),
                Err(e) => {
                    self.log
                        .system(Some(phase), &format!("cannot start the shell: {e}"));
                    return CmdOutcome::ShellExited(-1);
                }
            }
        }
        if !quiet {
            self.log
                .system(Some(phase), &format!("Running command {command}"));
        }
        let Some(session) = self.session.as_mut() else {
            return CmdOutcome::ShellExited(-1);
        };
        let log = &self.log;
        let mut captured = Vec::new();
        let outcome = session.run(command, self.deadline, &mut |line| {
            if quiet {
                captured.push(line.to_string());
            } else {
                log.line(Some(phase), Stream::Output, line);
            }
        });
        if let CmdOutcome::ShellExited(code) = outcome
            && !quiet
        {
            self.log.system(
                Some(phase),
                &format!("the shell exited (status {code}); later commands run in a new shell"),
            );
        }
        outcome
    }

    /// The value of a variable in the session now (hex-encoded through the shell, so any bytes survive).
    pub(super) fn read_var(&mut self, name: &str) -> Option<String> {
        if !is_identifier(name) {
            return None;
        }
        let alive = self.session.as_ref().is_some_and(|s| !s.is_dead());
        if !alive {
            return self.env.get(name).cloned();
        }
        let cmd = format!("printf '%s' \"${{{name}}}\" | od -An -v -tx1 | tr -d ' \\n'; echo");
        let session = self.session.as_mut()?;
        let mut lines = Vec::new();
        match session.run(&cmd, self.deadline, &mut |l| lines.push(l.to_string())) {
            CmdOutcome::Exited(0) => {}
            _ => return self.env.get(name).cloned(),
        }
        let hex = lines.concat();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Runs a phase's commands then its finally block. Returns its status and, on failure, CodeBuild's context message.
    pub(super) fn phase(
        &mut self,
        name: PhaseName,
        succeeding: bool,
    ) -> (PhaseStatus, Option<String>) {
        let phase = name.upper();
        let Some(p) = self.spec.phase(name).cloned() else {
            return (PhaseStatus::Succeeded, None);
        };
        // CODEBUILD_BUILD_SUCCEEDING is 1 until something failed.
        self.command(
            phase,
            &format!("export CODEBUILD_BUILD_SUCCEEDING={}", u8::from(succeeding)),
            true,
        );
        let mut failure: Option<(PhaseStatus, String)> = None;
        for c in &p.commands {
            if let Some(f) = command_failure(self.command(phase, c, false), c) {
                failure = Some(f);
                break;
            }
        }
        if !matches!(failure, Some((PhaseStatus::TimedOut, _))) {
            for c in &p.finally {
                if let Some(f) = command_failure(self.command(phase, c, false), c) {
                    // Running out of time overrides; a failed command
                    // does not hide the phase's own earlier failure.
                    if f.0 == PhaseStatus::TimedOut {
                        failure = Some(f);
                    } else {
                        failure.get_or_insert(f);
                    }
                    break;
                }
            }
        }
        match failure {
            None => (PhaseStatus::Succeeded, None),
            Some((s, m)) => (s, Some(m)),
        }
    }
}

/// How a phase fails when its command `c` ended as `outcome`, in
/// CodeBuild's words; `None` when it succeeded.
fn command_failure(outcome: CmdOutcome, c: &str) -> Option<(PhaseStatus, String)> {
    match outcome {
        CmdOutcome::Exited(0) => None,
        CmdOutcome::TimedOut => Some((
            PhaseStatus::TimedOut,
            format!("BUILD_TIMEOUT Message: Build timed out while executing command: {c}"),
        )),
        CmdOutcome::Exited(code) | CmdOutcome::ShellExited(code) => Some((
            PhaseStatus::Failed,
            format!(
                "COMMAND_EXECUTION_ERROR Message: Error while executing command: {c}. Reason: exit status {code}"
            ),
        )),
    }
}

/// Splits a cache path into (root: home or source, glob relative to it).
pub(super) fn cache_root(path: &str) -> (bool, String) {
    for prefix in ["~/", "$HOME/", "${HOME}/", "/root/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return (true, rest.to_string());
        }
    }
    (false, path.trim_start_matches("./").to_string())
}
