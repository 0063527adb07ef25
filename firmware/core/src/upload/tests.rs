#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
extern crate std;
use super::*;
use std::{vec, vec::Vec};

fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

fn run(input: &[u8], chunk: usize, region: &mut [u8]) -> (Vec<u8>, Vec<u8>, u32, u32) {
    let mut storage = MemStorage::new(region);
    let mut up = Upload::new(0);
    let mut out = [0u8; REPLY_CAPACITY];
    let mut reply = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        let mut rest = c;
        while !rest.is_empty() {
            let (n, o) = up.handle(rest, 0, &mut storage, &mut out);
            rest = &rest[n..];
            if let UploadOutput::Reply { len, outcome } = o {
                assert_eq!(out[..len] == *GRACIAS, outcome == Outcome::Stored);
                reply = out[..len].to_vec();
            }
            if n == 0 {
                break;
            }
        }
    }
    if input.len() < 4 {
        up.fail(&mut storage);
    }
    (
        reply,
        storage.stored().to_vec(),
        storage.completed,
        storage.failed,
    )
}

#[test]
fn stores_any_size_in_any_chunking() {
    for size in [0usize, 1, 3, 4, 1000, 4097] {
        let body: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        for chunk in [1, 3, 4, 5, 1024, 1 << 20] {
            let mut region = vec![0u8; 5000];
            let (reply, stored, ok, failed) = run(&framed(&body), chunk, &mut region);
            assert_eq!(reply, GRACIAS, "size {size} chunk {chunk}");
            assert_eq!(stored, body);
            assert_eq!((ok, failed), (1, 0));
        }
    }
}

#[test]
fn refuses_before_taking_data() {
    let body = vec![1u8; 100];
    let mut region = vec![0u8; 99];
    let (reply, stored, ok, _) = run(&framed(&body), 7, &mut region);
    let text = core::str::from_utf8(&reply).unwrap();
    assert_eq!(
        text,
        "Error: archivo demasiado grande (100 bytes; maximo 99 bytes)"
    );
    assert!(stored.is_empty());
    assert_eq!(ok, 0);
    // The largest announceable file too.
    let mut region = vec![0u8; 10];
    let (reply, ..) = run(&[0xff, 0xff, 0xff, 0xff, 1, 2], 1, &mut region);
    assert!(reply.starts_with(b"Error: archivo demasiado grande (4294967295 bytes"));
    // No storage at all.
    let mut up = Upload::new(0);
    let mut out = [0u8; REPLY_CAPACITY];
    let (_, o) = up.handle(&[0, 0, 0, 1, 9], 0, &mut NoStorage, &mut out);
    assert!(matches!(
        o,
        UploadOutput::Reply { len, outcome: Outcome::Refused } if out[..len].starts_with(b"Error:")
    ));
}

#[test]
fn early_end_leaves_only_a_failure_record() {
    let mut region = vec![0u8; 100];
    let mut storage = MemStorage::new(&mut region);
    let mut up = Upload::new(0);
    let mut out = [0u8; REPLY_CAPACITY];
    let (n, o) = up.handle(&[0, 0, 0, 10, 1, 2, 3], 5, &mut storage, &mut out);
    assert_eq!((n, o), (7, UploadOutput::Nothing));
    assert_eq!(up.stored(), 3);
    assert_eq!(up.last_activity_ms(), 5);
    up.fail(&mut storage);
    assert_eq!((storage.completed, storage.failed), (0, 1));
    assert!(storage.stored().is_empty());
    assert!(!up.in_progress());
}

#[test]
fn trailing_bytes_are_ignored() {
    let mut input = framed(b"hola");
    input.extend_from_slice(b"extra");
    let mut region = vec![0u8; 10];
    let (reply, stored, ..) = run(&input, 100, &mut region);
    assert_eq!(reply, GRACIAS);
    assert_eq!(stored, b"hola");
}
