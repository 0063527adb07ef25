//! The 64-bit unique ID of the board's flash chip (Winbond W25Q16JV,
//! command 0x4B "Read Unique ID": the command, four dummy bytes, eight ID
//! bytes), the only per-board number an RP2040 board has: the RP2040 itself
//! has no unique ID. The board's MAC address is derived from it.
//!
//! The code runs from flash, and the flash cannot execute code while it is
//! answering a command. So the command runs in [`read_in_ram`], a function
//! placed in `.data` (copied to SRAM by cortex-m-rt at boot) that touches
//! nothing in flash: it calls the boot ROM's `connect_internal_flash` and
//! `flash_exit_xip` (through pointers looked up beforehand), drives the
//! flash's chip select low through the QSPI pad override, clocks the 13
//! bytes through the SSI (now in plain SPI mode), releases chip select,
//! calls the ROM's `flash_flush_cache` (which also gives the chip select pad
//! back to the SSI), then re-enters execute-in-place by
//! calling a RAM copy of the image's own second-stage boot loader (the
//! first 256 bytes of flash, which returns to its caller when called as a
//! function), so the fast QSPI mode it set up at boot comes back. The
//! sequence is the Pico SDK's `flash_do_cmd`; interrupts are off
//! throughout, the second core is still parked in the boot ROM, and no DMA
//! runs. Every wait in it is bounded ([`SPIN_LIMIT`]).
//!
//! `./extra-ci` checks the built image: `read_in_ram` sits in SRAM and
//! calls nothing by address (only the pointers it is given).

use rp2040_hal::rom_data;

/// The SSI (the flash interface), RP2040 datasheet 4.10.13.
const SSI_BASE: usize = 0x1800_0000;
/// Status register: TFNF (transmit FIFO not full), RFNE (receive FIFO not
/// empty).
const SSI_SR: usize = SSI_BASE + 0x28;
/// Data register 0.
const SSI_DR0: usize = SSI_BASE + 0x60;
const SR_TFNF: u32 = 1 << 1;
const SR_RFNE: u32 = 1 << 3;
/// `GPIO_QSPI_SS_CTRL` (IO_QSPI, 0x4001_8000 + 0x0c): the flash's chip
/// select pad.
const QSPI_SS_CTRL: usize = 0x4001_800c;
/// Its OUTOVER field: 2 drives the pad low, 3 high (0, the SSI drives it,
/// is what the ROM's `flash_flush_cache` restores).
const OUTOVER_SHIFT: u32 = 8;
const OUTOVER_MASK: u32 = 0b11 << OUTOVER_SHIFT;
const OUTOVER_LOW: u32 = 2 << OUTOVER_SHIFT;
const OUTOVER_HIGH: u32 = 3 << OUTOVER_SHIFT;

/// Read Unique ID.
const CMD_READ_UNIQUE_ID: u8 = 0x4B;
/// Dummy bytes between the command and the ID.
const DUMMY_BYTES: usize = 4;
/// Bytes of the ID.
pub const ID_BYTES: usize = 8;
/// Bytes clocked through the SSI: command, dummies, ID (fits the SSI's
/// 16-entry FIFOs each way).
const TRANSFER_BYTES: usize = 1 + DUMMY_BYTES + ID_BYTES;
/// Bytes of the second-stage boot loader at the start of flash.
const BOOT2_BYTES: usize = 256;
/// Start of flash (XIP, cached).
const FLASH_BASE: usize = 0x1000_0000;
/// Polls of the SSI's status while the bytes move (13 bytes at the ROM's
/// SPI clock take well under 1000 polls); a flash that does not answer
/// ends the transfer early and reads as no ID.
const SPIN_LIMIT: u32 = 100_000;

/// What [`read_in_ram`] calls: the ROM's routines and the boot loader copy.
#[repr(C)]
struct Calls {
    connect_internal_flash: unsafe extern "C" fn(),
    flash_exit_xip: unsafe extern "C" fn(),
    flash_flush_cache: unsafe extern "C" fn(),
    enter_xip: unsafe extern "C" fn(),
}

