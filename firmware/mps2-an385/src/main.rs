//! # cuatro on the Arm MPS2 AN385 (QEMU `-M mps2-an385`)
//!
//! A driver plus wiring: the LAN9118 (crate `lan9118`), UART0 for the log,
//! the 16 MiB PSRAM for uploads, this board's constants and memory; the
//! main loop, log, clock, stack report and fault handling are
//! `cuatro-board-kit`'s. Static IPv4 10.0.2.15/24 via 10.0.2.2 (QEMU's user
//! network).
#![no_std]
#![no_main]

mod uart;

use core::mem::MaybeUninit;
use cortex_m_rt::entry;
use cuatro_board_kit::clock;
use cuatro_board_kit::nic::{fallback_mac, usable_mac, Irq};
use cuatro_board_kit::run::{halt, halted, start, Board};
use cuatro_board_kit::storage::UploadSink;
use cuatro_board_kit::{log, stack};
use cuatro_core::cpu::Level;
use cuatro_core::server::ServerMemory;
use lan9118::{Buffers, Lan9118, Mmio};
use smoltcp::wire::Ipv4Address;

/// Core (and peripheral) clock of the AN385.
pub const CORE_CLOCK_HZ: u32 = 25_000_000;
/// LAN9118 register window.
pub const LAN9118_BASE: usize = 0x4020_0000;
/// The Ethernet controller's NVIC line.
pub const NIC_IRQ: Irq = Irq(13);
/// The board: QEMU user networking's default guest address and gateway,
/// the LAN9118 on NVIC line 13.
pub const BOARD: Board = Board {
    name: "mps2-an385 (Cortex-M3",
    version: env!("CARGO_PKG_VERSION"),
    core_clock_hz: CORE_CLOCK_HZ,
    nic_irq: Some(NIC_IRQ),
    ip: Ipv4Address::new(10, 0, 2, 15),
    prefix_len: 24,
    gateway: Ipv4Address::new(10, 0, 2, 2),
    port_base: 8080,
    // The lecture's CPU unless the operator chooses another.
    cpu_level: Level::Aleatorio,
};
/// MAC address used if the chip has none (no EEPROM): locally administered.
pub const FALLBACK_MAC: [u8; 6] = fallback_mac(0x01);
/// Base of the PSRAM region (AN385 memory map; QEMU's `mps2.psram`).
pub const PSRAM_BASE: usize = 0x2100_0000;
/// Bytes of PSRAM, all of it for uploads.
pub const UPLOAD_CAPACITY: usize = 16 * 1024 * 1024;
/// External interrupt lines of the AN385's Cortex-M3 (QEMU's `mps2-an385`
/// and the FPGA image both configure 32).
pub const IRQ_LINES: usize = 32;

cuatro_board_kit::wire! {
    console: uart::write,
    nic_irq: NIC_IRQ,
    irq_lines: IRQ_LINES,
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, once.
    static mut NIC_BUFFERS: Buffers = Buffers::new();
    // Uninitialised, so in .bss: no initial image in flash (ServerMemory::init).
    static mut SERVER_MEMORY: MaybeUninit<ServerMemory<'static>> = MaybeUninit::uninit();

    stack::paint();
    uart::init(CORE_CLOCK_HZ);
    let Some(mut core) = cortex_m::Peripherals::take() else {
        halt(halted().s("core peripherals already taken"));
    };
    clock::start(&mut core.SYST, CORE_CLOCK_HZ);
    BOARD.log_boot();

    // SAFETY: the LAN9118's window; this is its only user.
    let regs = unsafe { Mmio::new(LAN9118_BASE) };
    let mut nic = match Lan9118::new(regs, NIC_BUFFERS) {
        Ok(nic) => nic,
        Err(e) => halt_nic(e),
    };
    let mut mac = nic.mac_address();
    if !usable_mac(mac) {
        log::warn()
            .s("no MAC address in the chip; using ")
            .mac(FALLBACK_MAC)
            .end();
        if let Err(e) = nic.set_mac_address(FALLBACK_MAC) {
            halt_nic(e);
        }
        mac = FALLBACK_MAC;
    }
    log::info()
        .s("LAN9118 id=0x")
        .hex8(nic.chip_id())
        .s(" mac=")
        .mac(mac)
        .link(nic.link_up())
        .end();

    // Each boot plays differently: the free-running counter has advanced
    // by a boot-dependent amount.
    let entropy = u64::from(nic.free_running_counter()) << 16 ^ u64::from(clock::millis());
    let config = BOARD.config(mac, entropy);
    // SAFETY: PSRAM is a fixed RAM region of the AN385 memory map that
    // nothing else (linker script, stack, statics) uses; this is the only
    // reference to it.
    let psram = unsafe { core::slice::from_raw_parts_mut(PSRAM_BASE as *mut u8, UPLOAD_CAPACITY) };
    let memory = ServerMemory::init(SERVER_MEMORY);
    start(&BOARD, config, &mut nic, memory, UploadSink::in_ram(psram))
}

/// [`halt`] for a LAN9118 that cannot be brought up.
fn halt_nic(e: lan9118::Error) -> ! {
    let line = halted().s(e.message());
    halt(match e {
        lan9118::Error::NotFound(v) => line.s(": BYTE_TEST reads 0x").hex8(v),
        _ => line,
    })
}
