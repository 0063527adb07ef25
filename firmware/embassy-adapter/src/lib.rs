//! # embassy-smoltcp-adapter — an embassy network driver under smoltcp 0.14
//!
//! `embassy-net-driver` 0.2's [`Driver`] is the interface that embassy-stm32's
//! Ethernet, esp-hal's Wi-Fi, cyw43 and the enc28j60 driver implement; the
//! stack embassy put on top of it (embassy-net) pins an older smoltcp. This
//! crate puts any such driver under smoltcp 0.14 directly: [`Adapter`] is a
//! [`smoltcp::phy::Device`] and a [`cuatro_driver_kit::Nic`], so the cuatro
//! board kit's polled main loop drives it like its own drivers.
//!
//! ```ignore
//! let mut nic = Adapter::new(embassy_stm32::eth::Ethernet::new(/* ... */));
//! let mac = nic.mac_address();          // Some(..) for an Ethernet driver
//! cuatro_board_kit::run::start(&BOARD, config, &mut nic, memory, uploads);
//! ```
//!
//! ## Polled, not awaited
//!
//! Every [`Driver`] method takes a `Context` whose waker the driver
//! registers, to be woken when a frame arrives or transmit room frees up.
//! A polled loop has nothing to wake: the adapter passes
//! [`Waker::noop()`] and the loop learns of frames its own way (the board
//! kit's loop polls again on the next interrupt or deadline; a board can
//! raise the kit's NIC event from the driver's interrupt). The driver's own
//! interrupt handler still runs and still acknowledges the hardware.
//!
//! ## Mapping
//!
//! | embassy-net-driver 0.2 | smoltcp 0.14 |
//! |---|---|
//! | `Driver::receive` → `(RxToken, TxToken)` | `Device::receive` → `(RxToken, TxToken)` ([`RxToken`], [`TxToken`]) |
//! | `Driver::transmit` → `Option<TxToken>` (`None`: no room) | `Device::transmit` → `Option<TxToken>` (`None`: smoltcp retries on a later poll) |
//! | `Capabilities::max_transmission_unit` | `DeviceCapabilities::max_transmission_unit` (both: the Ethernet frame without FCS, header included; 1514 for a 1500-byte IP MTU) |
//! | `Capabilities::max_burst_size` | `DeviceCapabilities::max_burst_size` (smoltcp caps TCP windows with it) |
//! | `ChecksumCapabilities::{ipv4, udp, tcp, icmpv4}` | the same fields, `Checksum` variant for variant |
//! | `ChecksumCapabilities::icmpv6` | not mapped: smoltcp's field exists only with its `proto-ipv6`, which these crates do not enable; it stays `Both` (computed in software, always correct) |
//! | `HardwareAddress::Ethernet(mac)` | [`Adapter::mac_address`]; the medium is smoltcp's default, Ethernet (the only one the cuatro crates build: this adapter is for Ethernet drivers) |
//! | `Driver::link_state` | [`Adapter::link_up`] |
//!
//! Transmit lengths pass through unchecked: smoltcp never asks a token for
//! more than the device's `max_transmission_unit`, which is the driver's own
//! figure, so a driver's buffer always holds what is asked.
#![no_std]
#![deny(missing_docs)]

use core::task::{Context, Waker};
use embassy_net_driver::{Driver, HardwareAddress, LinkState};
use smoltcp::phy::{self, DeviceCapabilities};
use smoltcp::time::Instant;

pub use embassy_net_driver;

/// An embassy network driver as a smoltcp device (and a board kit NIC).
#[derive(Debug)]
pub struct Adapter<D> {
    driver: D,
    /// What [`Nic::accept_multicast`](cuatro_driver_kit::Nic::accept_multicast)
    /// answers: whether the board knows its driver passes multicast frames
    /// ([`Adapter::passing_multicast`]).
    multicast: bool,
}

impl<D: Driver> Adapter<D> {
    /// Wraps `driver` (a driver by value, or `&mut` one: `&mut D` is a
    /// `Driver` too).
    pub const fn new(driver: D) -> Self {
        Adapter {
            driver,
            multicast: false,
        }
    }

    /// Wraps a `driver` that passes every multicast frame to `receive`
    /// (embassy-stm32's Ethernet: its constructor sets the MAC's
    /// pass-all-multicast bit, `MACFFR.PAM` on the F4's v1 MAC). `Driver`
    /// has no call for a MAC filter, so only the board that picked the
    /// driver knows this; with it, the adapter answers `true` to
    /// [`Nic::accept_multicast`](cuatro_driver_kit::Nic::accept_multicast)
    /// and the board's mDNS responder hears 224.0.0.251.
    pub const fn passing_multicast(driver: D) -> Self {
        Adapter {
            driver,
            multicast: true,
        }
    }

