//! The board's life after its hardware is up: the server's configuration
//! from the board's constants, the `listening on` line, and the main loop —
//! `Server::poll`, log what changed, then sleep (WFI) until the NIC's
//! interrupt or the server's next deadline.

use crate::clock::Clock;
use crate::meter::Meter;
use crate::nic::{self, Irq, Nic};
use crate::{log, stack};
use cuatro_core::cpu::Level;
use cuatro_core::server::{Config, Duration, Instant, MemoryView, Server, Stats};
use cuatro_core::upload::Storage;
use cuatro_proto::Codec;
use smoltcp::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// How often the stack high-water mark is checked (logged when it grew).
pub const STACK_REPORT_EVERY: Duration = Duration::from_secs(10);
/// A session's end brings the next check forward, to no sooner than this
/// after the last (the scan reads up to 64 KiB, ~45 k instructions: a
/// game ending every few milliseconds must not pay for it each time).
pub const STACK_REPORT_AFTER_SESSION: Duration = Duration::from_secs(1);

/// A board's constants: what it is and where it sits on the network.
#[derive(Debug, Clone, Copy)]
pub struct Board {
    /// Machine and CPU for the boot line, e.g. `mps2-an385 (Cortex-M3`.
    pub name: &'static str,
    /// The board crate's version (`env!("CARGO_PKG_VERSION")`).
    pub version: &'static str,
    /// Core clock: SysTick's input.
    pub core_clock_hz: u32,
    /// The Ethernet controller's interrupt line, unmasked by [`serve`] and
    /// again after each acknowledgement (`None`: the board's HAL owns the
    /// line, and the board's own handler calls `nic::raise_event`).
    pub nic_irq: Option<Irq>,
    /// Static address (used until a DHCP lease, with the `dhcp` feature).
    pub ip: Ipv4Address,
    /// Prefix length of [`Board::ip`]'s network.
    pub prefix_len: u8,
    /// Default gateway.
    pub gateway: Ipv4Address,
    /// Classic game port (compact is the next, upload the one after).
    pub port_base: u16,
    /// The CPU level of a `\juego_nuevo` without `nivel` (a level the
    /// build leaves out plays `aleatorio`).
    pub cpu_level: Level,
}

impl Board {
    /// Logs `cuatro <version> on <name>, <MHz> MHz)`.
    #[inline(always)]
    pub fn log_boot(&self) {
        log::info()
            .s("cuatro ")
            .s(self.version)
            .s(" on ")
            .s(self.name)
            .s(", ")
            .dec(self.core_clock_hz / 1_000_000)
            .s(" MHz)")
            .end();
    }

    /// The server's configuration: this board's address, gateway and
    /// ports, `mac`, the CPU's seed mixed with `entropy` (something that
    /// differs from boot to boot), DHCP if built with it.
    #[inline(always)]
    pub fn config(&self, mac: [u8; 6], entropy: u64) -> Config {
        let mut config = Config::new(
            EthernetAddress(mac),
            Ipv4Cidr::new(self.ip, self.prefix_len),
        );
        config.gateway = Some(self.gateway);
        config.port_base = self.port_base;
        config.cpu_level = self.cpu_level;
        config.seed ^= entropy;
        #[cfg(feature = "dhcp")]
        {
            config.dhcp = true;
            log::info()
                .s("dhcp: asking for an address (static ")
                .ip(self.ip)
                .s("/")
                .dec(self.prefix_len)
                .s(" until then)")
                .end();
        }
        config
    }

    /// Logs the ports and what each serves; `upload_capacity` is the
    /// largest upload the board's storage takes.
    pub fn log_listening(&self, upload_capacity: usize) {
        let base = self.port_base;
        log::info()
            .s("listening on ")
            .ip(self.ip)
            .s(":")
            .dec(base)
            // A codec left out of the build resets every connection to its port.
            .s(if Codec::Classic.is_enabled() {
                " (classic), :"
            } else {
                " (classic off), :"
            })
            .dec(base.wrapping_add(1))
            .s(if Codec::Compact.is_enabled() {
                " (compact), :"
            } else {
                " (compact off), :"
            })
            .dec(base.wrapping_add(2))
            .s(" (upload, ")
            .size(upload_capacity)
            .s(" bytes), gateway ")
            .ip(self.gateway)
            .end();
        if cuatro_core::server::PVP_PORTS {
            log::info()
                .s("player vs player on :")
                .dec(base.wrapping_add(cuatro_core::server::PVP_CLASSIC))
                .s(" (classic), :")
                .dec(base.wrapping_add(cuatro_core::server::PVP_COMPACT))
                .s(" (compact)")
                .end();
        }
    }
}

/// Builds the server over `memory` with `uploads` behind it, enables the
/// NIC's interrupts, logs the ports and [`serve`]s forever. A memory that
/// cannot carry the server (its sizes are checked when a board's static
/// compiles, so this does not happen) halts the board with a line saying so.
#[inline(always)]
pub fn start<N: Nic, S: Storage>(
    board: &Board,
    config: Config,
    nic: &mut N,
    memory: impl Into<MemoryView<'static>>,
    uploads: S,
) -> ! {
    let mut clock = Clock::new();
    #[cfg(feature = "cpu-bench")]
    crate::cpu_bench::run();
    let capacity = usize::try_from(uploads.capacity()).unwrap_or(usize::MAX);
    let Ok(mut server) = Server::with_storage(config, nic, memory, clock.now(), uploads) else {
        halt(halted().s("the server memory cannot carry the server"));
    };
    nic.enable_interrupts();
    #[cfg(feature = "mdns")]
    if !nic.accept_multicast(cuatro_core::mdns::MDNS_MAC) {
        log::warn()
            .s("mdns: the NIC does not pass 224.0.0.251; no queries will be heard")
            .end();
    }
    board.log_listening(capacity);
    serve(board, &mut server, nic, &mut clock)
}

