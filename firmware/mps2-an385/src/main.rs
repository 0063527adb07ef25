//! # cuatro on the Arm MPS2 AN385 (QEMU `-M mps2-an385`)
//!
//! Board wiring, nothing more: the LAN9118 driver (crate `lan9118`), a
//! SysTick millisecond clock, a UART0 log, and `cuatro_core::Server` polled
//! in a loop that sleeps (WFI) until the NIC interrupt or the server's next
//! deadline. Static IPv4 10.0.2.15/24 via 10.0.2.2 (QEMU's user network).
#![no_std]
#![no_main]

mod clock;
mod logger;
mod stack;
mod storage;
mod uart;

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::{NVIC, SCB};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cuatro_core::server::{Config, Duration, Instant, Server, ServerMemory, Stats};
use lan9118::{Buffers, Lan9118, Mmio};
use smoltcp::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// LAN9118 register window.
pub const LAN9118_BASE: usize = 0x4020_0000;
/// LAN9118 interrupt line on the NVIC.
pub const LAN9118_IRQ: Irq = Irq(13);
/// The board's address (QEMU user networking's default guest address).
pub const IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
/// Prefix length of [`IP`]'s network.
pub const PREFIX_LEN: u8 = 24;
/// Default gateway (QEMU user networking's host side).
pub const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// Classic game port in the guest (compact is the next one); `run-qemu
/// --port-base N` forwards host ports to these.
pub const PORT_BASE: u16 = 8080;
/// MAC address used if the chip has none (no EEPROM): locally administered.
pub const FALLBACK_MAC: [u8; 6] = [0x02, 0x00, 0x63, 0x75, 0x34, 0x01];
/// How often the stack high-water mark is checked (logged when it grew).
pub const STACK_REPORT_EVERY: Duration = Duration::from_secs(10);

/// Set by the NIC interrupt, cleared by the main loop.
static NIC_EVENT: AtomicBool = AtomicBool::new(false);

/// An NVIC interrupt number (this board has no PAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Irq(pub u16);

