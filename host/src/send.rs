//! `cuatro send`: the lecture's file transfer, streamed from disk.

use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// Largest file the protocol can announce (a `u32` length).
pub const MAX_FILE: u64 = u32::MAX as u64;
/// Bytes read from disk and written to the socket at a time.
pub const CHUNK: usize = 256 * 1024;

/// How an upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Bytes of the file sent.
    pub bytes: u64,
    /// The server's raw reply (`Gracias`, or `Error: ...`).
    pub reply: String,
}

impl Sent {
    /// Whether the server stored the file.
    pub fn ok(&self) -> bool {
        !self.reply.starts_with("Error") && !self.reply.is_empty()
    }
}

/// Uploads `path` to `addr`. `progress` draws a bar (rate, ETA) on stderr.
pub fn send(
    path: &Path,
    addr: impl ToSocketAddrs,
    progress: bool,
    timeout: Duration,
) -> io::Result<Sent> {
    let mut file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let len = file.metadata()?.len();
    if len > MAX_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {len} bytes; the protocol carries at most {MAX_FILE} (4 GiB - 1)",
                path.display()
            ),
        ));
    }
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let bar = if progress {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut sent = 0u64;
    let result = (|| -> io::Result<()> {
        stream.write_all(&(len as u32).to_be_bytes())?;
        let mut buf = vec![0u8; CHUNK];
        while sent < len {
            let want = (len - sent).min(CHUNK as u64) as usize;
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while sending",
                ));
            }
            stream.write_all(&buf[..n])?;
            sent += n as u64;
            bar.set_position(sent);
        }
        Ok(())
    })();
    bar.finish_and_clear();
    // Whether the write finished or the server cut it short (a refusal),
    // read what it answered.
    let mut reply = Vec::new();
    let read = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply).into_owned();
    match (result, read) {
        (Ok(()), Ok(_)) if !reply.is_empty() => {}
        (_, _) if reply.starts_with("Error") => {}
        (Err(e), _) => {
            return Err(io::Error::new(
                e.kind(),
                format!("upload to {addr} broke after {sent} bytes: {e}"),
            ))
        }
        (Ok(()), Err(e)) => {
            return Err(io::Error::new(
                e.kind(),
                format!("no reply from {addr}: {e}"),
            ))
        }
        (Ok(()), Ok(_)) => {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{addr} closed without a reply"),
            ))
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(Sent { bytes: sent, reply })
}
