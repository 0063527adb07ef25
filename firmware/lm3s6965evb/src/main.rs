//! # cuatro on the TI Stellaris LM3S6965 (QEMU `-M lm3s6965evb`)
//!
//! A driver plus wiring: the on-chip Ethernet MAC (crate `stellaris-enet`),
//! the clock tree and pins (`sysctl`), UART0 for the log, this board's
//! constants and memory. Uploads stream into a length + CRC-32 sink (64 KiB
//! of SRAM hold no file). The main loop, log, clock, stack report and
//! fault handling are `cuatro-board-kit`'s. Static IPv4 10.0.2.15/24 via
//! 10.0.2.2 (QEMU's user network).
#![no_std]
#![no_main]

mod sysctl;
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
use smoltcp::wire::Ipv4Address;
use stellaris_enet::{Buffers, Mmio, Stellaris};

/// The Ethernet controller's NVIC line.
pub const NIC_IRQ: Irq = Irq(stellaris_enet::IRQ);
/// The board: QEMU user networking's default guest address and gateway,
/// the Ethernet controller on its NVIC line (42).
pub const BOARD: Board = Board {
    name: "lm3s6965evb (Cortex-M3",
    version: env!("CARGO_PKG_VERSION"),
    core_clock_hz: sysctl::CORE_CLOCK_HZ,
    nic_irq: Some(NIC_IRQ),
    ip: Ipv4Address::new(10, 0, 2, 15),
    prefix_len: 24,
    gateway: Ipv4Address::new(10, 0, 2, 2),
    port_base: 8080,
    // The lecture's CPU unless the operator chooses another.
    cpu_level: Level::Aleatorio,
};
/// MAC address used if neither the user registers nor the controller have
/// one: locally administered, one apart from the MPS2 board's.
pub const FALLBACK_MAC: [u8; 6] = fallback_mac(0x02);
/// Largest upload: the protocol's own limit (a 32-bit length); the sink
/// keeps only length and CRC-32, so no memory bounds it.
pub const UPLOAD_CAPACITY: usize = u32::MAX as usize;
/// Interrupt lines in the vector table: up to the Ethernet controller's
/// (42) inclusive; the hibernation module's line 43 and above are never
/// enabled.
pub const IRQ_LINES: usize = 43;

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
    let core_hz = sysctl::init();
    uart::init(core_hz);
    let Some(mut core) = cortex_m::Peripherals::take() else {
        halt(halted().s("core peripherals already taken"));
    };
    clock::start(&mut core.SYST, core_hz);
    BOARD.log_boot();
    if core_hz != BOARD.core_clock_hz {
        log::warn()
            .s("PLL did not lock: running on the 8 MHz crystal")
            .end();
    }

    // SAFETY: the Ethernet controller's registers; this is their only user.
    let regs = unsafe { Mmio::new(stellaris_enet::BASE) };
    let mut nic = match Stellaris::new(regs, NIC_BUFFERS) {
        Ok(nic) => nic,
        Err(e) => halt(halted().s(e.message())),
    };
    // The factory's address (real board), else what the controller holds
    // (QEMU's `-nic ...,mac=`), else the fallback.
    let mac = match sysctl::factory_mac() {
        Some(mac) if usable_mac(mac) => mac,
        _ if usable_mac(nic.mac_address()) => nic.mac_address(),
        _ => {
            log::warn()
                .s("no MAC address on the chip; using ")
                .mac(FALLBACK_MAC)
                .end();
            FALLBACK_MAC
        }
    };
    nic.set_mac_address(mac);
    log::info()
        .s("Stellaris Ethernet mac=")
        .mac(mac)
        .link(nic.link_up())
        .end();

    // Each boot plays differently: SysTick's counter has advanced by a
    // boot-dependent amount (the PLL's lock time, the PHY's answers).
    let entropy =
        u64::from(cortex_m::peripheral::SYST::get_current()) << 16 ^ u64::from(clock::millis());
    let config = BOARD.config(mac, entropy);
    let memory = ServerMemory::init(SERVER_MEMORY);
    start(
        &BOARD,
        config,
        &mut nic,
        memory,
        UploadSink::streaming(UPLOAD_CAPACITY),
    )
}
