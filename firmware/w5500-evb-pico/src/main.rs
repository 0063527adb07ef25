//! # cuatro on the WIZnet W5500-EVB-Pico
//!
//! A Raspberry Pi Pico's RP2040 (Cortex-M0+, 125 MHz from the 12 MHz
//! crystal) with a WIZnet W5500 on SPI0: the W5500's socket 0 in MACRAW
//! mode (crate `w5500-macraw`) is the Ethernet MAC, smoltcp the stack.
//! Wiring on the board (WIZnet's schematic): GP16 MISO, GP17 CSn, GP18
//! SCLK, GP19 MOSI, GP20 RSTn, GP21 INTn. The log is UART0 on GP0 (TX) and
//! GP1 (RX), 115200 8N1. Uploads stream into a length + CRC-32 sink. The
//! main loop, log, clock, stack report and fault handling are
//! `cuatro-board-kit`'s. DHCP by default (link-local 169.254.52.3/16 until
//! a lease); `--no-default-features --features static-ip` is
//! 192.168.1.50/24 via 192.168.1.1.
#![no_std]
#![no_main]

mod flash_id;
mod uart;

use core::mem::MaybeUninit;
use cuatro_board_kit::clock;
use cuatro_board_kit::nic::{fallback_mac, raise_event, Irq};
use cuatro_board_kit::run::{halt, halted, start, Board};
use cuatro_board_kit::storage::UploadSink;
use cuatro_board_kit::{log, stack};
use cuatro_core::cpu::Level;
use cuatro_core::server::ServerMemory;
use embedded_hal::digital::OutputPin;
use embedded_hal_bus::spi::ExclusiveDevice;
use rp2040_hal::clocks::{init_clocks_and_plls, Clock};
use rp2040_hal::fugit::RateExtU32;
use rp2040_hal::gpio::{FunctionSpi, Interrupt as PinInterrupt, Pins};
use rp2040_hal::pac::{self, interrupt};
use rp2040_hal::{Sio, Spi, Watchdog};
use smoltcp::wire::Ipv4Address;
use w5500_macraw::{Buffers, FourWire, W5500};

#[cfg(all(feature = "dhcp", feature = "static-ip"))]
compile_error!(
    "`static-ip` is the build without DHCP: use --no-default-features --features static-ip"
);

/// The second-stage boot loader for the board's W25Q16JV flash (W25Q080
/// commands): the first 256 bytes of the image, checked (CRC-32) and run
/// by the boot ROM; it sets up execute-in-place and jumps to the vector
/// table at 0x1000_0100.
#[link_section = ".boot2"]
#[used]
pub static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// The crystal on the board.
pub const XOSC_HZ: u32 = 12_000_000;
/// The system (core) clock `init_clocks_and_plls` sets up from it.
pub const CORE_CLOCK_HZ: u32 = 125_000_000;
/// SPI0's clock for the W5500: the peripheral clock (125 MHz) / 4. The
/// W5500 is specified to 80 MHz, WIZnet guarantees 33.3 MHz; embassy's
/// example for this board runs 50 MHz.
pub const SPI_HZ: u32 = 31_250_000;
/// How long RSTn is held low (the W5500 needs 500 µs) and how long the
/// chip is given afterwards before the first access (its PLL locks within
/// 1 ms), in milliseconds.
pub const W5500_RESET_MS: u32 = 1;
pub const W5500_READY_MS: u32 = 10;
/// INTn (GP21, active low, level) raises IO_IRQ_BANK0: masked by its
/// handler, unmasked by the kit's loop after `ack_interrupts`.
pub const NIC_IRQ: Irq = Irq(pac::Interrupt::IO_IRQ_BANK0 as u16);

/// With DHCP: the address until a lease (and after one is lost): IPv4
/// link-local (RFC 3927), so a laptop cabled straight to the board (which
/// gives itself a 169.254/16 address when no DHCP server answers) reaches
/// it there, and nothing on a LAN is shadowed while the lease comes.
#[cfg(feature = "dhcp")]
mod net {
    use super::Ipv4Address;
    pub const IP: Ipv4Address = Ipv4Address::new(169, 254, 52, 3);
    pub const PREFIX_LEN: u8 = 16;
    pub const GATEWAY: Ipv4Address = Ipv4Address::new(169, 254, 0, 1);
}
/// Without DHCP (`static-ip`, or a codec-only build): a typical home LAN's
/// address; edit for yours.
#[cfg(not(feature = "dhcp"))]
mod net {
    use super::Ipv4Address;
    pub const IP: Ipv4Address = Ipv4Address::new(192, 168, 1, 50);
    pub const PREFIX_LEN: u8 = 24;
    pub const GATEWAY: Ipv4Address = Ipv4Address::new(192, 168, 1, 1);
}