/// Serves forever: unmasks the NIC's line, then polls the server, logs what
/// changed (sessions, refusals, idle closes, failed uploads, the DHCP lease,
/// the stack high-water mark) and sleeps until the NIC interrupts or the
/// server's next deadline. The driver's own interrupts must be enabled.
#[inline(always)]
pub fn serve<N: Nic, S: Storage>(
    board: &Board,
    server: &mut Server<'_, S>,
    nic: &mut N,
    clock: &mut Clock,
) -> ! {
    if let Some(irq) = board.nic_irq {
        nic::unmask(irq);
    }
    let mut reported_stack = 0;
    let mut next_stack_check = clock.now();
    let mut last_stats = server.stats();
    let mut meter = Meter::new(next_stack_check);
    #[cfg(feature = "dhcp")]
    let mut last_lease = None;
    #[cfg(feature = "mdns")]
    let mut last_name = [0u8; cuatro_core::mdns::MAX_LABEL];
    loop {
        if nic::take_event() {
            // Clear before draining: a frame arriving later raises it again.
            nic.ack_interrupts();
            if let Some(irq) = board.nic_irq {
                nic::unmask(irq);
            }
        }
        let now = clock.now();
        let delay = server.poll(now, nic);

        #[cfg(feature = "dhcp")]
        {
            let lease = server.lease();
            if lease != last_lease {
                log_lease(board, lease);
                last_lease = lease;
            }
        }

        #[cfg(feature = "mdns")]
        log_mdns_name(server.mdns_name(), &mut last_name);

        let stats = server.stats();
        let session_ended = stats.active < last_stats.active;
        // Each field log_stats reports is compared there: comparing the
        // whole `Stats` first (20-odd fields) cost ~280 B of flash.
        log_stats(&stats, &last_stats);
        last_stats = stats;
        if session_ended {
            next_stack_check = next_stack_check.min(now + STACK_REPORT_AFTER_SESSION);
        }
        if now >= next_stack_check {
            next_stack_check = now + STACK_REPORT_EVERY;
            let used = stack::high_water();
            if used != reported_stack {
                reported_stack = used;
                log::info().s("stack high-water=").size(used).end();
            }
        }

        let meter_due = meter.report(now, &stats, board.core_clock_hz);

        if nic.rx_pending() {
            continue; // more frames than one poll took
        }
        let mut wake = match delay {
            Some(d) => (now + d).min(next_stack_check),
            None => next_stack_check,
        };
        if let Some(due) = meter_due {
            wake = wake.min(due);
        }
        meter.sleep();
        sleep_until(clock, wake);
        meter.wake();
    }
}

#[cfg(feature = "dhcp")]
fn log_lease(board: &Board, lease: Option<Ipv4Cidr>) {
    match lease {
        Some(cidr) => log::info()
            .s("dhcp lease ")
            .ip(cidr.address())
            .s("/")
            .dec(cidr.prefix_len())
            .end(),
        None => log::warn()
            .s("dhcp lease lost; static ")
            .ip(board.ip)
            .s("/")
            .dec(board.prefix_len)
            .end(),
    }
}

/// Logs the mDNS host name when it is new (at boot, and after a conflict
/// on the link renamed it `cuatro-2`, …): `mdns: cuatro.local`.
#[cfg(feature = "mdns")]
fn log_mdns_name(name: &[u8], last: &mut [u8; cuatro_core::mdns::MAX_LABEL]) {
    let len = name.len().min(last.len());
    let (Some(seen), Some(name)) = (last.get_mut(..len), name.get(..len)) else {
        return;
    };
    if seen == name && last.get(len).is_none_or(|&b| b == 0) {
        return;
    }
    last.fill(0);
    if let Some(seen) = last.get_mut(..len) {
        seen.copy_from_slice(name);
    }
    log::info()
        .s("mdns: ")
        .ascii(name)
        .s(".local, service _cuatro._tcp.local")
        .end();
}

fn log_stats(now: &Stats, before: &Stats) {
    if now.rejected != before.rejected {
        log::warn()
            .s("server full: refused a client (")
            .dec(now.rejected)
            .s(" so far)")
            .end();
    }
    if now.timed_out != before.timed_out {
        log::info()
            .s("session idle: closed (")
            .dec(now.timed_out)
            .s(" so far)")
            .end();
    }
    if now.uploads_failed != before.uploads_failed {
        log::warn()
            .s("uploads failed: ")
            .dec(now.uploads_failed)
            .end();
    }
    if now.accepted != before.accepted || now.active != before.active {
        log::info()
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
fn sleep_until(clock: &mut Clock, deadline: Instant) {
    loop {
        let done = cortex_m::interrupt::free(|_| {
            if nic::event_pending() || clock.now() >= deadline {
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

/// Starts the line that says why the board cannot run: `ERROR halted: `;
/// the caller adds the reason and passes it to [`halt`].
pub fn halted() -> log::Line {
    log::error().s("halted: ")
}

/// Ends `reason` (a line from [`halted`]) and sleeps forever. Not generic
/// over a closure: one copy of it, whatever the reasons (a generic one cost
/// ~130 B of flash per call site).
pub fn halt(reason: log::Line) -> ! {
    reason.end();
    loop {
        cortex_m::asm::wfi();
    }
}
