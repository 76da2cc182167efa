//! When a deploy's progress stream breaks after the server committed it,
//! the CLI asks the server how the deploy ended and reports that — it does
//! not call a committed deploy failed.

mod stage_common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use stage_common::*;

/// A loopback proxy to `upstream` that cuts the first `POST …/deploy`
/// answer right after its first bytes (the stream breaks mid-deploy), and
/// forwards every other connection whole.
fn cutting_proxy(upstream: String) -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cut = Arc::new(AtomicBool::new(false));
    let did_cut = cut.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            let did_cut = did_cut.clone();
            std::thread::spawn(move || forward(client, &upstream, &did_cut));
        }
    });
    (url, cut)
}

fn forward(mut client: TcpStream, upstream: &str, did_cut: &AtomicBool) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    // Client → server, whole; note whether this connection deploys.
    let deploying = Arc::new(AtomicBool::new(false));
    let d = deploying.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = c2.read(&mut buf) {
            if n == 0 {
                break;
            }
            if String::from_utf8_lossy(&buf[..n]).contains("/deploy HTTP/1.1") {
                d.store(true, Ordering::SeqCst);
            }
            if s2.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = s2.shutdown(std::net::Shutdown::Write);
    });
    // Server → client; a deploy's answer is cut right after its headers,
    // whatever else arrived with them: the stream always breaks before the
    // result line.
    let mut buf = [0u8; 65536];
    while let Ok(n) = server.read(&mut buf) {
        if n == 0 {
            break;
        }
        let cut_here = deploying.load(Ordering::SeqCst) && !did_cut.load(Ordering::SeqCst);
        let end = if cut_here {
            buf[..n]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(n, |i| i + 4)
        } else {
            n
        };
        if client.write_all(&buf[..end]).is_err() {
            break;
        }
        if cut_here {
            did_cut.store(true, Ordering::SeqCst);
            let _ = client.shutdown(std::net::Shutdown::Both);
            let _ = server.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Write);
}

#[test]
fn a_broken_progress_stream_asks_the_server_how_the_deploy_ended() {
    let server = ServerProc::start();
    let (_tmp, app) = greeter_copy();
    put_secrets(&server, &app);
    let upstream = server.url.trim_start_matches("http://").to_string();
    let (proxy, cut) = cutting_proxy(upstream);
    let out = bin()
        .current_dir(&app)
        .env("LOCKGATE_SERVER", &proxy)
        .env("LOCKGATE_TOKEN_FILE", &server.token_file)
        .args(["deploy", "--stage", "dev", "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(cut.load(Ordering::SeqCst), "the proxy never cut the stream");
    assert!(
        out.status.success(),
        "{:?} {stderr} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "CREATE_COMPLETE", "{v}");
    assert!(
        v["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("the server reports the deploy ended CREATE_COMPLETE")),
        "{v}"
    );
    // It did commit: the stage serves.
    let url = stage_url(&server, &app, "dev");
    assert_eq!(hello(&url, "ida")["message"], "Hi, ida!");
}
