//! Host tests against a fake register file that behaves like QEMU's model
//! (and, where switched, like the real chip) where the driver looks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

extern crate std;

mod fake;

use super::*;
use fake::{Fake, Phy, FCS, QEMU_MAC};
use smoltcp::phy::{Device, Medium, RxToken as _, TxToken as _};
use smoltcp::time::Instant;
use std::vec::Vec;

/// `MACRCTL` once the driver is up.
const RCTL_UP: u32 = RCTL_RXEN | RCTL_AMUL | RCTL_BADCRC;

fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn up(buffers: &mut Buffers) -> Stellaris<'_, Fake> {
    Stellaris::new(Fake::new(), buffers).expect("init")
}

/// Whether the RX FIFO was left exactly between frames, with nothing read
/// past its end.
fn fifo_in_step(nic: &Stellaris<'_, Fake>) -> bool {
    let m = nic.regs().0.borrow();
    m.rx_offset == 0 && m.rx_underflows == 0
}

#[test]
fn init_masks_flushes_with_rx_off_and_configures() {
    let fake = Fake::new();
    // Leftovers of an earlier run: frames and causes, every cause unmasked.
    fake.push_image(70, 70);
    fake.m().ris = INT_RX | INT_TXEMP | INT_FOV;
    fake.m().tx_fifo.extend_from_slice(&[1, 2, 3, 4]);
    let mut b = Buffers::new();
    let nic = Stellaris::new(fake, &mut b).unwrap();
    let f = nic.regs();
    assert_eq!(f.0.borrow().writes.first(), Some(&(reg::IM, 0)));
    let m = f.0.borrow();
    assert_eq!(m.im, 0);
    assert_eq!(m.ris, 0);
    assert!(
        m.tx_fifo.is_empty(),
        "acknowledging TXER resets the TX FIFO"
    );
    assert!(m.rx.is_empty());
    assert_eq!(m.rctl, RCTL_UP);
    assert_eq!(m.tctl, TCTL_TXEN | TCTL_PADEN | TCTL_CRC | 0x10);
    assert_eq!(m.thr, 0x3f);
    assert_eq!(m.mdv, 10);
    drop(m);
    // The flush happens with the receiver off, and RSTFIFO is not left set.
    let rctl = f.writes_to(reg::RCTL);
    let flush = rctl.iter().position(|v| v & RCTL_RSTFIFO != 0).unwrap();
    assert!(flush > 0 && rctl[flush - 1] & RCTL_RXEN == 0);
    assert_eq!(rctl[flush] & RCTL_RXEN, 0);
    assert_eq!(rctl.last(), Some(&RCTL_UP));
    assert!(!f.line());
}

#[test]
fn no_mac_is_not_found() {
    let fake = Fake::new();
    fake.m().absent = true;
    let mut b = Buffers::new();
    let err = Stellaris::new(fake, &mut b).err();
    assert_eq!(err, Some(Error::NotFound(0)));
    assert_eq!(err.unwrap().message(), "no Stellaris Ethernet MAC");
}

#[test]
fn mac_address_reads_and_writes_ia0_ia1() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    assert_eq!(nic.mac_address(), QEMU_MAC);
    let addr = [0x02, 0x00, 0xca, 0xfe, 0x00, 0x01];
    nic.set_mac_address(addr);
    assert_eq!(nic.mac_address(), addr);
    assert_eq!(nic.regs().0.borrow().mac, addr);
    assert_eq!(nic.regs().last_write(reg::IA0), Some(0xfeca_0002));
    assert_eq!(nic.regs().last_write(reg::IA1), Some(0x0100));
}

#[test]
fn mac_from_user_registers_as_qemu_and_the_flash_store_it() {
    // hw/arm/stellaris.c: user0 = a0 | a1 << 8 | a2 << 16, user1 likewise.
    assert_eq!(
        mac_from_user_registers(0x0000_5452, 0x0056_3412),
        Some(QEMU_MAC)
    );
    // Bits 31:24 are not part of the address.
    assert_eq!(
        mac_from_user_registers(0xff00_5452, 0xab56_3412),
        Some(QEMU_MAC)
    );
    assert_eq!(mac_from_user_registers(u32::MAX, 0x0056_3412), None);
    assert_eq!(mac_from_user_registers(0x0000_5452, u32::MAX), None);
    assert_eq!(mac_from_user_registers(u32::MAX, u32::MAX), None);
}

