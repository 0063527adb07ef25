//! The board's Ethernet controller as the main loop sees it: a
//! `smoltcp::phy::Device` that can say whether frames are still waiting
//! ([`Nic`]), its interrupt line and the flag its handler raises, and the
//! MAC address the board ends up with.

use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use smoltcp::wire::EthernetAddress;

/// What the main loop needs of a board's Ethernet driver beyond
/// `phy::Device` (defined beside the drivers, which implement it).
pub use cuatro_driver_kit::Nic;

/// An NVIC interrupt number (the boards have no PAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Irq(pub u16);

// SAFETY: a board names only lines its NVIC has (below its vector table's
// length, `wire!`'s `irq_lines`).
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// Set by the NIC interrupt, cleared by the main loop.
static NIC_EVENT: AtomicBool = AtomicBool::new(false);

/// The body of the board's `DefaultHandler` (written by `wire!`): the NIC's
/// line is masked until the main loop has acknowledged the controller (its
/// line is level-triggered on every board here) and the event flag raised;
/// any other line nobody enabled is masked so it cannot fire again.
#[inline(always)]
pub fn on_interrupt(irqn: i16, nic: Irq) {
    if irqn == nic.0 as i16 {
        NVIC::mask(nic);
        NIC_EVENT.store(true, Ordering::Release);
    } else if let Ok(n) = u16::try_from(irqn) {
        NVIC::mask(Irq(n));
    }
}

/// Takes the event flag: whether the NIC interrupted since the last call.
#[cfg(target_has_atomic = "8")]
pub(crate) fn take_event() -> bool {
    NIC_EVENT.swap(false, Ordering::Acquire)
}

/// Takes the event flag (thumbv6m has no atomic read-modify-write: a load
/// and a store with interrupts masked).
#[cfg(not(target_has_atomic = "8"))]
pub(crate) fn take_event() -> bool {
    cortex_m::interrupt::free(|_| {
        let raised = NIC_EVENT.load(Ordering::Acquire);
        NIC_EVENT.store(false, Ordering::Relaxed);
        raised
    })
}

/// Raises the event flag from a board's own interrupt handler (boards whose
/// PAC owns the vector table, so `wire!` does not write `DefaultHandler`).
pub fn raise_event() {
    NIC_EVENT.store(true, Ordering::Release);
}

/// Whether the NIC interrupted (the flag stays raised).
pub(crate) fn event_pending() -> bool {
    NIC_EVENT.load(Ordering::Relaxed)
}

/// Unmasks the NIC's line.
pub(crate) fn unmask(irq: Irq) {
    // SAFETY: the handler (`on_interrupt`) only masks the line and sets a
    // flag; no critical section relies on the line staying masked.
    unsafe { NVIC::unmask(irq) };
}

/// Whether `mac` can be the board's address: unicast and not all zeros
/// (what an unprogrammed chip or an erased EEPROM reads as).
pub fn usable_mac(mac: [u8; 6]) -> bool {
    EthernetAddress(mac).is_unicast() && mac != [0; 6]
}

/// A locally administered unicast address for a board without one of its
/// own: `02:00:63:75:34:<board>` ("cu4" and a byte per board, so two kinds
/// of board on one LAN differ).
pub const fn fallback_mac(board: u8) -> [u8; 6] {
    [0x02, 0x00, 0x63, 0x75, 0x34, board]
}
