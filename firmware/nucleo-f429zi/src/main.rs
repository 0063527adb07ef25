//! # cuatro on ST's Nucleo-F429ZI
//!
//! The STM32F429ZI's on-chip Ethernet MAC with the board's LAN8742A PHY
//! over RMII, driven by embassy-stm32's Ethernet driver and put under
//! smoltcp 0.14 by `embassy-smoltcp-adapter`; the clock tree (`clocks`),
//! USART3 on the ST-LINK's virtual COM port for the log (`uart`), the PHY
//! (`lan8742a`), this board's constants and memory. Uploads stream into a
//! length + CRC-32 sink. The main loop, log, clock, stack report and fault
//! handling are `cuatro-board-kit`'s. DHCP by default; until a lease (and
//! with `static-ip`, for good) the board is 169.254.4.15/16, an IPv4
//! link-local address: a PC on the same cable that found no DHCP server
//! gives itself one in 169.254/16 too.
#![no_std]
#![no_main]

mod clocks;
mod lan8742a;
mod uart;

#[cfg(all(feature = "dhcp", feature = "static-ip"))]
compile_error!(
    "`static-ip` is the build without the DHCP client, which the default features include: \
     build with `--no-default-features --features classic,compact,static-ip`"
);

use core::mem::MaybeUninit;
use cortex_m_rt::entry;
use cuatro_board_kit::crc32::Crc32;
use cuatro_board_kit::run::{halt, halted, start, Board};
use cuatro_board_kit::storage::UploadSink;
use cuatro_board_kit::{clock, log, nic, stack};
use cuatro_core::cpu::Level;
use cuatro_core::server::ServerMemory;
use embassy_smoltcp_adapter::Adapter;
use embassy_stm32::eth::{self, Ethernet, PacketQueue, Sma};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::{bind_interrupts, interrupt, peripherals};
use lan8742a::Lan8742a;
use smoltcp::wire::Ipv4Address;

/// The board. Static address (used until a DHCP lease, and for good with
/// `static-ip`): 169.254.4.15/16, IPv4 link-local (RFC 3927), reachable
/// from a PC on the same cable that has no DHCP server either (Windows
/// and macOS give themselves a 169.254/16 address then; on Linux `ip addr
/// add 169.254.4.1/16 dev <if>`). The "gateway" is that PC's suggested
/// address: a link-local network has no router.
pub const BOARD: Board = Board {
    name: "nucleo-f429zi (STM32F429ZI Cortex-M4F",
    version: env!("CARGO_PKG_VERSION"),
    core_clock_hz: clocks::CORE_CLOCK_HZ,
    // embassy-stm32 owns the ETH vector; `NicEvent` raises the kit's event.
    nic_irq: None,
    ip: Ipv4Address::new(169, 254, 4, 15),
    prefix_len: 16,
    gateway: Ipv4Address::new(169, 254, 4, 1),
    port_base: 8080,
    // The lecture's CPU unless the operator chooses another.
    cpu_level: Level::Aleatorio,
};
/// Transmit descriptors and 1514-byte buffers: embassy-stm32 reports this
/// as the device's burst size, and smoltcp caps each TCP window at that
/// many segments (4 × 1460 B covers the upload socket's 4 KiB window).
pub const TX_FRAMES: usize = 4;
/// Receive descriptors and 1536-byte buffers: a window's worth of
/// segments arriving back to back, plus one.
pub const RX_FRAMES: usize = 4;
/// The Ethernet DMA's descriptors and frame buffers (12.2 KiB). In .bss,
/// so in SRAM1-3 (0x2000_0000..0x2003_0000): the DMA reaches those, not
/// the CCM RAM at 0x1000_0000, which embassy's memory.x leaves out (and
/// `./extra-ci` checks the symbol's address).
pub type Packets = PacketQueue<TX_FRAMES, RX_FRAMES>;
/// Largest upload: the protocol's own limit (a 32-bit length); the sink
/// keeps only length and CRC-32: the chip's 192 KiB of SRAM (after the
/// server's 24 KiB, the DMA's 12 KiB and the stack) hold no file worth
/// keeping, and the 2 MiB flash is not written at run time.
pub const UPLOAD_CAPACITY: usize = u32::MAX as usize;
/// How long the boot waits for the PHY's link (auto-negotiation takes
/// 1.5-3 s) before serving anyway.
pub const LINK_WAIT_MS: u32 = 5_000;
/// Between two looks at the link while waiting: ~10 ms at 180 MHz.
const LINK_POLL_CYCLES: u32 = 1_800_000;
/// First two bytes of the board's MAC address: locally administered,
/// unicast (0x02), then 0xf4 for "F4"; the other four are the CRC-32 of
/// the chip's 96-bit unique ID.
pub const MAC_PREFIX: [u8; 2] = [0x02, 0xf4];