#[test]
fn receives_every_length_alignment_without_length_or_fcs() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    for len in [
        14, 15, 16, 17, 42, 60, 61, 62, 63, 64, 1511, 1512, 1513, 1514,
    ] {
        let f = frame(len, len as u8);
        assert!(nic.regs().push_rx(&f));
        assert!(nic.rx_pending());
        let got = nic.receive_frame().expect("a frame");
        assert_eq!(got, len);
        let data = nic.rx_frame(got).unwrap();
        assert_eq!(data, &f[..], "len {len}");
        assert!(!data.ends_with(&FCS));
        assert!(nic.regs().0.borrow().rx.is_empty(), "len {len}");
        assert!(fifo_in_step(&nic), "len {len}");
    }
    assert!(!nic.rx_pending());
    assert_eq!(nic.receive_frame(), None);
    assert_eq!(nic.stats().rx_frames, 14);
    assert_eq!(nic.stats().rx_dropped(), 0);
}

#[test]
fn a_full_qemu_fifo_drains_in_order() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let frames: Vec<_> = (0..QEMU_RX_FIFO_FRAMES)
        .map(|i| frame(14 + i * 47, i as u8))
        .collect();
    for f in &frames {
        assert!(nic.regs().push_rx(f));
    }
    assert!(!nic.regs().push_rx(&frame(60, 0)), "the 32nd waits in QEMU");
    for f in &frames {
        let len = nic.receive_frame().expect("a frame");
        assert_eq!(nic.rx_frame(len).unwrap(), &f[..]);
    }
    assert_eq!(nic.receive_frame(), None);
    assert!(fifo_in_step(&nic));
}

#[test]
fn runts_and_oversize_are_dropped_and_the_next_frame_received() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let good = frame(100, 3);
    nic.regs().push_rx(&frame(13, 1)); // shorter than a header
    nic.regs().push_rx(&[]); // an empty frame: image of 6
    nic.regs().push_rx(&frame(MTU + 1, 2)); // a VLAN-tagged full frame, say
    nic.regs().push_rx(&frame(2041, 4)); // the longest QEMU stores
    nic.regs().push_rx(&good);
    let len = nic.receive_frame().expect("the good frame");
    assert_eq!(nic.rx_frame(len).unwrap(), &good[..]);
    let s = nic.stats();
    assert_eq!((s.rx_too_short, s.rx_too_long, s.rx_bad_length), (2, 2, 0));
    assert_eq!(s.rx_frames, 1);
    assert!(nic.regs().0.borrow().rx.is_empty());
    assert!(fifo_in_step(&nic));
    assert_eq!(nic.regs().0.borrow().rx_flushes, 1, "only init's");
}

#[test]
fn a_length_no_frame_has_resets_the_fifo_with_rx_off() {
    for field in [0u16, 3, 5, 2049, 0xffff] {
        let mut b = Buffers::new();
        let mut nic = up(&mut b);
        nic.regs().push_image(field, 64);
        nic.regs().push_rx(&frame(60, 1)); // lost with the FIFO
        let writes_before = nic.regs().writes_to(reg::RCTL).len();
        assert_eq!(nic.receive_frame(), None, "field {field}");
        assert_eq!(nic.stats().rx_bad_length, 1);
        let m = nic.regs().0.borrow();
        assert!(m.rx.is_empty());
        assert_eq!(m.rctl, RCTL_UP);
        drop(m);
        let rctl = nic.regs().writes_to(reg::RCTL);
        assert_eq!(
            &rctl[writes_before..],
            &[
                RCTL_UP & !RCTL_RXEN,
                (RCTL_UP & !RCTL_RXEN) | RCTL_RSTFIFO,
                RCTL_UP
            ]
        );
        // The receiver works again.
        let next = frame(77, 9);
        assert!(nic.regs().push_rx(&next));
        let len = nic.receive_frame().unwrap();
        assert_eq!(nic.rx_frame(len).unwrap(), &next[..]);
        assert!(fifo_in_step(&nic));
    }
}

#[test]
fn longest_consistent_image_is_accepted_one_more_is_not() {
    // Lengths at the edge, the image consistent (2 + frame + 4).
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs()
        .push_image((RX_IMAGE_MAX + 1) as u16, RX_IMAGE_MAX + 1);
    nic.regs().push_image(RX_IMAGE_MAX as u16, RX_IMAGE_MAX);
    nic.regs().push_image(20, 20);
    nic.regs().push_image(19, 19);
    assert_eq!(nic.receive_frame(), Some(MTU));
    assert_eq!(nic.receive_frame(), Some(MIN_FRAME));
    assert_eq!(nic.receive_frame(), None);
    let s = nic.stats();
    assert_eq!((s.rx_too_long, s.rx_too_short, s.rx_frames), (1, 1, 2));
    assert!(fifo_in_step(&nic));
}

