#!/usr/bin/env python3
"""ELF -> UF2 for the RP2040's boot ROM (drag-and-drop flashing), standard
library only; and a checker for the result.

    elf2uf2.py ELF [UF2]            write UF2 (default: ELF's path + .uf2)
    elf2uf2.py --check UF2 [ELF]    check a UF2 (against ELF, if given)

UF2 (Microsoft's USB flashing format, github.com/microsoft/uf2): 512-byte
blocks, each carrying 256 bytes for one flash address:

    offset  field
    0       magic 0x0A324655 ("UF2\\n")
    4       magic 0x9E5D5157
    8       flags: 0x00002000 = the family ID field is present
    12      target address (256-aligned here)
    16      payload size: 256
    20      block number (0-based)
    24      number of blocks
    28      family ID: 0xE48BFF56 (RP2040)
    32      data: 256 payload bytes, then zeros up to offset 508
    508     magic 0x0AB16F30

The image is every PT_LOAD segment with file contents, at its physical
(load) address, which must lie in the RP2040's flash window
(0x1000_0000..0x1100_0000); the pages it touches are written whole, gaps
zero-filled, in ascending order (as the Pico SDK's elf2uf2 does). The check
also verifies the second-stage boot loader in the first 256 bytes: the boot
ROM only runs it if the CRC-32 (polynomial 0x04C11DB7, initial 0xFFFFFFFF,
not reflected, no final XOR) of its first 252 bytes equals its last 4
(little-endian).
"""

import os
import struct
import sys

MAGIC_START0 = 0x0A324655
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
FLAG_FAMILY_ID_PRESENT = 0x00002000
RP2040_FAMILY_ID = 0xE48BFF56
BLOCK_BYTES = 512
PAYLOAD_BYTES = 256
DATA_FIELD_BYTES = 476
HEADER = struct.Struct("<8I")
FLASH_START = 0x1000_0000
FLASH_END = 0x1100_0000  # the RP2040's XIP window: at most 16 MiB of flash
BOOT2_BYTES = 256
PT_LOAD = 1


def fail(msg):
    print(f"elf2uf2: {msg}", file=sys.stderr)
    sys.exit(1)