type Phy = Lan8742a<Sma<'static, peripherals::ETH_SMA>>;
type Nic = Adapter<Ethernet<'static, peripherals::ETH, Phy>>;

/// Raises the board kit's NIC event on every Ethernet interrupt (embassy's
/// handler, first, acknowledges it), so the loop polls as soon as a frame
/// lands instead of at its next deadline.
struct NicEvent;

impl interrupt::typelevel::Handler<interrupt::typelevel::ETH> for NicEvent {
    unsafe fn on_interrupt() {
        nic::raise_event();
    }
}

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler, NicEvent;
    HASH_RNG => rng::InterruptHandler<peripherals::RNG>;
});

cuatro_board_kit::wire! {
    console: uart::write,
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, once.
    // Uninitialised, so in .bss: no initial image in flash.
    static mut PACKETS: MaybeUninit<Packets> = MaybeUninit::uninit();
    static mut SERVER_MEMORY: MaybeUninit<ServerMemory<'static>> = MaybeUninit::uninit();

    stack::paint();
    let source = clocks::probe_hse();
    let p = embassy_stm32::init(clocks::config(source));
    // If embassy refuses USART3's configuration the log goes nowhere; the
    // board serves all the same.
    let _ = uart::init(p.USART3, p.PD8);
    let Some(mut core) = cortex_m::Peripherals::take() else {
        halt(halted().s("core peripherals already taken"));
    };
    clock::start(&mut core.SYST, clocks::CORE_CLOCK_HZ);
    BOARD.log_boot();
    if source == clocks::Source::Hsi {
        log::warn()
            .s("no 8 MHz clock from the ST-LINK's MCO: the PLL runs on the internal 16 MHz HSI")
            .end();
    }

    let mac = mac_from_uid(&embassy_stm32::uid::uid());
    // Each boot plays differently: the hardware RNG (its clock is PLL48CLK).
    let entropy = Rng::new(p.RNG, Irqs).next_u64();

    PacketQueue::init(PACKETS);
    // SAFETY: `PacketQueue::init` zeroed it, which its documentation
    // guarantees is a valid (empty) queue.
    let packets = unsafe { PACKETS.assume_init_mut() };
    let phy = Lan8742a::new(Sma::new(p.ETH_SMA, p.PA2, p.PC1));
    // RMII pins per UM1974 (Nucleo-144): REF_CLK PA1, CRS_DV PA7, RXD0 PC4,
    // RXD1 PC5, TXD0 PG13, TXD1 PB13, TX_EN PG11.
    let eth = Ethernet::new_with_phy(
        packets, p.ETH, Irqs, p.PA1, p.PA7, p.PC4, p.PC5, p.PG13, p.PB13, p.PG11, mac, phy,
    );
    // embassy-stm32's constructor sets MACFFR.PAM (every multicast frame
    // passes): the adapter may say so, and mDNS hears 224.0.0.251.
    let mut nic: Nic = Adapter::passing_multicast(eth);
    if !nic.driver().phy().answered() {
        halt(halted().s("no LAN8742A answers on MDIO address 0 (PA2, PC1)"));
    }
    log_link(&mut nic, mac);

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

/// The board's MAC address: [`MAC_PREFIX`], then the CRC-32 of the chip's
/// unique ID (RM0090 §39.1, 96 bits at 0x1FFF_7A10), so each board has its
/// own and keeps it across boots.
fn mac_from_uid(uid: &[u8; 12]) -> [u8; 6] {
    let mut crc = Crc32::new();
    crc.update(uid);
    let [a, b, c, d] = crc.value().to_be_bytes();
    let [p0, p1] = MAC_PREFIX;
    [p0, p1, a, b, c, d]
}

/// Waits (at most [`LINK_WAIT_MS`]) for the link, sets the MAC to the
/// negotiated speed and duplex, and logs the address, the PHY and the link.
fn log_link(nic: &mut Nic, mac: [u8; 6]) {
    let phy = nic.driver_mut().phy_mut();
    let id = phy.id();
    let since = clock::millis();
    let mode = loop {
        if let Some(mode) = phy.mode() {
            break Some(mode);
        }
        if clock::millis().wrapping_sub(since) >= LINK_WAIT_MS {
            break None;
        }
        cortex_m::asm::delay(LINK_POLL_CYCLES);
    };
    let line = log::info()
        .s("Ethernet mac=")
        .mac(mac)
        .s(" phy=LAN8742A id=0x")
        .hex8(id)
        .s(" link=");
    match mode {
        Some(mode) => {
            lan8742a::set_mac_mode(mode);
            line.s("up ")
                .s(if mode.fast { "100" } else { "10" })
                .s(" Mbit/s ")
                .s(if mode.full_duplex { "full" } else { "half" })
                .s(" duplex")
                .end();
        }
        None => line
            .s("down after ")
            .dec(LINK_WAIT_MS / 1000)
            .s(" s (no cable?); serving at 100 Mbit/s full duplex")
            .end(),
    }
}