// SAFETY: the numbers used are the AN385's external interrupt lines (< 32).
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, once.
    static mut NIC_BUFFERS: Buffers = Buffers::new();
    // Uninitialised, so in .bss: no initial image in flash (ServerMemory::init).
    static mut SERVER_MEMORY: MaybeUninit<ServerMemory<'static>> = MaybeUninit::uninit();

    stack::paint();
    uart::Uart::uart0().init(clock::CORE_CLOCK_HZ);
    let Some(mut core) = cortex_m::Peripherals::take() else {
        halt(|l| l.s("core peripherals already taken"));
    };
    clock::start(&mut core.SYST);
    logger::info()
        .s(concat!(
            "cuatro ",
            env!("CARGO_PKG_VERSION"),
            " on mps2-an385 (Cortex-M3, "
        ))
        .dec(clock::CORE_CLOCK_HZ / 1_000_000)
        .s(" MHz)")
        .end();

    // SAFETY: the LAN9118's window; this is its only user.
    let regs = unsafe { Mmio::new(LAN9118_BASE) };
    let mut nic = match Lan9118::new(regs, NIC_BUFFERS) {
        Ok(nic) => nic,
        Err(e) => halt_nic(e),
    };
    let mut mac = nic.mac_address();
    if !EthernetAddress(mac).is_unicast() || mac == [0; 6] {
        logger::warn()
            .s("no MAC address in the chip; using ")
            .mac(FALLBACK_MAC)
            .end();
        if let Err(e) = nic.set_mac_address(FALLBACK_MAC) {
            halt_nic(e);
        }
        mac = FALLBACK_MAC;
    }
    logger::info()
        .s("LAN9118 id=0x")
        .hex8(nic.chip_id())
        .s(" mac=")
        .mac(mac)
        .s(" link=")
        .s(match nic.link_up() {
            Some(true) => "up",
            Some(false) => "down",
            None => "?",
        })
        .end();

    let mut config = Config::new(EthernetAddress(mac), Ipv4Cidr::new(IP, PREFIX_LEN));
    config.gateway = Some(GATEWAY);
    config.port_base = PORT_BASE;
    // Each boot plays differently: the free-running counter has advanced
    // by a boot-dependent amount.
    config.seed ^= u64::from(nic.free_running_counter()) << 16 ^ u64::from(clock::millis());

    #[cfg(feature = "dhcp")]
    {
        config.dhcp = true;
        logger::info()
            .s("dhcp: asking for an address (static ")
            .ip(IP)
            .s("/")
            .dec(PREFIX_LEN)
            .s(" until then)")
            .end();
    }

    let mut clock = clock::Clock::new();
    let uploads = storage::PsramStorage::take();
    let memory = ServerMemory::init(SERVER_MEMORY);
    // The memory's sizes are checked when it compiles; this cannot fail.
    let Ok(mut server) = Server::with_storage(config, &mut nic, memory, clock.now(), uploads)
    else {
        halt(|l| l.s("the server memory cannot carry the server"));
    };
    nic.enable_interrupts();
    // SAFETY: the handler (DefaultHandler below) only masks the line and
    // sets a flag; no critical section relies on it staying masked.
    unsafe { NVIC::unmask(LAN9118_IRQ) };
    logger::info()
        .s("listening on ")
        .ip(IP)
        .s(":")
        .dec(PORT_BASE)
        // A codec left out of the build resets every connection to its port.
        .s(if cfg!(feature = "classic") {
            " (classic), :"
        } else {
            " (classic off), :"
        })
        .dec(PORT_BASE.wrapping_add(1))
        .s(if cfg!(feature = "compact") {
            " (compact), :"
        } else {
            " (compact off), :"
        })
        .dec(PORT_BASE.wrapping_add(2))
        .s(" (upload, ")
        .size(storage::UPLOAD_CAPACITY)
        .s(" bytes), gateway ")
        .ip(GATEWAY)
        .end();

    let mut reported_stack = 0;
    let mut next_stack_check = clock.now();
    let mut last_stats = server.stats();
    #[cfg(feature = "dhcp")]
    let mut last_lease = None;
    loop {
        if NIC_EVENT.swap(false, Ordering::Acquire) {
            // Clear before draining: a frame arriving later raises it again.
            nic.ack_interrupts();
            // SAFETY: as above.
            unsafe { NVIC::unmask(LAN9118_IRQ) };
        }
        let now = clock.now();
        let delay = server.poll(now, &mut nic);

        #[cfg(feature = "dhcp")]
        {
            let lease = server.lease();
            if lease != last_lease {
                match lease {
                    Some(cidr) => logger::info()
                        .s("dhcp lease ")
                        .ip(cidr.address())
                        .s("/")
                        .dec(cidr.prefix_len())
                        .end(),
                    None => logger::warn()
                        .s("dhcp lease lost; static ")
                        .ip(IP)
                        .s("/")
                        .dec(PREFIX_LEN)
                        .end(),
                }
                last_lease = lease;
            }
        }

        let stats = server.stats();
        let session_ended = stats.active < last_stats.active;
        if stats != last_stats {
            log_stats(&stats, &last_stats);
            last_stats = stats;
        }
        if session_ended || now >= next_stack_check {
            next_stack_check = now + STACK_REPORT_EVERY;
            let used = stack::high_water();
            if used != reported_stack {
                reported_stack = used;
                logger::info().s("stack high-water=").size(used).end();
            }
        }

        if nic.rx_pending() {
            continue; // more frames than one poll took
        }
        let wake = match delay {
            Some(d) => (now + d).min(next_stack_check),
            None => next_stack_check,
        };
        sleep_until(&mut clock, wake);
    }
}

