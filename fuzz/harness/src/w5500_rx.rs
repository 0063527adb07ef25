//! `w5500_rx`: the W5500 MACRAW driver (`w5500-macraw`) after a healthy
//! bring-up, over an SPI bus whose every read then returns the fuzzer's
//! bytes: `Sn_RX_RSR`, `Sn_RX_RD`, the RX buffer (length fields, frames),
//! `Sn_CR`, `Sn_SR`, `Sn_IR`, `Sn_TX_FSR`, `PHYCFGR`. The first input byte
//! picks the calls and whether multicast was asked for (socket 0 without
//! the chip's MAC filter, where the driver passes over other hosts'
//! unicast itself).
//!
//! Invariants: no panic and no hang (every call takes a bounded number of
//! bus transactions whatever the chip reads); a frame handed up is between
//! the Ethernet header and the MTU and is the last bytes read from the RX
//! buffer; without the filter, a frame handed up is ours, broadcast or
//! multicast; socket 0 is only ever opened in the mode asked for (MACRAW,
//! MFEN on unless multicast was asked for); a frame written to the TX
//! buffer is within the MTU (padding included).

use cuatro_driver_kit::Nic;
use smoltcp::phy::{Device, RxToken as _, TxToken as _};
use smoltcp::time::Instant;
use w5500_macraw::{
    Buffers, Bus, COMMAND_POLLS, MAX_SKIPPED, MIN_FRAME, MIN_WIRE_FRAME, MTU, SEND_POLLS,
    STATUS_POLLS, W5500,
};

/// Most driver calls made from one input.
const MAX_CALLS: usize = 64;
/// The board's MAC address.
const MAC: [u8; 6] = [0x02, 0x00, 0x63, 0x75, 0x34, 0x03];
/// mDNS's group address.
const MDNS_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
/// Register blocks (the W5500's block select bits) and addresses the
/// healthy bring-up answers.
const COMMON: u8 = 0b00000;
const S0: u8 = 0b00001;
const S0_TX: u8 = 0b00010;
const S0_RX: u8 = 0b00011;
const MR: u16 = 0x00;
const VERSIONR: u16 = 0x39;
const SN_MR: u16 = 0x00;
const SN_CR: u16 = 0x01;
const SN_SR: u16 = 0x03;
const OPEN: u8 = 0x01;
const SOCK_MACRAW: u8 = 0x42;
/// `Sn_MR` the driver opens socket 0 with: MACRAW with MFEN, or without.
const MACRAW_MFEN: u8 = 0x84;
const MACRAW_ALL: u8 = 0x04;
/// Bus transactions one call may take at most: a reopening's bounded
/// waits, a send's wait for `SEND_OK`, and per frame looked at (one
/// handed up, up to `MAX_SKIPPED` passed over) a `RECV` command's polls
/// and a few reads and writes.
const MAX_OPS_PER_CALL: u64 = (2 * COMMAND_POLLS + 2 * STATUS_POLLS + SEND_POLLS) as u64
    + (MAX_SKIPPED as u64 + 1) * (COMMAND_POLLS as u64 + 16)
    + 64;

/// The bus: a healthy chip during bring-up, the fuzzer's bytes afterwards;
/// it watches what the driver does.
struct Script<'d> {
    bytes: &'d [u8],
    up: bool,
    /// The last command written (the healthy chip's `Sn_SR` follows it).
    last_command: u8,
    /// Bus transactions so far.
    ops: u64,
    /// Bytes read from the RX buffer since the count was last cleared.
    rx_read: Vec<u8>,
    /// The `Sn_MR` the driver must open socket 0 with.
    mode: u8,
}

impl Script<'_> {
    fn next_byte(&mut self) -> u8 {
        let (b, rest) = self
            .bytes
            .split_first()
            .map_or((0, &[][..]), |(b, r)| (*b, r));
        self.bytes = rest;
        b
    }
}