/// The board.
pub const BOARD: Board = Board {
    name: "w5500-evb-pico (RP2040 Cortex-M0+",
    version: env!("CARGO_PKG_VERSION"),
    core_clock_hz: CORE_CLOCK_HZ,
    nic_irq: Some(NIC_IRQ),
    ip: net::IP,
    prefix_len: net::PREFIX_LEN,
    gateway: net::GATEWAY,
    port_base: 8080,
    // The lecture's CPU unless the operator chooses another.
    cpu_level: Level::Aleatorio,
};
/// MAC address if the flash has no unique ID: locally administered, the
/// kit's pattern with this board's byte (two such boards on one LAN would
/// clash; the log says so).
pub const FALLBACK_MAC: [u8; 6] = fallback_mac(0x03);
/// Largest upload: the protocol's own limit; the sink keeps only length
/// and CRC-32 (see README.md: why not a RAM ring).
pub const UPLOAD_CAPACITY: usize = u32::MAX as usize;
/// ROSC random bits mixed into the server's seed.
const ENTROPY_BITS: u32 = 64;

cuatro_board_kit::wire! {
    console: uart::write,
}

/// INTn went low: mask the line until the main loop has acknowledged the
/// W5500 (the pin's level interrupt stays active until then) and wake it.
#[interrupt]
fn IO_IRQ_BANK0() {
    cortex_m::peripheral::NVIC::mask(pac::Interrupt::IO_IRQ_BANK0);
    raise_event();
}

#[rp2040_hal::entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, once.
    static mut NIC_BUFFERS: Buffers = Buffers::new();
    // Uninitialised, so in .bss: no initial image in flash (ServerMemory::init).
    static mut SERVER_MEMORY: MaybeUninit<ServerMemory<'static>> = MaybeUninit::uninit();

    stack::paint();
    let (Some(mut pac), Some(mut core)) = (pac::Peripherals::take(), pac::CorePeripherals::take())
    else {
        halt(halted().s("peripherals already taken"));
    };
    let mut watchdog = Watchdog::new(pac.WATCHDOG);
    let Ok(clocks) = init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    ) else {
        // (Before the UART: this line goes nowhere; a debugger sees it.)
        halt(halted().s("crystal or PLL did not start"));
    };
    let sio = Sio::new(pac.SIO);
    let pins = Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let uart_ok = uart::init(
        pac.UART0,
        (pins.gpio0, pins.gpio1),
        &mut pac.RESETS,
        clocks.peripheral_clock.freq(),
    );
    let core_hz = clocks.system_clock.freq().to_Hz();
    clock::start(&mut core.SYST, core_hz);
    if !uart_ok {
        halt(halted().s("UART0 refused 115200 baud"));
    }
    BOARD.log_boot();

    let mac = match flash_id::unique_id() {
        Some(id) => {
            let [a, b, c, d, e, f, g, h] = id;
            let mac = flash_id::mac_from_id(id);
            log::info()
                .s("flash unique id ")
                .hex8(u32::from_be_bytes([a, b, c, d]))
                .hex8(u32::from_be_bytes([e, f, g, h]))
                .s(": mac=")
                .mac(mac)
                .end();
            mac
        }
        None => {
            log::warn()
                .s("flash has no unique id; using ")
                .mac(FALLBACK_MAC)
                .end();
            FALLBACK_MAC
        }
    };

    // The W5500: hardware reset, SPI0 at SPI_HZ (mode 0), CSn on GP17.
    let mut reset = pins.gpio20.into_push_pull_output();
    let _ = reset.set_low();
    cortex_m::asm::delay(core_hz / 1000 * W5500_RESET_MS);
    let _ = reset.set_high();
    cortex_m::asm::delay(core_hz / 1000 * W5500_READY_MS);
    let spi_pins = (
        pins.gpio19.into_function::<FunctionSpi>(),
        pins.gpio16.into_function::<FunctionSpi>(),
        pins.gpio18.into_function::<FunctionSpi>(),
    );
    let spi = Spi::<_, _, _, 8>::new(pac.SPI0, spi_pins).init(
        &mut pac.RESETS,
        clocks.peripheral_clock.freq(),
        SPI_HZ.Hz(),
        embedded_hal::spi::MODE_0,
    );
    // (GPIO writes cannot fail: the error type is Infallible.)
    let Ok(device) = ExclusiveDevice::new_no_delay(spi, pins.gpio17.into_push_pull_output());
    let mut nic = match W5500::new(FourWire::new(device), NIC_BUFFERS, mac) {
        Ok(nic) => nic,
        Err(e) => halt_nic(e),
    };
    // INTn: low while a received frame waits unacknowledged.
    let int_pin = pins.gpio21.into_pull_up_input();
    int_pin.set_interrupt_enabled(PinInterrupt::LevelLow, true);
    log::info()
        .s("W5500 MACRAW mac=")
        .mac(mac)
        .link(nic.link_up())
        .end();

    // Each boot plays differently: the ring oscillator's random bit, and
    // SysTick's phase.
    let mut entropy = u64::from(cortex_m::peripheral::SYST::get_current());
    for _ in 0..ENTROPY_BITS {
        entropy = entropy.rotate_left(1) ^ u64::from(pac.ROSC.randombit().read().randombit().bit());
    }
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

/// [`halt`] for a W5500 that cannot be brought up.
fn halt_nic(e: w5500_macraw::Error) -> ! {
    let line = halted().s(e.message());
    halt(match e {
        w5500_macraw::Error::NotFound(v) | w5500_macraw::Error::OpenFailed(v) => {
            line.s(": read 0x").hex8(u32::from(v))
        }
        _ => line,
    })
}
