//! Which process is at the other end of a loopback connection, and the
//! process tree of an instance, read from `/proc`.
//!
//! The Runtime API of an instance answers only the instance's own
//! processes: a connection is admitted when the socket that opened it
//! (found by its address in `/proc/net/tcp`) is held by a process in the
//! tree rooted at the instance's process. Runtimes keep one keep-alive
//! connection, so the check runs once per instance, not per invocation.

use std::net::{IpAddr, SocketAddr};

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

/// A local or remote address as `/proc/net/tcp` and `/proc/net/tcp6`
/// print it: `0100007F:1F90` → 127.0.0.1:8080, and the 32-digit IPv6 form
/// (`00000000000000000000000001000000:1F90` → `[::1]:8080`). Each 32-bit
/// word of the address is printed as the kernel holds it, a native-endian
/// word; the port in host order. `None` for anything else.
pub fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    // Read for every line of the tables at a runtime's first connection:
    // no allocation.
    let mut bytes = [0u8; 16];
    let words = match ip.len() {
        8 => 1,
        32 => 4,
        _ => return None,
    };
    for w in 0..words {
        let word = u32::from_str_radix(ip.get(w * 8..w * 8 + 8)?, 16).ok()?;
        bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_ne_bytes());
    }
    let ip = if words == 1 {
        IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])
    } else {
        IpAddr::from(bytes)
    };
    Some(SocketAddr::new(ip, port))
}

/// Whether a socket listening on `local` takes connections made to `addr`:
/// the same address (an IPv4-mapped IPv6 one included), or the unspecified
/// address of the family at the same port (an IPv6 one may take IPv4
/// connections too).
fn takes(local: SocketAddr, addr: SocketAddr) -> bool {
    if local.port() != addr.port() {
        return false;
    }
    let (l, a) = (local.ip(), addr.ip());
    l == a || l.to_canonical() == a || (l.is_unspecified() && (l.is_ipv6() || a.is_ipv4()))
}

/// The inodes of every TCP socket listening where a connection to `addr`
/// would go (on `addr` itself, or on every address of a family that takes
/// it, at its port), from `/proc/net/tcp` and `/proc/net/tcp6`: more than
/// one when several sockets share the port (`SO_REUSEPORT`). `None` when
/// `/proc/net/tcp` cannot be read; a host without IPv6 has no
/// `/proc/net/tcp6`, and no IPv6 listener.
pub fn listening_inodes(addr: SocketAddr) -> Option<Vec<u64>> {
    let v4 = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let v6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    let inodes = v4
        .lines()
        .skip(1)
        .chain(v6.lines().skip(1))
        .filter_map(|line| {
            // sl local remote st tx:rx tr:when retrnsmt uid timeout inode
            let f: Vec<&str> = line.split_whitespace().collect();
            let local = parse_addr(f.get(1)?)?;
            let listening = *f.get(3)? == "0A";
            (listening && takes(local, addr))
                .then(|| f.get(9)?.parse().ok())
                .flatten()
        })
        .collect();
    Some(inodes)
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
    fn kernel_addresses_of_both_families_parse() {
        let at = |s: &str| s.parse::<SocketAddr>().expect("literal");
        assert_eq!(parse_addr("0100007F:1F90"), Some(at("127.0.0.1:8080")));
        assert_eq!(
            parse_addr("00000000000000000000000001000000:1F90"),
            Some(at("[::1]:8080"))
        );
        assert_eq!(
            parse_addr("0000000000000000FFFF00000100007F:0050"),
            Some(at("[::ffff:127.0.0.1]:80"))
        );
        assert_eq!(parse_addr("nonsense"), None);
        assert_eq!(parse_addr("0100007:1F90"), None);
    }

    #[test]
    fn a_listener_takes_its_address_or_any_of_its_family_at_its_port() {
        let at = |s: &str| s.parse::<SocketAddr>().expect("literal");
        let v4 = at("127.0.0.1:80");
        assert!(takes(at("127.0.0.1:80"), v4));
        assert!(takes(at("0.0.0.0:80"), v4));
        assert!(takes(at("[::]:80"), v4));
        assert!(takes(at("[::ffff:127.0.0.1]:80"), v4));
        assert!(!takes(at("127.0.0.2:80"), v4));
        assert!(!takes(at("127.0.0.1:81"), v4));
        let v6 = at("[::1]:80");
        assert!(takes(at("[::1]:80"), v6));
        assert!(takes(at("[::]:80"), v6));
        assert!(!takes(at("0.0.0.0:80"), v6));
    }

    #[test]
    fn listeners_of_both_families_are_found() {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = v4.local_addr().expect("addr");
        let inodes = listening_inodes(addr).expect("/proc/net/tcp");
        assert_eq!(inodes.len(), 1, "{inodes:?}");
        assert!(held_by(&[std::process::id()], inodes[0]));
        drop(v4);
        assert_eq!(listening_inodes(addr), Some(vec![]));
        // IPv6 loopback, where the host has it.
        if let Ok(v6) = std::net::TcpListener::bind("[::1]:0") {
            let addr = v6.local_addr().expect("addr");
            let inodes = listening_inodes(addr).expect("/proc/net/tcp");
            assert_eq!(inodes.len(), 1, "{inodes:?}");
            assert!(held_by(&[std::process::id()], inodes[0]));
        }
    }

    #[test]
    fn our_own_connection_is_ours_and_not_a_childs() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let local = listener.local_addr().expect("addr");
        let client = std::net::TcpStream::connect(local).expect("connect");
        let (_server, peer) = listener.accept().expect("accept");
        assert_eq!(client.local_addr().expect("addr"), peer);
        assert!(connected_from_tree(std::process::id(), peer, local));
        let listening = listening_inodes(local).expect("/proc/net/tcp");
        assert!(!listening.is_empty());
        assert!(listening.iter().all(|&i| held_by(&[std::process::id()], i)));
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
