//! Free loopback ports for the services tests and the benchmark start.
//!
//! Ports come from below the kernel's ephemeral range (32768 and up on
//! Linux): a port the kernel hands out for `bind(0)` is also what it hands
//! out as the local end of outgoing connections, so between picking it and
//! the service binding it, a client connection of a concurrent test could
//! take it. Below that range only another explicit bind can.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

const FIRST: u32 = 12_000;
const COUNT: u32 = 10_000;

/// Where this process starts looking: spread by process id so that
/// processes running side by side start far apart.
static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);

fn candidate() -> u16 {
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7919) % COUNT,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    (FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % COUNT) as u16
}

fn is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A free port no other caller in this process has been given.
pub fn free_port() -> u16 {
    loop {
        let port = candidate();
        if is_free(port) {
            return port;
        }
    }
}

/// A free port p whose twin p + `offset` is free too (SeaweedFS serves the
/// gRPC side of each of its ports on p + 10000); both stay below 32768.
pub fn free_port_with_twin(offset: u16) -> u16 {
    loop {
        let port = candidate();
        if is_free(port) && is_free(port + offset) {
            return port;
        }
    }
}