impl Bus for Script<'_> {
    type Error = core::convert::Infallible;

    fn read_frame(&mut self, block: u8, address: u16, data: &mut [u8]) -> Result<(), Self::Error> {
        self.ops += 1;
        if !self.up {
            let v = match (block, address) {
                (COMMON, VERSIONR) => 0x04,
                (COMMON, MR) | (S0, SN_CR) => 0,
                (S0, SN_SR) if self.last_command == OPEN => SOCK_MACRAW,
                _ => 0,
            };
            data.fill(v);
            return Ok(());
        }
        for d in data.iter_mut() {
            *d = self.next_byte();
        }
        if block == S0_RX {
            self.rx_read.extend_from_slice(data);
        }
        Ok(())
    }

    fn write_frame(&mut self, block: u8, address: u16, data: &[u8]) -> Result<(), Self::Error> {
        self.ops += 1;
        match (block, address, data) {
            (S0, SN_MR, [mode]) => {
                assert_eq!(*mode, self.mode, "socket 0 opened in another mode");
            }
            (S0, SN_CR, [cmd]) => self.last_command = *cmd,
            (S0_TX, _, _) => {
                assert!(
                    data.len() <= MTU.max(MIN_WIRE_FRAME),
                    "{} bytes written to the TX buffer at once",
                    data.len()
                );
            }
            _ => {}
        }
        Ok(())
    }
}

/// A frame we may be handed once the filter is off.
fn for_us(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 != 0) || frame.get(..6) == Some(&MAC[..])
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Some((&plan, bytes)) = data.split_first() else {
        return;
    };
    let all_frames = plan & 0x80 != 0;
    let script = Script {
        bytes,
        up: false,
        last_command: 0,
        ops: 0,
        rx_read: Vec::new(),
        mode: MACRAW_MFEN,
    };
    let mut buffers = Buffers::new();
    let Ok(mut nic) = W5500::new(script, &mut buffers, MAC) else {
        panic!("a healthy chip did not come up");
    };
    if all_frames {
        nic.bus_mut().mode = MACRAW_ALL;
        assert!(
            nic.accept_multicast(MDNS_MAC),
            "a healthy chip did not reopen without the filter"
        );
    }
    nic.bus_mut().up = true;
    let now = Instant::ZERO;
    for call in 0..MAX_CALLS {
        let op = plan.rotate_left(call as u32 % 7) & 7;
        nic.bus_mut().rx_read.clear();
        let ops = nic.bus().ops;
        let mut handed = None;
        match op {
            0..=2 => {
                if let Some(len) = nic.receive_frame() {
                    handed = nic.received(len).map(<[u8]>::to_vec);
                }
            }
            3 => {
                if let Some((rx, tx)) = nic.receive(now) {
                    let frame = rx.consume(|frame| frame.to_vec());
                    tx.consume(frame.len().max(MIN_FRAME), |buf| buf.fill(0xa5));
                    handed = Some(frame);
                }
            }
            4 => {
                let len = MIN_FRAME + usize::from(plan) * 6;
                if let Some(tx) = nic.transmit(now) {
                    tx.consume(len, |buf| buf.fill(0x5a));
                }
            }
            5 => {
                let len = usize::from(plan.wrapping_mul(call as u8)) * 7;
                nic.send_frame(&vec![0x3c; len]);
            }
            6 => {
                let _ = nic.link_up();
            }
            _ => {
                nic.ack_interrupts();
                nic.enable_interrupts();
            }
        }
        let s = nic.bus();
        assert!(
            s.ops - ops <= MAX_OPS_PER_CALL,
            "call {call} (op {op}) took {} bus transactions",
            s.ops - ops
        );
        if let Some(frame) = handed {
            let len = frame.len();
            assert!(
                (MIN_FRAME..=MTU).contains(&len),
                "a {len}-byte frame handed up"
            );
            assert!(
                s.rx_read.ends_with(&frame),
                "the frame handed up is not the RX buffer's last bytes"
            );
            assert!(
                !all_frames || for_us(&frame),
                "another host's unicast frame handed up without the filter"
            );
        }
        let done = s.bytes.is_empty() && call > 8;
        let _ = nic.rx_pending();
        if done {
            break;
        }
    }
}