def load_segments(path):
    """(physical address, bytes) of every PT_LOAD segment with file contents."""
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF":
        fail(f"{path}: not an ELF file")
    if elf[4] != 1 or elf[5] != 1:
        fail(f"{path}: not a 32-bit little-endian ELF (an ARM image)")
    (e_phoff,) = struct.unpack_from("<I", elf, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", elf, 42)
    segments = []
    for i in range(e_phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz, _memsz, _flags, _align = struct.unpack_from(
            "<8I", elf, e_phoff + i * e_phentsize
        )
        if p_type != PT_LOAD or p_filesz == 0:
            continue
        data = elf[p_offset : p_offset + p_filesz]
        if len(data) != p_filesz:
            fail(f"{path}: segment {i} runs past the end of the file")
        if not (FLASH_START <= p_paddr and p_paddr + p_filesz <= FLASH_END):
            fail(
                f"{path}: segment {i} loads at 0x{p_paddr:08x}..0x{p_paddr + p_filesz:08x}, "
                "outside the flash window 0x10000000..0x11000000"
            )
        segments.append((p_paddr, data))
    if not segments:
        fail(f"{path}: no loadable segment")
    return segments


def pages(segments):
    """{page address: 256 bytes} covering every segment, gaps zero-filled."""
    out = {}
    for addr, data in sorted(segments):
        for i, byte in enumerate(data):
            a = addr + i
            page = out.setdefault(a & ~(PAYLOAD_BYTES - 1), bytearray(PAYLOAD_BYTES))
            page[a % PAYLOAD_BYTES] = byte
    return out


def to_uf2(segments):
    image = pages(segments)
    n = len(image)
    blocks = []
    for block_no, addr in enumerate(sorted(image)):
        header = HEADER.pack(
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID_PRESENT,
            addr,
            PAYLOAD_BYTES,
            block_no,
            n,
            RP2040_FAMILY_ID,
        )
        data = bytes(image[addr]).ljust(DATA_FIELD_BYTES, b"\0")
        blocks.append(header + data + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)


def crc32_boot2(data):
    """CRC-32 as the RP2040 boot ROM checks boot2 (MSB first, no final XOR)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x8000_0000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def check(uf2_path, elf_path=None):
    with open(uf2_path, "rb") as f:
        uf2 = f.read()
    if not uf2 or len(uf2) % BLOCK_BYTES:
        fail(f"{uf2_path}: {len(uf2)} bytes is not a whole number of 512-byte blocks")
    n = len(uf2) // BLOCK_BYTES
    image = {}
    last = None
    for i in range(n):
        block = uf2[i * BLOCK_BYTES : (i + 1) * BLOCK_BYTES]
        m0, m1, flags, addr, size, block_no, count, family = HEADER.unpack_from(block)
        (m_end,) = struct.unpack_from("<I", block, BLOCK_BYTES - 4)
        where = f"{uf2_path}: block {i}"
        if (m0, m1, m_end) != (MAGIC_START0, MAGIC_START1, MAGIC_END):
            fail(f"{where}: bad magic numbers")
        if flags != FLAG_FAMILY_ID_PRESENT or family != RP2040_FAMILY_ID:
            fail(f"{where}: flags 0x{flags:08x}, family 0x{family:08x} (want the RP2040's)")
        if size != PAYLOAD_BYTES or addr % PAYLOAD_BYTES:
            fail(f"{where}: payload {size} bytes at 0x{addr:08x} (want 256, 256-aligned)")
        if block_no != i or count != n:
            fail(f"{where}: numbered {block_no} of {count}, is {i} of {n}")
        if not (FLASH_START <= addr < FLASH_END) or (last is not None and addr <= last):
            fail(f"{where}: address 0x{addr:08x} outside flash or out of order")
        last = addr
        image[addr] = block[32 : 32 + PAYLOAD_BYTES]
    first = min(image)
    if first != FLASH_START:
        fail(f"{uf2_path}: the image starts at 0x{first:08x}, not at 0x10000000 (boot2)")
    boot2 = image[FLASH_START][:BOOT2_BYTES]
    want = struct.unpack_from("<I", boot2, BOOT2_BYTES - 4)[0]
    got = crc32_boot2(boot2[: BOOT2_BYTES - 4])
    if got != want:
        fail(f"{uf2_path}: boot2 CRC 0x{got:08x}, its last word says 0x{want:08x}: the ROM would not boot it")
    if elf_path is not None:
        expected = pages(load_segments(elf_path))
        if expected != {a: bytearray(p) for a, p in image.items()}:
            fail(f"{uf2_path}: its contents differ from {elf_path}'s loadable segments")
    span = max(image) + PAYLOAD_BYTES - FLASH_START
    print(
        f"{uf2_path}: {n} blocks, 0x{FLASH_START:08x}..0x{FLASH_START + span:08x} "
        f"({span} bytes of flash), family 0x{RP2040_FAMILY_ID:08x}, boot2 CRC 0x{want:08x} ok"
        + (f", same bytes as {os.path.basename(elf_path)}" if elf_path else "")
    )


def main(argv):
    if len(argv) >= 2 and argv[0] == "--check":
        check(argv[1], argv[2] if len(argv) > 2 else None)
        return
    if not 1 <= len(argv) <= 2 or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    elf = argv[0]
    out = argv[1] if len(argv) > 1 else elf + ".uf2"
    uf2 = to_uf2(load_segments(elf))
    with open(out, "wb") as f:
        f.write(uf2)
    print(f"{out}: {len(uf2) // BLOCK_BYTES} blocks")


if __name__ == "__main__":
    main(sys.argv[1:])