    /// The driver.
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// The driver, mutably (its own API: a PHY, statistics).
    pub fn driver_mut(&mut self) -> &mut D {
        &mut self.driver
    }

    /// The driver back.
    pub fn into_inner(self) -> D {
        self.driver
    }

    /// The driver's hardware address.
    pub fn hardware_address(&self) -> HardwareAddress {
        self.driver.hardware_address()
    }

    /// The driver's MAC address, if it is an Ethernet driver (`None`: an IP
    /// or 802.15.4 device, which this adapter does not serve).
    pub fn mac_address(&self) -> Option<[u8; 6]> {
        match self.driver.hardware_address() {
            HardwareAddress::Ethernet(mac) => Some(mac),
            _ => None,
        }
    }

    /// Whether the driver reports its link up (an Ethernet driver asks its
    /// PHY: a management-bus read on embassy-stm32).
    pub fn link_up(&mut self) -> bool {
        self.driver.link_state(&mut noop_context()) == LinkState::Up
    }
}

/// A context whose waker does nothing: the loop polls, nobody awaits.
fn noop_context() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// smoltcp's description of a device with embassy's `caps`.
pub fn capabilities(caps: &embassy_net_driver::Capabilities) -> DeviceCapabilities {
    let mut out = DeviceCapabilities::default();
    out.max_transmission_unit = caps.max_transmission_unit;
    out.max_burst_size = caps.max_burst_size;
    out.checksum.ipv4 = checksum(caps.checksum.ipv4);
    out.checksum.udp = checksum(caps.checksum.udp);
    out.checksum.tcp = checksum(caps.checksum.tcp);
    out.checksum.icmpv4 = checksum(caps.checksum.icmpv4);
    out
}

/// The same checksum behaviour in smoltcp's terms.
pub fn checksum(c: embassy_net_driver::Checksum) -> phy::Checksum {
    use embassy_net_driver::Checksum as E;
    match c {
        E::Both => phy::Checksum::Both,
        E::Rx => phy::Checksum::Rx,
        E::Tx => phy::Checksum::Tx,
        E::None => phy::Checksum::None,
    }
}

/// A received frame: the driver's token, consumed by smoltcp.
pub struct RxToken<T>(T);

impl<T: embassy_net_driver::RxToken> phy::RxToken for RxToken<T> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        self.0.consume(|frame| f(frame))
    }
}

/// Room for one frame in the driver's transmit queue.
pub struct TxToken<T>(T);

impl<T: embassy_net_driver::TxToken> phy::TxToken for TxToken<T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        self.0.consume(len, f)
    }
}

impl<D: Driver> phy::Device for Adapter<D> {
    type RxToken<'a>
        = RxToken<D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.driver
            .receive(&mut noop_context())
            .map(|(rx, tx)| (RxToken(rx), TxToken(tx)))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        self.driver.transmit(&mut noop_context()).map(TxToken)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        capabilities(&self.driver.capabilities())
    }
}

impl<D: Driver> cuatro_driver_kit::Nic for Adapter<D> {
    /// Always `false`: `Driver` cannot say whether a frame waits without
    /// handing out a token (`receive` takes `&mut self` and a context, and
    /// what dropping an unconsumed token does is each driver's own). The
    /// loop loses nothing by it: smoltcp's poll takes every frame the
    /// driver offers, and a frame arriving later interrupts (the board
    /// raises the kit's event from the driver's interrupt) or waits for the
    /// next deadline.
    fn rx_pending(&self) -> bool {
        false
    }

    /// Nothing to do: the driver's own interrupt handler (bound by the
    /// board, e.g. embassy-stm32's `eth::InterruptHandler`) acknowledges
    /// the hardware's causes as they happen.
    fn ack_interrupts(&mut self) {}

    /// Nothing to do: an embassy driver enables its interrupts itself when
    /// it is constructed.
    fn enable_interrupts(&mut self) {}

    /// `Driver` has no call for a MAC filter, so whether a group's frames
    /// arrive is the driver's own setting: `true` only for an adapter made
    /// with [`Adapter::passing_multicast`] (the board vouches for its
    /// driver), `false` for [`Adapter::new`]. Nothing is written either way.
    fn accept_multicast(&mut self, _group: [u8; 6]) -> bool {
        self.multicast
    }
}

#[cfg(test)]
mod tests;
