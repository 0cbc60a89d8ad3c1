//! Which local process is at the other end of a loopback connection, for the hand-out log.
//! Linux only and best effort: the client socket's inode from `/proc/net/tcp`, the process of
//! the same user holding that inode among `/proc/*/fd`, and its name from `/proc/<pid>/comm`.
//! Elsewhere, or when anything is unreadable, the answer is `None`. And [`Peer`], who is at the
//! other end of a request.

use std::net::SocketAddr;

/// Who is at the other end of a request, set on each request by the accept loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Peer {
    /// A loopback client of the HTTP endpoint, by its address.
    Tcp(SocketAddr),
    /// A process of this user on the daemon socket, by its pid when the OS tells it.
    Local {
        /// The client's pid.
        pid: Option<i32>,
    },
}

/// `"<name> (pid <pid>)"` of the process whose socket `client` is connected to this server's
/// `server_port` on 127.0.0.1.
#[cfg(target_os = "linux")]
pub(crate) fn process_of(client: SocketAddr, server_port: u16) -> Option<String> {
    let SocketAddr::V4(client) = client else {
        return None;
    };
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let inode = socket_inode(&table, client, server_port)?;
    let pid = holder_of(inode)?;
    process_named(i32::try_from(pid).ok()?)
}

/// `"<name> (pid <pid>)"` of process `pid` (a daemon-socket client, whose pid the kernel told).
#[cfg(target_os = "linux")]
pub(crate) fn process_named(pid: i32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(format!("{} (pid {pid})", comm.trim_end()))
}

/// `"pid <pid>"`: the name is not looked up on this platform.
#[cfg(not(target_os = "linux"))]
pub(crate) fn process_named(pid: i32) -> Option<String> {
    Some(format!("pid {pid}"))
}

/// Not known on this platform.
#[cfg(not(target_os = "linux"))]
pub(crate) fn process_of(_client: SocketAddr, _server_port: u16) -> Option<String> {
    None
}

/// The inode of the socket whose local end is `client` and remote end 127.0.0.1:`server_port`,
/// from the text of `/proc/net/tcp` (addresses as the kernel prints them: the IPv4 address as a
/// host-order hex word, the port as hex).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn socket_inode(table: &str, client: std::net::SocketAddrV4, server_port: u16) -> Option<u64> {
    let hex = |ip: std::net::Ipv4Addr, port: u16| {
        format!("{:08X}:{port:04X}", u32::from_ne_bytes(ip.octets()))
    };
    let local = hex(*client.ip(), client.port());
    let remote = hex(std::net::Ipv4Addr::LOCALHOST, server_port);
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let matches = fields.len() > 9 && fields[1] == local && fields[2] == remote;
        matches
            .then(|| fields[9].parse().ok())
            .flatten()
            .filter(|inode| *inode != 0)
    })
}

/// The pid of a process of this user holding `socket:[inode]` open. Newest pids first: a
/// client is usually younger than the endpoint, and one that exits before the scan reaches it
/// is not found.
#[cfg(target_os = "linux")]
fn holder_of(inode: u64) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    let target = format!("socket:[{inode}]");
    let own_uid = std::fs::metadata("/proc/self").ok()?.uid();
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        // Other users' descriptors are not ours to read; skipping them keeps the scan short.
        .filter(|e| e.metadata().is_ok_and(|m| m.uid() == own_uid))
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    pids.sort_unstable_by(|a, b| b.cmp(a));
    pids.into_iter().find(|pid| {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            return false;
        };
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == target.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_socket_is_found_by_both_of_its_ends() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:B8A2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n\
           1: 0100007F:B8A2 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 20 4 30 10 -1\n\
           2: 0100007F:D431 0100007F:B8A2 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1\n";
        let client = "127.0.0.1:54321".parse().unwrap();
        assert_eq!(socket_inode(table, client, 0xB8A2), Some(333));
        assert_eq!(socket_inode(table, client, 1), None, "another server port");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_loopback_client_in_this_process_is_found() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_server_side, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let found = process_of(peer, port);
        assert_eq!(
            found
                .as_deref()
                .and_then(|p| p.rsplit_once(' '))
                .map(|(_, pid)| pid),
            Some(format!("{})", std::process::id()).as_str()),
            "{found:?}"
        );
    }
}