#[test]
fn transmit_packs_the_length_word_and_the_frame_byte_exact() {
    for len in [14usize, 15, 16, 17, 18, 19, 59, 60, 61, 1513, 1514] {
        let mut b = Buffers::new();
        let mut nic = up(&mut b);
        let f = frame(len, len as u8);
        assert!(nic.send_frame(&f), "len {len}");
        let words = nic.regs().0.borrow().tx_words.clone();
        assert_eq!(words.len(), (len + 2).div_ceil(4), "len {len}");
        let first = (len as u32 - 14) | (u32::from(f[0]) << 16) | (u32::from(f[1]) << 24);
        assert_eq!(words[0], first, "len {len}");
        let mut bytes: Vec<u8> = words[1..].iter().flat_map(|w| w.to_le_bytes()).collect();
        assert!(bytes[len - 2..].iter().all(|&b| b == 0), "zero padding");
        bytes.truncate(len - 2);
        assert_eq!(&bytes[..], &f[2..], "len {len}");
        // NEWTX after the last word, and QEMU sent the frame (padded to 60).
        let writes = nic.regs().0.borrow().writes.clone();
        assert_eq!(writes.last(), Some(&(reg::TR, TR_NEWTX)));
        let mut expected = f.clone();
        expected.resize(len.max(60), 0);
        assert_eq!(nic.regs().0.borrow().sent, [expected], "len {len}");
        assert_eq!(nic.stats().tx_frames, 1);
    }
}

#[test]
fn frames_shorter_than_a_header_or_over_the_mtu_are_refused() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    assert!(!nic.send_frame(&[]));
    assert!(!nic.send_frame(&frame(13, 0)));
    assert!(!nic.send_frame(&frame(MTU + 1, 0)));
    assert_eq!(nic.stats().tx_dropped, 3);
    assert!(nic.regs().0.borrow().tx_words.is_empty());
    assert!(nic.regs().writes_to(reg::TR).is_empty());
}

#[test]
fn a_stuck_transmitter_drops_instead_of_hanging() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs().m().newtx_stuck = true;
    assert!(!nic.tx_ready());
    nic.regs().m().tr_reads = 0;
    assert!(!nic.send_frame(&frame(60, 0)));
    assert_eq!(nic.regs().0.borrow().tr_reads, POLL_LIMIT);
    assert_eq!(nic.stats().tx_dropped, 1);
    assert!(nic.regs().0.borrow().tx_words.is_empty());
    // smoltcp is told to wait instead.
    assert!(nic.transmit(Instant::ZERO).is_none());
    nic.regs().m().newtx_stuck = false;
    assert!(nic.send_frame(&frame(60, 0)));
}

#[test]
fn smoltcp_device_round_trip() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let caps = nic.capabilities();
    assert_eq!(caps.max_transmission_unit, MTU);
    assert_eq!(caps.medium, Medium::Ethernet);
    assert_eq!(caps.max_burst_size, Some(MAX_BURST_FRAMES));

    assert!(nic.receive(Instant::ZERO).is_none());
    let f = frame(42, 5);
    nic.regs().push_rx(&f);
    let (rx, tx) = nic.receive(Instant::ZERO).expect("tokens");
    let echoed = rx.consume(|bytes| bytes.to_vec());
    assert_eq!(echoed, f);
    tx.consume(echoed.len(), |buf| buf.copy_from_slice(&echoed));
    let tx = nic.transmit(Instant::ZERO).expect("tx token");
    tx.consume(MTU, |buf| buf.fill(0xab));
    let sent = nic.regs().0.borrow().sent.clone();
    assert_eq!(sent.len(), 2);
    let mut padded = f.clone();
    padded.resize(60, 0);
    assert_eq!(sent[0], padded);
    assert_eq!(sent[1], std::vec![0xab; MTU]);
    assert_eq!(nic.stats().tx_frames, 2);
}

#[test]
fn oversized_tx_requests_are_dropped_not_a_panic() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let tx = nic.transmit(Instant::ZERO).expect("tx token");
    assert_eq!(tx.consume(FRAME_BUFFER + 1, |buf| buf.len()), FRAME_BUFFER);
    let tx = nic.transmit(Instant::ZERO).expect("tx token");
    assert_eq!(tx.consume(MTU + 1, |buf| buf.len()), MTU + 1);
    assert_eq!(nic.stats().tx_dropped, 2);
    assert!(nic.regs().0.borrow().sent.is_empty());
}

#[test]
fn burst_size_defaults_to_what_the_chip_takes_and_is_clamped() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    assert_eq!(MAX_BURST_FRAMES, 1);
    nic.set_max_burst_size(QEMU_RX_FIFO_FRAMES);
    assert_eq!(nic.capabilities().max_burst_size, Some(31));
    nic.set_max_burst_size(0);
    assert_eq!(nic.capabilities().max_burst_size, Some(1));
    nic.set_max_burst_size(1000);
    assert_eq!(nic.capabilities().max_burst_size, Some(31));
}

