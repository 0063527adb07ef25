//! System control of the LM3S6965: the clock tree (PLL to 50 MHz), the
//! peripheral clock gates, the UART0 and Ethernet LED pins, and the MAC
//! address the factory wrote into the flash controller's user registers.
//!
//! QEMU's `lm3s6965evb` models the parts this touches loosely (its system
//! clock is 200 MHz / (SYSDIV + 1) whatever the other RCC bits say, clock
//! gates and pin functions are accepted and ignored, the user registers
//! read 0); the sequence is the datasheet's, so a real board runs it too.

use core::ptr::{read_volatile, write_volatile};

/// System control block.
const SYSCTL: usize = 0x400F_E000;
/// Raw interrupt status: bit 6 is "PLL locked".
const RIS: usize = SYSCTL + 0x050;
/// Masked interrupt status and clear: writing bit 6 clears "PLL locked".
const MISC: usize = SYSCTL + 0x058;
/// Run-mode clock configuration.
const RCC: usize = SYSCTL + 0x060;
/// Run-mode clock gating, peripherals group 1 (UARTs).
const RCGC1: usize = SYSCTL + 0x104;
/// Run-mode clock gating, group 2 (GPIO ports, Ethernet MAC and PHY).
const RCGC2: usize = SYSCTL + 0x108;

const RIS_PLLLRIS: u32 = 1 << 6;
const RCC_MOSCDIS: u32 = 1 << 0;
const RCC_OSCSRC_MASK: u32 = 0b11 << 4;
const RCC_XTAL_MASK: u32 = 0xF << 6;
/// XTAL field for the evaluation board's 8 MHz crystal.
const RCC_XTAL_8MHZ: u32 = 0xE << 6;
const RCC_BYPASS: u32 = 1 << 11;
const RCC_PWRDN: u32 = 1 << 13;
const RCC_USESYSDIV: u32 = 1 << 22;
const RCC_SYSDIV_SHIFT: u32 = 23;
const RCC_SYSDIV_MASK: u32 = 0xF << RCC_SYSDIV_SHIFT;
/// SYSDIV for 200 MHz (PLL) / 4 = 50 MHz, the chip's maximum.
const SYSDIV_50MHZ: u32 = 3;

const RCGC1_UART0: u32 = 1 << 0;
const RCGC2_GPIOA: u32 = 1 << 0;
const RCGC2_GPIOF: u32 = 1 << 5;
const RCGC2_EMAC0: u32 = 1 << 28;
const RCGC2_EPHY0: u32 = 1 << 30;

/// GPIO ports A (UART0 on PA0/PA1) and F (Ethernet LEDs on PF2/PF3).
const GPIOA: usize = 0x4000_4000;
const GPIOF: usize = 0x4002_5000;
/// Alternate function select.
const GPIO_AFSEL: usize = 0x420;
/// Digital enable.
const GPIO_DEN: usize = 0x51C;

/// The core clock after [`init`], PLL locked.
pub const CORE_CLOCK_HZ: u32 = 50_000_000;
/// The core clock if the PLL never locks: the crystal, undivided.
pub const CRYSTAL_HZ: u32 = 8_000_000;
/// Polls of RIS while the PLL locks (the datasheet gives at most 0.5 ms,
/// a few thousand polls at the 8 MHz crystal); a PLL that never locks is
/// left bypassed and the board runs on the crystal rather than hanging.
const PLL_LOCK_POLLS: u32 = 100_000;

fn read(addr: usize) -> u32 {
    // SAFETY: `addr` is one of this module's system control or GPIO
    // registers, present on every LM3S6965.
    unsafe { read_volatile(addr as *const u32) }
}

fn write(addr: usize, v: u32) {
    // SAFETY: as in `read`.
    unsafe { write_volatile(addr as *mut u32, v) }
}

fn modify(addr: usize, f: impl FnOnce(u32) -> u32) {
    write(addr, f(read(addr)));
}

/// Runs the core at 50 MHz from the PLL (the datasheet's "main PLL"
/// sequence: bypass, crystal and power-up, divider, wait for lock, use),
/// opens the clock gates of UART0, GPIO A and F, the Ethernet MAC and PHY,
/// and gives PA0/PA1 to UART0 and PF2/PF3 to the Ethernet LEDs. Returns
/// the core clock: [`CORE_CLOCK_HZ`], or [`CRYSTAL_HZ`] if the PLL did not
/// lock.
pub fn init() -> u32 {
    modify(RCC, |r| (r | RCC_BYPASS) & !RCC_USESYSDIV);
    // A lock left over from before a reset must not pass for this one.
    write(MISC, RIS_PLLLRIS);
    modify(RCC, |r| {
        (r & !(RCC_XTAL_MASK | RCC_OSCSRC_MASK | RCC_PWRDN | RCC_MOSCDIS)) | RCC_XTAL_8MHZ
    });
    modify(RCC, |r| {
        (r & !RCC_SYSDIV_MASK) | (SYSDIV_50MHZ << RCC_SYSDIV_SHIFT) | RCC_USESYSDIV
    });
    let locked = (0..PLL_LOCK_POLLS).any(|_| read(RIS) & RIS_PLLLRIS != 0);
    let hz = if locked {
        modify(RCC, |r| r & !RCC_BYPASS);
        CORE_CLOCK_HZ
    } else {
        modify(RCC, |r| r & !RCC_USESYSDIV);
        CRYSTAL_HZ
    };

    modify(RCGC1, |r| r | RCGC1_UART0);
    modify(RCGC2, |r| {
        r | RCGC2_GPIOA | RCGC2_GPIOF | RCGC2_EMAC0 | RCGC2_EPHY0
    });
    // A few cycles pass before a gated peripheral answers.
    let _ = read(RCGC2);
    for (port, pins) in [(GPIOA, 0b0011), (GPIOF, 0b1100)] {
        modify(port + GPIO_AFSEL, |r| r | pins);
        modify(port + GPIO_DEN, |r| r | pins);
    }
    hz
}

/// The MAC address in the user registers (`None` when erased or unset).
pub fn factory_mac() -> Option<[u8; 6]> {
    // The flash controller's user registers 0 and 1: three bytes each, as
    // TI's factory programs them on the evaluation board (QEMU: from `-nic
    // ...,mac=`).
    stellaris_enet::mac_from_user_registers(
        read(stellaris_enet::USER0),
        read(stellaris_enet::USER1),
    )
}
