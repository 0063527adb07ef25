#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! ns per message: the frame decoder and both codecs.
//!
//! `cargo bench -p cuatro-proto`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use cuatro_proto::frame::{encode_frame, FrameDecoder};
use cuatro_proto::{classic, compact, Action, Board, Cell, Estado, Event, Reply, MAX_FRAME};

fn sample_reply() -> Reply {
    let mut tablero = Board::default();
    for (i, row) in tablero.cells.iter_mut().skip(3).enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = if (i + j) % 3 == 0 {
                Cell::Player
            } else if (i + j) % 3 == 1 {
                Cell::Cpu
            } else {
                Cell::Empty
            };
        }
    }
    Reply {
        continuar: true,
        estado: Estado::Jugando,
        tablero,
        event: Event::Played {
            player: 3,
            cpu: Some(4),
        },
        error: None,
    }
}

fn frame_decoder(c: &mut Criterion) {
    let payload = br#"{"tipo": "\\jugada", "data": 3}"#;
    let mut frame = [0u8; 64];
    let n = encode_frame(payload, &mut frame).unwrap();
    let mut stream = Vec::new();
    for _ in 0..100 {
        stream.extend_from_slice(&frame[..n]);
    }
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(100));
    g.bench_function("decode 100 frames, one chunk", |b| {
        let mut dec = FrameDecoder::<MAX_FRAME>::new();
        b.iter(|| {
            let mut rest = &stream[..];
            let mut frames = 0;
            while !rest.is_empty() {
                let (used, res) = dec.feed(rest);
                if let Ok(Some(p)) = res {
                    frames += p.len();
                }
                rest = &rest[used..];
            }
            black_box(frames)
        })
    });
    g.finish();
}

fn codecs(c: &mut Criterion) {
    let reply = sample_reply();
    let mut out = [0u8; MAX_FRAME];
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(1));
    let json = br#"{"tipo": "\\jugada", "data": 3}"#;
    g.bench_function("classic decode_action", |b| {
        b.iter(|| classic::decode_action(black_box(json)))
    });
    g.bench_function("classic encode_reply", |b| {
        b.iter(|| classic::encode_reply(black_box(&reply), &mut out))
    });
    let n = classic::encode_reply(&reply, &mut out).unwrap();
    let encoded = out[..n].to_vec();
    g.bench_function("classic decode_reply", |b| {
        b.iter(|| classic::decode_reply(black_box(&encoded)))
    });
    let mut act = [0u8; 16];
    let k = compact::encode_action(&Action::Move(3), &mut act).unwrap();
    let act = act[..k].to_vec();
    g.bench_function("compact decode_action", |b| {
        b.iter(|| compact::decode_action(black_box(&act)))
    });
    g.bench_function("compact encode_reply", |b| {
        b.iter(|| compact::encode_reply(black_box(&reply), &mut out))
    });
    let n = compact::encode_reply(&reply, &mut out).unwrap();
    let encoded = out[..n].to_vec();
    g.bench_function("compact decode_reply", |b| {
        b.iter(|| compact::decode_reply(black_box(&encoded)))
    });
    g.finish();
}

criterion_group!(benches, frame_decoder, codecs);
criterion_main!(benches);