/// The flash's unique ID, or `None` if the transfer did not complete or
/// the chip has none (all zeros or all ones: flash without the command).
pub fn unique_id() -> Option<[u8; ID_BYTES]> {
    // The boot loader, copied while XIP still works. Word-aligned: it is
    // Thumb code.
    let mut boot2 = [0u32; BOOT2_BYTES / 4];
    for (i, word) in boot2.iter_mut().enumerate() {
        // SAFETY: the first 256 bytes of flash, mapped by XIP.
        *word = unsafe { core::ptr::read_volatile((FLASH_BASE as *const u32).add(i)) };
    }
    // SAFETY: a Thumb function address (bit 0 set) of the copy, which lives
    // until `read_in_ram` has returned; the boot loader returns to its
    // caller when entered with a non-zero LR, as a call does.
    let enter_xip: unsafe extern "C" fn() =
        unsafe { core::mem::transmute((boot2.as_ptr() as usize | 1) as *const ()) };
    let calls = Calls {
        connect_internal_flash: rom_data::connect_internal_flash::ptr(),
        flash_exit_xip: rom_data::flash_exit_xip::ptr(),
        flash_flush_cache: rom_data::flash_flush_cache::ptr(),
        enter_xip,
    };
    let mut id = [0u8; ID_BYTES];
    // SAFETY: interrupts are off for the duration (nothing runs from flash
    // meanwhile); the second core is in the boot ROM and no DMA channel is
    // running at this point of the boot; `calls` and `id` are on the stack,
    // in SRAM.
    let moved = cortex_m::interrupt::free(|_| unsafe { read_in_ram(&calls, id.as_mut_ptr()) });
    core::hint::black_box(&boot2);
    let blank = id.iter().all(|&b| b == 0) || id.iter().all(|&b| b == 0xFF);
    (moved == TRANSFER_BYTES as u32 && !blank).then_some(id)
}

/// Runs the Read Unique ID command with XIP off; writes the ID to `id`
/// ([`ID_BYTES`] bytes) and returns how many bytes came back (all
/// [`TRANSFER_BYTES`] unless the flash stopped answering).
///
/// # Safety
/// Nothing may execute from flash or touch it while this runs (interrupts
/// off, the other core parked, no DMA); `calls` must hold the ROM's
/// routines and a callable boot loader copy, and `id` room for
/// [`ID_BYTES`] bytes, both in SRAM.
#[inline(never)]
#[link_section = ".data.ram_func"]
unsafe extern "C" fn read_in_ram(calls: *const Calls, id: *mut u8) -> u32 {
    use core::ptr::{read_volatile, write_volatile};
    let calls = &*calls;
    (calls.connect_internal_flash)();
    (calls.flash_exit_xip)();

    // Chip select low.
    let ss = QSPI_SS_CTRL as *mut u32;
    write_volatile(ss, (read_volatile(ss) & !OUTOVER_MASK) | OUTOVER_LOW);

    let sr = SSI_SR as *const u32;
    let dr = SSI_DR0 as *mut u32;
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut spins = 0u32;
    while received < TRANSFER_BYTES && spins < SPIN_LIMIT {
        let status = read_volatile(sr);
        if sent < TRANSFER_BYTES && status & SR_TFNF != 0 {
            let byte = if sent == 0 { CMD_READ_UNIQUE_ID } else { 0 };
            write_volatile(dr, u32::from(byte));
            sent += 1;
        }
        if status & SR_RFNE != 0 {
            let byte = read_volatile(dr as *const u32) as u8;
            if received > DUMMY_BYTES {
                write_volatile(id.add(received - 1 - DUMMY_BYTES), byte);
            }
            received += 1;
        } else {
            spins += 1;
        }
    }

    // Chip select high; the ROM's flash_flush_cache hands the pad back to
    // the SSI; then XIP again.
    write_volatile(ss, (read_volatile(ss) & !OUTOVER_MASK) | OUTOVER_HIGH);
    (calls.flash_flush_cache)();
    (calls.enter_xip)();
    received as u32
}

/// A locally administered unicast MAC address from the flash's unique ID:
/// `02` and five bytes of an FNV-1a hash of the ID (salted with the board's
/// name: the IDs of one production batch differ in few bits).
pub fn mac_from_id(id: [u8; ID_BYTES]) -> [u8; 6] {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let salt = b"cuatro w5500-evb-pico";
    let hash = salt.iter().chain(id.iter()).fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    });
    let [a, b, c, d, e, ..] = hash.to_be_bytes();
    [0x02, a, b, c, d, e]
}
