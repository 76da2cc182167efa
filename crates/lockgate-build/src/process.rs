//! Running a child process with a time limit, its output streamed line by line.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it.
    Signalled(i32),
    /// It ran past its time limit and was killed.
    TimedOut(Duration),
}

impl Outcome {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }

    /// `exited with status 1`, `was killed by signal 9`, `timed out after 600 s`.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Exited(c) => format!("exited with status {c}"),
            Outcome::Signalled(s) => format!("was killed by signal {s}"),
            Outcome::TimedOut(d) => format!("timed out after {} s", d.as_secs()),
        }
    }
}

enum Event {
    Line(String),
    Eof,
    Exit(std::io::Result<std::process::ExitStatus>),
}

/// Kills a process group.
pub fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with a negative pid signals the process group; no
    // memory is involved. A group that is already gone gives ESRCH, which is
    // what we want anyway.
    unsafe {
        libc::kill(-(pgid as i32), libc::SIGKILL);
    }
}

/// Runs `cmd` (stdin empty, stdout and stderr into one pipe, in a process
/// group of its own) until it ends or `deadline` passes, calling `on_line`
/// for each line of output. When it ends, whatever it left running in its
/// group is killed, as an ephemeral container's would be.
pub fn run(
    mut cmd: Command,
    deadline: Instant,
    on_line: &mut dyn FnMut(&str),
) -> std::io::Result<Outcome> {
    let (reader, writer) = std::io::pipe()?;
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    // The parent's copies of the pipe's write end must go, or EOF never comes.
    drop(cmd);
    let pgid = child.id();
    let (tx, rx) = mpsc::channel();
    let txl = tx.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if txl.send(Event::Line(line)).is_err() {
                        break;
                    }
                }
            }
        }
        // The receiver may be gone when the run ended early; nothing to tell then.
        let _ = txl.send(Event::Eof);
    });
    std::thread::spawn(move || {
        // As above: a closed channel means nobody waits for this any more.
        let _ = tx.send(Event::Exit(child.wait()));
    });
    let mut status = None;
    let mut eof = false;
    let mut timed_out = false;
    while status.is_none() || !eof {
        let now = Instant::now();
        let wait = if timed_out {
            Duration::from_secs(5)
        } else {
            deadline.saturating_duration_since(now)
        };
        match rx.recv_timeout(wait) {
            Ok(Event::Line(l)) => on_line(&l),
            Ok(Event::Eof) => eof = true,
            Ok(Event::Exit(s)) => {
                status = Some(s?);
                // Stray processes holding the pipe open would keep EOF away.
                kill_group(pgid);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if timed_out {
                    break; // killed and still not gone: give up on its output
                }
                timed_out = true;
                kill_group(pgid);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if timed_out {
        return Ok(Outcome::TimedOut(started.elapsed()));
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(match status {
        Some(s) => match (s.code(), s.signal()) {
            (Some(c), _) => Outcome::Exited(c),
            (None, Some(sig)) => Outcome::Signalled(sig),
            (None, None) => Outcome::Exited(-1),
        },
        None => Outcome::Exited(-1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_lines_and_reports_status() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo one; echo two >&2; exit 3"]);
        let mut lines = Vec::new();
        let out = run(cmd, Instant::now() + Duration::from_secs(60), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        assert_eq!(out, Outcome::Exited(3));
        assert_eq!(lines, ["one", "two"]);
    }

    #[test]
    fn a_process_past_its_deadline_is_killed() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; sleep 30"]);
        let out = run(
            cmd,
            Instant::now() + Duration::from_millis(300),
            &mut |_| {},
        )
        .unwrap();
        assert!(matches!(out, Outcome::TimedOut(_)), "{out:?}");
    }
}
