//! The upload service (port base + 2) through the simulated board: byte-exact
//! files, refusals, early ends, and games playing on during an upload.

use sim::{Running, SimConfig};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cuatro-upload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn start(dir: &Path, max: u64, idle: Duration) -> Running {
    Running::spawn(SimConfig {
        port_base: 0,
        idle_timeout: idle,
        upload_dir: dir.to_path_buf(),
        upload_max: max,
        ..Default::default()
    })
    .expect("simulator starts")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s
}

/// Sends a whole file as the lecture does; returns the raw reply.
fn upload(addr: SocketAddr, data: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(&(data.len() as u32).to_be_bytes()).unwrap();
    // The server may refuse and close before the body is taken.
    let _ = s.write_all(data);
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    String::from_utf8(reply).unwrap()
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits (bounded) until `dir` lists exactly `want`.
fn wait_for_files(dir: &Path, want: &[&str]) {
    let deadline = Instant::now() + TIMEOUT;
    while files(dir) != want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(files(dir), want);
}

#[test]
fn byte_exact_uploads_of_every_size() {
    let dir = temp_dir("sizes");
    let sim = start(&dir, u32::MAX as u64, Duration::from_secs(60));
    let sizes = [0usize, 1, 12_345, 64 << 20];
    for (i, &size) in sizes.iter().enumerate() {
        let data = pattern(size, i as u32 + 1);
        assert_eq!(upload(sim.addrs().upload, &data), "Gracias", "size {size}");
        let stored = std::fs::read(dir.join(format!("recibido-{}.bin", i + 1))).unwrap();
        assert!(
            stored == data,
            "file {} differs ({} vs {} bytes)",
            i + 1,
            stored.len(),
            data.len()
        );
    }
    wait_for_files(
        &dir,
        &[
            "recibido-1.bin",
            "recibido-2.bin",
            "recibido-3.bin",
            "recibido-4.bin",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn oversize_is_refused_before_any_data() {
    let dir = temp_dir("oversize");
    let sim = start(&dir, 1000, Duration::from_secs(60));
    let reply = upload(sim.addrs().upload, &pattern(1001, 3));
    assert_eq!(
        reply,
        "Error: archivo demasiado grande (1001 bytes; maximo 1000 bytes)"
    );
    // Announcing 4 GiB - 1 and sending nothing is refused from the header.
    let mut s = connect(sim.addrs().upload);
    s.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("Error:"), "{reply:?}");
    assert_eq!(
        files(&dir),
        Vec::<String>::new(),
        "nothing stored, not even a part file"
    );
    // A file that fits still goes through: the socket was reclaimed.
    assert_eq!(upload(sim.addrs().upload, &pattern(1000, 4)), "Gracias");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_stalled_and_reset_uploads_leave_nothing() {
    let dir = temp_dir("early");
    let sim = start(&dir, 1 << 30, Duration::from_secs(1));
    let addr = sim.addrs().upload;

    // Truncated: the client closes after half the bytes.
    let mut s = connect(addr);
    s.write_all(&100_000u32.to_be_bytes()).unwrap();
    s.write_all(&pattern(50_000, 5)).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert!(
        reply.is_empty(),
        "no Gracias for a truncated file: {reply:?}"
    );
    wait_for_files(&dir, &[]);

    // Reset mid-file.
    let s = connect(addr);
    (&s).write_all(&100_000u32.to_be_bytes()).unwrap();
    (&s).write_all(&pattern(10_000, 6)).unwrap();
    socket_reset(s);
    std::thread::sleep(Duration::from_millis(200));
    wait_for_files(&dir, &[]);

    // Stalled past the idle timeout (1 s): the server gives up on it.
    let mut s = connect(addr);
    s.write_all(&100_000u32.to_be_bytes()).unwrap();
    s.write_all(&pattern(1000, 7)).unwrap();
    let started = Instant::now();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert!(reply.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stalled upload dropped by the idle timeout"
    );
    wait_for_files(&dir, &[]);

    // No socket leaked: a full upload still works, numbered after the failures.
    let data = pattern(70_000, 8);
    assert_eq!(upload(addr, &data), "Gracias");
    let stored: Vec<String> = files(&dir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(std::fs::read(dir.join(&stored[0])).unwrap(), data);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Closes with SO_LINGER 0, so the kernel sends a RST.
fn socket_reset(s: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = [1i32, 0i32]; // struct linger { l_onoff = 1, l_linger = 0 }
                               // SAFETY: setsockopt on a valid fd with a correctly sized struct linger.
    unsafe {
        libc_setsockopt(
            s.as_raw_fd(),
            1,  /* SOL_SOCKET */
            13, /* SO_LINGER */
            linger.as_ptr().cast(),
            8,
        );
    }
    drop(s);
}

extern "C" {
    #[link_name = "setsockopt"]
    fn libc_setsockopt(
        fd: i32,
        level: i32,
        name: i32,
        value: *const core::ffi::c_void,
        len: u32,
    ) -> i32;
}

#[test]
fn games_keep_playing_during_a_large_upload() {
    use cuatro_proto::{compact, frame::FrameDecoder, Action, Estado, MAX_FRAME};
    let dir = temp_dir("concurrent");
    let sim = start(&dir, u32::MAX as u64, Duration::from_secs(60));
    let upload_addr = sim.addrs().upload;
    let data = pattern(32 << 20, 9);
    let expected = data.clone();
    // The upload trickles in 1 MiB pieces so it lasts while the game plays.
    let uploader = std::thread::spawn(move || {
        let mut s = connect(upload_addr);
        s.write_all(&(data.len() as u32).to_be_bytes()).unwrap();
        for chunk in data.chunks(1 << 20) {
            s.write_all(chunk).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    });

    let mut game = connect(sim.addrs().compact);
    let mut dec = FrameDecoder::<MAX_FRAME>::new();
    let mut next_reply = |game: &mut TcpStream| -> cuatro_proto::Reply {
        let mut byte = [0u8; 1];
        loop {
            game.read_exact(&mut byte).unwrap();
            if let (_, Ok(Some(p))) = dec.feed(&byte) {
                return compact::decode_reply(p).unwrap();
            }
        }
    };
    let send = |game: &mut TcpStream, a: Action| {
        let mut buf = [0u8; 64];
        let n = cuatro_proto::frame::encode_frame_with(&mut buf, |p| compact::encode_action(&a, p))
            .unwrap();
        game.write_all(&buf[..n]).unwrap();
    };
    next_reply(&mut game);
    let mut moves = 0;
    let start = Instant::now();
    send(&mut game, Action::NewGame);
    let mut last = next_reply(&mut game);
    while last.estado == Estado::Jugando && moves < 100 {
        let t = Instant::now();
        send(&mut game, Action::Move(moves % 7));
        last = next_reply(&mut game);
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "a move waited on the upload"
        );
        moves += 1;
    }
    let game_time = start.elapsed();
    assert_ne!(last.estado, Estado::Jugando, "the game finished");
    assert!(
        !uploader.is_finished() || game_time < Duration::from_millis(500),
        "the game overlapped the upload"
    );
    assert_eq!(uploader.join().unwrap(), "Gracias");
    assert_eq!(std::fs::read(dir.join("recibido-1.bin")).unwrap(), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_lectures_python_client_uploads_unmodified() {
    let dir = temp_dir("python");
    let sim = start(&dir, u32::MAX as u64, Duration::from_secs(60));
    let file = std::env::temp_dir().join(format!("cuatro-enviar-{}.bin", std::process::id()));
    let data = pattern(3_000_001, 11);
    std::fs::write(&file, &data).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/enviar.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("127.0.0.1")
        .arg(sim.addrs().upload.port().to_string())
        .arg(&file)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Respuesta: Gracias"), "{stdout}");
    assert_eq!(std::fs::read(dir.join("recibido-1.bin")).unwrap(), data);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Uploads one after another, each connecting as soon as the last reply
/// was read: the next SYN meets the one upload socket still closing the
/// previous connection, and must be answered once it is free, not reset.
#[test]
fn back_to_back_uploads_are_all_answered() {
    let dir = temp_dir("back-to-back");
    let sim = start(&dir, 1 << 20, Duration::from_secs(60));
    const UPLOADS: usize = 40;
    let mut refused = Vec::new();
    for i in 0..UPLOADS {
        let data = pattern(i % 3, i as u32 + 1);
        let reply = upload(sim.addrs().upload, &data);
        if reply != "Gracias" {
            refused.push((i, reply));
        }
    }
    assert!(
        refused.is_empty(),
        "{} of {UPLOADS} back-to-back uploads not answered Gracias: {refused:?}",
        refused.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
