//! Relay mode with an impaired link and a capture: `cuatro-sim` with
//! `--loss/--delay/... --pcap`, played through 127.0.0.1 by kernel TCP
//! clients that referee every reply; the capture parses as pcap.

mod common;

use cuatro_proto::Codec;
use sim::impair::Impairments;
use sim::netsim::CAPTURE_EPOCH_MICROS;
use sim::{pcap, Running, SimConfig, BOARD_MAC};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn count_board_tcp(bytes: &[u8]) -> usize {
    let records = pcap::parse(bytes).unwrap_or_else(|e| panic!("bad pcap: {e}"));
    records
        .iter()
        .filter(|r| r.data.len() > 34 && r.data[6..12] == BOARD_MAC.0 && r.data[23] == 6)
        .count()
}

#[test]
fn lossy_relay_in_process_with_capture() {
    let dir = std::env::temp_dir().join(format!("cuatro-relay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("relay.pcap");
    let sim = Running::spawn(SimConfig {
        port_base: 0,
        impair: Impairments {
            loss: 5.0,
            corrupt: 1.0,
            duplicate: 2.0,
            reorder: 5.0,
            delay: Duration::from_millis(2),
            jitter: Duration::from_millis(1),
            seed: 3,
            ..Default::default()
        },
        pcap: Some(capture.clone()),
        upload_dir: dir.join("up"),
        ..Default::default()
    })
    .unwrap();
    let a = sim.addrs();
    let t1 = std::thread::spawn(move || common::play(a.classic, Codec::Classic, 2, false, 1));
    let t2 = std::thread::spawn(move || common::play(a.compact, Codec::Compact, 2, false, 2));
    let r1 = t1
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("classic: {e}"));
    let r2 = t2
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("compact: {e}"));
    drop(sim);
    let bytes = std::fs::read(&capture).unwrap();
    let frames = count_board_tcp(&bytes);
    println!("{r1} + {r2} replies; {frames} board TCP frames captured");
    assert!(frames > 20);
    // Wall-clock timestamps, not virtual ones.
    let first = pcap::parse(&bytes).unwrap()[0].micros;
    assert!(first as i64 > CAPTURE_EPOCH_MICROS);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary: impairment flags, `--pcap`, the unchanged ready line.
#[test]
fn cuatro_sim_binary_lossy_relay() {
    let dir = std::env::temp_dir().join(format!("cuatro-relay-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("bin.pcap");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuatro-sim"))
        .args([
            "--port-base",
            "0",
            "--loss",
            "5",
            "--delay",
            "3",
            "--jitter",
            "2",
        ])
        .args([
            "--reorder",
            "3",
            "--duplicate",
            "1",
            "--mtu",
            "576",
            "--seed",
            "9",
        ])
        .arg("--pcap")
        .arg(&capture)
        .arg("--upload-dir")
        .arg(dir.join("up"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let result = (|| -> Result<u64, String> {
        let line = line.map_err(|_| "no ready line in 30 s".to_string())?;
        // `ready classic=127.0.0.1:P compact=127.0.0.1:P ...`
        let mut words = line.split_whitespace();
        if words.next() != Some("ready") {
            return Err(format!("bad ready line {line:?}"));
        }
        let addr = |key: &str| -> Result<SocketAddr, String> {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|a| a.parse().ok())
                .ok_or(format!("no {key} in {line:?}"))
        };
        let classic = addr("classic=")?;
        let compact = addr("compact=")?;
        if !line.starts_with(&format!("ready classic={classic} compact={compact}")) {
            return Err(format!("ready line format changed: {line:?}"));
        }
        Ok(common::play(classic, Codec::Classic, 1, false, 5)?
            + common::play(compact, Codec::Compact, 1, false, 6)?)
    })();
    let _ = child.kill();
    let _ = child.wait();
    let replies = result.unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(&capture).unwrap();
    let frames = count_board_tcp(&bytes);
    println!("{replies} replies; {frames} board TCP frames captured");
    assert!(frames > 10);
    // --mtu 576: no frame beyond 576 + 14 bytes.
    let records = pcap::parse(&bytes).unwrap();
    assert!(records.iter().all(|r| r.orig_len <= 590));
    let _ = std::fs::remove_dir_all(&dir);
}
