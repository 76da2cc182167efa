//! Which process is at the other end of a loopback connection, and the
//! process tree of an instance, read from `/proc`.
//!
//! The Runtime API of an instance answers only the instance's own
//! processes: a connection is admitted when the socket that opened it
//! (found by its address in `/proc/net/tcp`) is held by a process in the
//! tree rooted at the instance's process. Runtimes keep one keep-alive
//! connection, so the check runs once per instance, not per invocation.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// `root` and its descendants (through every thread's `children`).
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let pid = tree[i];
        i += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !tree.contains(&child) {
                    tree.push(child);
                }
            }
        }
    }
    tree
}

/// The inode of the TCP socket whose local end is `local` and remote end
/// `remote` (IPv4), from `/proc/net/tcp`.
pub fn socket_inode(local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let mut f = line.split_whitespace();
        let (l, r) = (parse_addr(f.nth(1)?)?, parse_addr(f.next()?)?);
        (l == local && r == remote)
            .then(|| f.nth(6)?.parse().ok())
            .flatten()
    })
}

/// `0100007F:1F90` → 127.0.0.1:8080 (the address as the kernel holds it,
/// printed as a native-endian word; the port in host order).
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let ip = u32::from_str_radix(ip, 16).ok()?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::from(ip.to_ne_bytes())),
        port,
    ))
}

/// The inode of the TCP socket listening on `addr` (or on every address
/// at its port), from `/proc/net/tcp`.
pub fn listening_inode(addr: SocketAddr) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let mut f = line.split_whitespace();
        let local = parse_addr(f.nth(1)?)?;
        let listening = f.nth(1)? == "0A";
        let matches = local == addr || (local.ip().is_unspecified() && local.port() == addr.port());
        (listening && matches)
            .then(|| f.nth(5)?.parse().ok())
            .flatten()
    })
}

/// Whether a process of `pids` holds the socket `inode`.
pub fn held_by(pids: &[u32], inode: u64) -> bool {
    let wanted = format!("socket:[{inode}]");
    pids.iter().any(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == wanted.as_str())
            })
        })
    })
}

/// Whether the connection from `peer` to our `local` address was opened by
/// a process in the tree rooted at `root`.
pub fn connected_from_tree(root: u32, peer: SocketAddr, local: SocketAddr) -> bool {
    match socket_inode(peer, local) {
        Some(inode) => held_by(&process_tree(root), inode),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_addresses_parse() {
        let a = parse_addr("0100007F:1F90").expect("address");
        assert_eq!(a, "127.0.0.1:8080".parse().expect("literal"));
        assert!(parse_addr("nonsense").is_none());
    }

    #[test]
    fn our_own_connection_is_ours_and_not_a_childs() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let local = listener.local_addr().expect("addr");
        let client = std::net::TcpStream::connect(local).expect("connect");
        let (_server, peer) = listener.accept().expect("accept");
        assert_eq!(client.local_addr().expect("addr"), peer);
        assert!(connected_from_tree(std::process::id(), peer, local));
        let listening = listening_inode(local).expect("our listener");
        assert!(held_by(&[std::process::id()], listening));
        // A child's tree (a fresh `sleep`) does not hold our socket.
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        assert!(process_tree(std::process::id()).contains(&child.id()));
        assert!(!connected_from_tree(child.id(), peer, local));
        child.kill().expect("kill");
        child.wait().expect("wait");
    }
}