#[test]
fn interrupts_enable_ack_disable_and_errors_are_counted() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs().push_rx(&frame(60, 0));
    assert!(!nic.regs().line(), "masked after init");
    nic.enable_interrupts();
    assert_eq!(nic.regs().0.borrow().im, INT_RX);
    assert!(!nic.regs().line(), "stale RX acknowledged");
    nic.regs().push_rx(&frame(61, 0));
    assert!(nic.regs().line());
    assert_eq!(nic.ack_interrupts(), INT_RX);
    assert!(!nic.regs().line());
    // Acknowledging does not consume frames.
    assert!(nic.rx_pending());
    assert_eq!(nic.receive_frame(), Some(60));
    assert_eq!(nic.receive_frame(), Some(61));
    assert!(!nic.rx_pending());

    // FOV (QEMU: a frame too big for its buffer), RXER, TXER.
    assert!(!nic.regs().push_rx(&frame(2042, 0)));
    assert_eq!(nic.ack_interrupts(), INT_FOV);
    let s = nic.stats();
    assert_eq!((s.rx_overruns, s.rx_errors, s.tx_errors), (1, 0, 0));
    nic.regs().m().ris |= INT_RXER | INT_TXEMP;
    assert_eq!(nic.ack_interrupts(), INT_RXER | INT_TXEMP);
    assert_eq!(nic.stats().tx_errors, 0);
    nic.regs().m().ris |= INT_TXER;
    nic.regs().m().tx_fifo.extend_from_slice(&[9; 8]);
    assert_eq!(nic.ack_interrupts(), INT_TXER);
    let s = nic.stats();
    assert_eq!((s.rx_overruns, s.rx_errors, s.tx_errors), (1, 1, 1));
    assert_eq!(s.rx_dropped(), 2);
    assert!(nic.regs().0.borrow().tx_fifo.is_empty());
    assert_eq!(nic.ack_interrupts(), 0);

    nic.disable_interrupts();
    assert_eq!(nic.regs().0.borrow().im, 0);
}

#[test]
fn qemu_mii_answers_zero_so_the_link_is_unknown() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    assert_eq!(nic.phy_read(phy_reg::MR1), Ok(0));
    assert_eq!(
        nic.regs().last_write(reg::MCTL),
        Some((1 << MCTL_REGADR_SHIFT) | MCTL_START)
    );
    assert_eq!(nic.link_up(), None);
    assert_eq!(nic.phy_write(phy_reg::MR0, 0x1234), Ok(()));
    assert_eq!(nic.regs().0.borrow().mtxd, 0x34, "QEMU keeps 8 bits");
}

#[test]
fn a_real_phy_reports_the_link_through_the_latch() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let mut phy = Phy::new(true);
    phy.latched = false; // the link went down and came back since
    nic.regs().m().phy = Some(phy);
    assert_eq!(nic.link_up(), Some(true));
    nic.regs().m().phy.as_mut().unwrap().link = false;
    assert_eq!(nic.link_up(), Some(false));
    nic.regs().m().phy.as_mut().unwrap().link = true;
    assert_eq!(nic.link_up(), Some(true));
    assert_eq!(nic.phy_write(phy_reg::MR0, 0x1200), Ok(()));
    assert_eq!(
        nic.regs().last_write(reg::MCTL),
        Some(MCTL_WRITE | MCTL_START)
    );
    assert_eq!(nic.regs().0.borrow().phy.as_ref().unwrap().regs[0], 0x1200);
    assert_eq!(nic.phy_read(phy_reg::MR2), Ok(0x0161));
}

#[test]
fn a_stuck_mii_is_a_timeout_not_a_hang() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs().m().phy = Some(Phy::new(true));
    nic.regs().m().mii_stuck = true;
    assert_eq!(nic.phy_read(phy_reg::MR1), Err(Error::MiiTimeout));
    assert_eq!(nic.phy_write(phy_reg::MR0, 0), Err(Error::MiiTimeout));
    assert_eq!(nic.link_up(), None);
    assert!(!Error::MiiTimeout.message().is_empty());
}

#[test]
fn duplex_can_follow_the_link() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.set_full_duplex(false);
    assert_eq!(
        nic.regs().0.borrow().tctl,
        TCTL_TXEN | TCTL_PADEN | TCTL_CRC
    );
    nic.set_full_duplex(true);
    assert_eq!(nic.regs().0.borrow().tctl & TCTL_DUPLEX, TCTL_DUPLEX);
}