fn log_stats(now: &Stats, before: &Stats) {
    if now.rejected != before.rejected {
        logger::warn()
            .s("server full: refused a client (")
            .dec(now.rejected)
            .s(" so far)")
            .end();
    }
    if now.timed_out != before.timed_out {
        logger::info()
            .s("session idle: closed (")
            .dec(now.timed_out)
            .s(" so far)")
            .end();
    }
    if now.uploads_failed != before.uploads_failed {
        logger::warn()
            .s("uploads failed: ")
            .dec(now.uploads_failed)
            .end();
    }
    if now.accepted != before.accepted || now.active != before.active {
        logger::info()
            .s("sessions: ")
            .dec(now.active)
            .s(" active, ")
            .dec(now.accepted)
            .s(" since boot")
            .end();
    }
}

/// Sleeps (WFI) until the NIC interrupts or `deadline` passes. Interrupts
/// are masked between the check and the WFI, so an interrupt arriving in
/// between still ends the WFI (it pends) and is not lost.
fn sleep_until(clock: &mut clock::Clock, deadline: Instant) {
    loop {
        let done = cortex_m::interrupt::free(|_| {
            if NIC_EVENT.load(Ordering::Relaxed) || clock.now() >= deadline {
                return true;
            }
            cortex_m::asm::wfi();
            false
        });
        if done {
            return;
        }
        // Leaving the critical section ran the pending handler (SysTick or
        // the NIC); check again.
    }
}

/// Logs why the board cannot run (`what` writes the reason into the
/// line) and sleeps forever.
fn halt(what: impl FnOnce(logger::Line) -> logger::Line) -> ! {
    what(logger::error().s("halted: ")).end();
    loop {
        cortex_m::asm::wfi();
    }
}

/// [`halt`] for a LAN9118 that cannot be brought up.
fn halt_nic(e: lan9118::Error) -> ! {
    halt(|l| match e {
        lan9118::Error::NotFound(v) => l.s(e.message()).s(": BYTE_TEST reads 0x").hex8(v),
        _ => l.s(e.message()),
    })
}

/// External interrupt lines of the AN385's Cortex-M3 (QEMU's `mps2-an385`
/// and the FPGA image both configure 32).
pub const IRQ_LINES: usize = 32;

extern "C" {
    /// [`DefaultHandler`] below, by its link name.
    fn DefaultHandler();
}

/// The interrupt part of the vector table: every line goes to
/// [`DefaultHandler`]. cortex-m-rt's generic table (no `device` feature)
/// has 240 entries: 832 bytes of flash this board never uses.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); IRQ_LINES] = [DefaultHandler; IRQ_LINES];

/// Every external interrupt lands here (no PAC, so no per-IRQ vectors).
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == LAN9118_IRQ.0 as i16 {
        // The line is level-triggered and stays asserted until the main
        // loop acknowledges INT_STS: mask it until then.
        NVIC::mask(LAN9118_IRQ);
        NIC_EVENT.store(true, Ordering::Release);
    } else if let Ok(n) = u16::try_from(irqn) {
        // Nobody enabled it; keep it from firing again.
        NVIC::mask(Irq(n));
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    logger::error()
        .s("hard fault: pc=0x")
        .hex8(frame.pc())
        .s(" lr=0x")
        .hex8(frame.lr())
        .s("; resetting")
        .end();
    SCB::sys_reset()
}

/// Only reached in a build without `-C panic=immediate-abort` (see
/// `.cargo/config.toml`): there a panic traps straight into [`HardFault`].
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    // The location only: formatting the message would link core::fmt and
    // every Debug impl a core panic can print (kilobytes of flash for a
    // message that must never appear).
    let line = logger::error().s("panic");
    let line = match info.location() {
        Some(at) => line.s(" at ").s(at.file()).s(":").dec(at.line()),
        None => line,
    };
    line.s("; resetting").end();
    SCB::sys_reset()
}
