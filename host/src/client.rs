//! A blocking game client over TCP, for either codec.

use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{Action, Codec, Error, MAX_FRAME, MAX_FRAME_LEN};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

pub use cuatro_kit::reply::{decode, Received};

/// A connection to a cuatro server.
pub struct Client {
    stream: TcpStream,
    codec: Codec,
    decoder: FrameDecoder<MAX_FRAME>,
    buf: Vec<u8>,
    start: usize,
}

impl Client {
    /// Connects to `addr`, speaking `codec`.
    pub fn connect(
        addr: impl ToSocketAddrs,
        codec: Codec,
        timeout: Duration,
    ) -> io::Result<Client> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address");
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(timeout))?;
                    return Ok(Client {
                        stream,
                        codec,
                        decoder: FrameDecoder::new(),
                        buf: Vec::new(),
                        start: 0,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The codec in use.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Sends one action.
    pub fn send(&mut self, action: &Action) -> io::Result<()> {
        let mut frame = [0u8; MAX_FRAME_LEN];
        let codec = self.codec;
        let n =
            encode_frame_with(&mut frame, |p| codec.encode_action(action, p)).map_err(proto_err)?;
        self.stream.write_all(&frame[..n])
    }

    /// Sends raw bytes (for tests of hostile input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Receives the next reply frame's payload.
    pub fn recv_payload(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if self.start < self.buf.len() {
                let (n, res) = self.decoder.feed(&self.buf[self.start..]);
                self.start += n;
                match res {
                    Ok(Some(payload)) => return Ok(payload.to_vec()),
                    Ok(None) => {}
                    Err(e) => return Err(proto_err(e)),
                }
            }
            self.buf.clear();
            self.start = 0;
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Receives and decodes the next reply.
    pub fn recv(&mut self) -> io::Result<Received> {
        let payload = self.recv_payload()?;
        decode(self.codec, &payload).map_err(proto_err)
    }

    /// Sends `action` and returns the reply.
    pub fn call(&mut self, action: &Action) -> io::Result<Received> {
        self.send(action)?;
        self.recv()
    }

    /// Whether the server closed the connection (reads to EOF, bounded by the
    /// read timeout).
    pub fn closed_by_server(&mut self) -> bool {
        let mut chunk = [0u8; 256];
        for _ in 0..1000 {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
        false
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }
}

fn proto_err(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("protocol error: {e}"))
}
