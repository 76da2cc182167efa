//! One shell session for all of a build's commands, as buildspec 0.2 runs
//! them: `cd` and `export` in one command carry over to the next, across
//! phases.
//!
//! Commands are written to the shell's standard input, each as
//! `eval '<command>' </dev/null` followed by a line printing a marker (a
//! random string per session) and the command's status, so the output
//! streams live and each command's end is known. A command's own standard
//! input is empty. A command that ends the shell (`exit 1`) fails, and the
//! next command runs in a new shell.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdOutcome {
    /// It finished with this status.
    Exited(i32),
    /// It ended the shell, with this status.
    ShellExited(i32),
    /// The build's time ran out while it ran.
    TimedOut,
}

enum Event {
    Line(String),
    Eof,
}

/// A running shell.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Event>,
    marker: String,
    pgid: u32,
    dead: bool,
}

/// Quotes text for a POSIX shell: in single quotes, `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Session {
    /// Starts the shell `cmd` (already confined and given its environment).
    pub fn start(mut cmd: Command) -> std::io::Result<Session> {
        let (reader, writer) = std::io::pipe()?;
        cmd.stdin(Stdio::piped())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .process_group(0);
        let mut child = cmd.spawn()?;
        drop(cmd);
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(reader);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf)
                            .trim_end_matches(['\n', '\r'])
                            .to_string();
                        if tx.send(Event::Line(line)).is_err() {
                            return;
                        }
                    }
                }
            }
            // The session may be gone already; then nobody needs the EOF.
            let _ = tx.send(Event::Eof);
        });
        let pgid = child.id();
        Ok(Session {
            child,
            stdin,
            rx,
            marker: format!("__lockgate_{}", uuid::Uuid::new_v4().simple()),
            pgid,
            dead: false,
        })
    }

    /// Whether the shell has ended (a new one is needed).
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Runs one command, calling `on_line` with each line of its output.
    pub fn run(
        &mut self,
        command: &str,
        deadline: Instant,
        on_line: &mut dyn FnMut(&str),
    ) -> CmdOutcome {
        let script = format!(
            "eval {} </dev/null\nprintf '%s %d\\n' {} \"$?\"\n",
            quote(command),
            self.marker
        );
        let written = self
            .stdin
            .as_mut()
            .map(|s| {
                s.write_all(script.as_bytes())
                    .and_then(|()| s.flush())
                    .is_ok()
            })
            .unwrap_or(false);
        if !written {
            return self.ended();
        }
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(wait) {
                Ok(Event::Line(line)) => {
                    if let Some(i) = line.find(&self.marker) {
                        if i > 0 {
                            on_line(&line[..i]);
                        }
                        let code = line[i + self.marker.len()..].trim().parse().unwrap_or(-1);
                        return CmdOutcome::Exited(code);
                    }
                    on_line(&line);
                }
                Ok(Event::Eof) | Err(mpsc::RecvTimeoutError::Disconnected) => return self.ended(),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.kill();
                    return CmdOutcome::TimedOut;
                }
            }
        }
    }

    /// The shell ended while a command ran.
    fn ended(&mut self) -> CmdOutcome {
        self.dead = true;
        self.stdin = None;
        let code = match self.child.wait() {
            Ok(s) => s.code().unwrap_or(-1),
            Err(_) => -1,
        };
        crate::process::kill_group(self.pgid);
        CmdOutcome::ShellExited(code)
    }

    /// Ends the shell and everything it started.
    pub fn kill(&mut self) {
        self.stdin = None;
        crate::process::kill_group(self.pgid);
        // Reaps the shell; its status does not matter any more.
        let _ = self.child.wait();
        self.dead = true;
    }

    /// Ends the session normally (closing its input), then kills what is left.
    pub fn finish(mut self) {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Event::Eof) | Err(_) => break,
                Ok(Event::Line(_)) => {}
            }
        }
        self.kill();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.dead {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Session {
        let mut c = Command::new("/bin/sh");
        c.env_clear().env("PATH", "/usr/bin:/bin");
        Session::start(c).unwrap()
    }

    #[test]
    fn state_carries_over_between_commands() {
        let mut s = sh();
        let far = Instant::now() + Duration::from_secs(60);
        let mut out = Vec::new();
        assert_eq!(
            s.run("cd /tmp && export GREETING='it''s'", far, &mut |l| out
                .push(l.to_string())),
            CmdOutcome::Exited(0)
        );
        assert_eq!(
            s.run(
                "pwd; echo \"$GREETING\"; printf 'no newline'",
                far,
                &mut |l| out.push(l.to_string())
            ),
            CmdOutcome::Exited(0)
        );
        assert_eq!(
            s.run("false", far, &mut |l| out.push(l.to_string())),
            CmdOutcome::Exited(1)
        );
        assert_eq!(
            s.run("cat; echo read-nothing", far, &mut |l| out
                .push(l.to_string())),
            CmdOutcome::Exited(0)
        );
        assert_eq!(out, ["/tmp", "its", "no newline", "read-nothing"]);
        assert_eq!(
            s.run("exit 4", far, &mut |_| {}),
            CmdOutcome::ShellExited(4)
        );
        assert!(s.is_dead());
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(quote("a'b"), r"'a'\''b'");
    }
}
