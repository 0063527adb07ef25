//! The Nucleo's Microchip LAN8742A PHY on the MAC's management bus (MDIO
//! PA2, MDC PC1), at address 0 (its PHYAD0 strap on the Nucleo-144; ST's
//! Cube examples for the board use `LAN8742A_PHY_ADDRESS 0`).
//!
//! An `embassy_stm32::eth::Phy` in place of embassy's `GenericPhy`, whose
//! waits have no bound and whose address probe panics when no PHY answers:
//! every wait here is bounded, a PHY that does not answer is reported (the
//! board halts with a line saying so), and the negotiated speed and duplex
//! can be read (the MAC has to be set to match them; [`set_mac_mode`]).

use core::task::Context;
use embassy_stm32::eth::{Phy, StationManagement};

/// The PHY's MDIO address on the Nucleo-144.
pub const ADDRESS: u8 = 0;

/// Basic control register (IEEE 802.3 clause 22).
const BCR: u8 = 0;
/// Basic status register.
const BSR: u8 = 1;
/// PHY identifier, high and low halves.
const ID1: u8 = 2;
const ID2: u8 = 3;
/// LAN8742A's PHY special control/status register (datasheet §4.2.21).
const PSCSR: u8 = 31;

const BCR_RESET: u16 = 1 << 15;
const BCR_AUTONEG: u16 = 1 << 12;
const BCR_RESTART_AUTONEG: u16 = 1 << 9;
const BSR_LINK_UP: u16 = 1 << 2;
const BSR_AUTONEG_DONE: u16 = 1 << 5;
/// PSCSR bits 4:2, the negotiated mode: bit 4 full duplex, bit 3 100 Mbit/s,
/// bit 2 10 Mbit/s.
const PSCSR_FULL_DUPLEX: u16 = 1 << 4;
const PSCSR_100M: u16 = 1 << 3;
const PSCSR_AUTODONE: u16 = 1 << 12;

/// Reads of BCR while a reset completes (the datasheet: done within
/// 0.5 s), one every [`POLL_DELAY_CYCLES`].
const RESET_POLLS: u32 = 500;
/// ~1 ms at the 180 MHz core clock.
const POLL_DELAY_CYCLES: u32 = 180_000;

/// What an unanswered read returns: the MDIO line idles high.
const NO_PHY: u16 = 0xFFFF;

/// A link's negotiated mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// 100 Mbit/s (else 10).
    pub fast: bool,
    /// Full duplex (else half).
    pub full_duplex: bool,
}

/// The LAN8742A behind a station management bus `SM`.
pub struct Lan8742a<SM> {
    sm: SM,
    /// The reset bit cleared: something answers at [`ADDRESS`].
    answered: bool,
}

impl<SM: StationManagement> Lan8742a<SM> {
    /// The PHY at [`ADDRESS`] on `sm`; [`Phy::phy_reset`] (called by
    /// `Ethernet::new_with_phy`) finds out whether it answers.
    pub fn new(sm: SM) -> Self {
        Lan8742a {
            sm,
            answered: false,
        }
    }

    fn read(&mut self, reg: u8) -> u16 {
        self.sm.smi_read(ADDRESS, reg)
    }

    /// Whether the PHY came out of its reset (`false`: no PHY at
    /// [`ADDRESS`], or the management bus is not wired).
    pub fn answered(&self) -> bool {
        self.answered
    }

    /// The 32-bit PHY identifier (LAN8742A: `0x0007_c13x`, x the revision).
    pub fn id(&mut self) -> u32 {
        u32::from(self.read(ID1)) << 16 | u32::from(self.read(ID2))
    }

    /// The link's mode once auto-negotiation has finished with a link up.
    pub fn mode(&mut self) -> Option<Mode> {
        // The link bit latches low: the first read reports a loss since the
        // last read, the second the state now.
        let _ = self.read(BSR);
        let bsr = self.read(BSR);
        if bsr == NO_PHY || bsr & BSR_LINK_UP == 0 || bsr & BSR_AUTONEG_DONE == 0 {
            return None;
        }
        let pscsr = self.read(PSCSR);
        (pscsr & PSCSR_AUTODONE != 0).then_some(Mode {
            fast: pscsr & PSCSR_100M != 0,
            full_duplex: pscsr & PSCSR_FULL_DUPLEX != 0,
        })
    }
}

impl<SM: StationManagement> Phy for Lan8742a<SM> {
    fn phy_reset(&mut self) {
        self.sm.smi_write(ADDRESS, BCR, BCR_RESET);
        self.answered = (0..RESET_POLLS).any(|_| {
            cortex_m::asm::delay(POLL_DELAY_CYCLES);
            let bcr = self.read(BCR);
            bcr != NO_PHY && bcr & BCR_RESET == 0
        });
    }

    fn phy_init(&mut self) {
        // Auto-negotiation, advertising what the reset left in the
        // advertisement register: 10 and 100 Mbit/s, half and full duplex.
        self.sm
            .smi_write(ADDRESS, BCR, BCR_AUTONEG | BCR_RESTART_AUTONEG);
    }

    fn poll_link(&mut self, _cx: &mut Context) -> bool {
        self.mode().is_some()
    }
}

/// The Ethernet MAC's configuration register (RM0090 §33.8.1, ETH_MACCR).
const ETH_MACCR: usize = 0x4002_8000;
/// MACCR: fast Ethernet speed (100 Mbit/s).
const MACCR_FES: u32 = 1 << 14;
/// MACCR: duplex mode (full).
const MACCR_DM: u32 = 1 << 11;

/// Sets the MAC to the PHY's negotiated `mode`. embassy-stm32 configures
/// the MAC for 100 Mbit/s full duplex and never looks at the PHY's result;
/// on a 10 Mbit/s or half-duplex link that MAC would not talk to its PHY.
pub fn set_mac_mode(mode: Mode) {
    // SAFETY: ETH_MACCR of the chip's only Ethernet MAC, clocked (the
    // driver is up); the driver writes it only when it is built and when
    // it is dropped, and changing FES/DM while the MAC runs is how ST's
    // own HAL applies a negotiated mode.
    unsafe {
        let maccr = core::ptr::read_volatile(ETH_MACCR as *const u32);
        let mut v = maccr & !(MACCR_FES | MACCR_DM);
        if mode.fast {
            v |= MACCR_FES;
        }
        if mode.full_duplex {
            v |= MACCR_DM;
        }
        core::ptr::write_volatile(ETH_MACCR as *mut u32, v);
    }
}
