//! Register offsets and bit fields, as the LM3S6965 datasheet names them
//! (and as QEMU's `hw/net/stellaris_enet.c` decodes them; where the two
//! differ the datasheet wins and the difference is noted).

/// Register offsets, bytes from [`crate::BASE`]. Every access is one
/// 32-bit word.
pub mod reg {
    /// MACRIS (read): raw interrupt status.
    pub const RIS: u32 = 0x000;
    /// MACIACK (write, same address as MACRIS): write 1s to clear causes.
    pub const IACK: u32 = 0x000;
    /// MACIM: interrupt mask (1 = the cause raises the line).
    pub const IM: u32 = 0x004;
    /// MACRCTL: receive control.
    pub const RCTL: u32 = 0x008;
    /// MACTCTL: transmit control.
    pub const TCTL: u32 = 0x00c;
    /// MACDATA: the RX FIFO (read pops a word) and the TX FIFO (write
    /// pushes a word).
    pub const DATA: u32 = 0x010;
    /// MACIA0: MAC address bytes 0..=3 (byte 0 in bits 7:0).
    pub const IA0: u32 = 0x014;
    /// MACIA1: MAC address bytes 4 and 5 (byte 4 in bits 7:0).
    pub const IA1: u32 = 0x018;
    /// MACTHR: early-transmit threshold.
    pub const THR: u32 = 0x01c;
    /// MACMCTL: MII management control (PHY register address, write, start).
    pub const MCTL: u32 = 0x020;
    /// MACMDV: MII management clock divider.
    pub const MDV: u32 = 0x024;
    /// MACMTXD: MII management data to write.
    pub const MTXD: u32 = 0x02c;
    /// MACMRXD: MII management data read.
    pub const MRXD: u32 = 0x030;
    /// MACNP: number of frames in the RX FIFO.
    pub const NP: u32 = 0x034;
    /// MACTR: transmission request (NEWTX).
    pub const TR: u32 = 0x038;
}

/// Register bit fields.
pub mod bits {
    /// MACRIS/MACIACK/MACIM: a frame was received.
    pub const INT_RX: u32 = 1 << 0;
    /// Transmit error (QEMU: a length word over 2032; acknowledging it
    /// also resets QEMU's TX FIFO).
    pub const INT_TXER: u32 = 1 << 1;
    /// The TX FIFO is empty (a frame went out).
    pub const INT_TXEMP: u32 = 1 << 2;
    /// RX FIFO overrun: frames were lost (QEMU: a frame of 2042 bytes or
    /// more arrived).
    pub const INT_FOV: u32 = 1 << 3;
    /// Receive error (a frame with a bad CRC or a PHY error; QEMU never
    /// raises it).
    pub const INT_RXER: u32 = 1 << 4;
    /// MII management transaction complete (QEMU never raises it).
    pub const INT_MD: u32 = 1 << 5;
    /// The PHY interrupted (QEMU never raises it).
    pub const INT_PHY: u32 = 1 << 6;
    /// Every interrupt cause (the reset value of MACIM: all unmasked).
    pub const INT_ALL: u32 = 0x7f;

    /// MACRCTL: receiver enable.
    pub const RCTL_RXEN: u32 = 1 << 0;
    /// MACRCTL: accept all multicast frames.
    pub const RCTL_AMUL: u32 = 1 << 1;
    /// MACRCTL: promiscuous (every unicast address).
    pub const RCTL_PRMS: u32 = 1 << 2;
    /// MACRCTL: reject frames with a bad CRC.
    pub const RCTL_BADCRC: u32 = 1 << 3;
    /// MACRCTL: clear the RX FIFO. QEMU keeps the bit as written and clears
    /// the FIFO on every MACRCTL write that has it set, so it must never be
    /// left set.
    pub const RCTL_RSTFIFO: u32 = 1 << 4;

    /// MACTCTL: transmitter enable (QEMU sends even without it).
    pub const TCTL_TXEN: u32 = 1 << 0;
    /// MACTCTL: pad short frames to 60 bytes.
    pub const TCTL_PADEN: u32 = 1 << 1;
    /// MACTCTL: append the CRC.
    pub const TCTL_CRC: u32 = 1 << 2;
    /// MACTCTL: full duplex. Bit 4 per the datasheet; QEMU names it 0x08
    /// but never looks at it.
    pub const TCTL_DUPLEX: u32 = 1 << 4;

    /// MACTHR: threshold disabled, a frame is sent only on NEWTX (the reset
    /// value).
    pub const THR_DISABLED: u32 = 0x3f;

    /// MACMCTL: start a transaction; reads 1 until it completes (QEMU:
    /// completes at once).
    pub const MCTL_START: u32 = 1 << 0;
    /// MACMCTL: the transaction writes MACMTXD to the PHY (else reads it
    /// into MACMRXD).
    pub const MCTL_WRITE: u32 = 1 << 1;
    /// MACMCTL: the PHY register address, bits 7:3.
    pub const MCTL_REGADR_SHIFT: u32 = 3;
    /// MACMCTL: mask of the register address before shifting.
    pub const MCTL_REGADR_MASK: u32 = 0x1f;

    /// MACMDV for MDC <= 2.5 MHz at any system clock up to the chip's
    /// 50 MHz: MDC = sysclk / (2 * (MDV + 1)), 2.27 MHz at 50 MHz (the
    /// reset value, 0x80, gives 194 kHz).
    pub const MDV_50MHZ: u32 = 10;

    /// MACNP: the frame count, bits 5:0.
    pub const NP_MASK: u32 = 0x3f;

    /// MACTR: start sending the frame in the TX FIFO; reads 1 until it has
    /// gone (QEMU: sends at once and always reads 0).
    pub const TR_NEWTX: u32 = 1 << 0;

    /// The low half of the first word of a frame in either FIFO: RX, the
    /// length of the frame's FIFO image (2 + frame + 4 FCS bytes); TX, the
    /// frame length minus the 14-byte header.
    pub const LEN_MASK: u32 = 0xffff;
}

/// The internal PHY's registers, reached through MACMCTL/MACMTXD/MACMRXD.
pub mod phy_reg {
    /// MR0: control.
    pub const MR0: u8 = 0;
    /// MR1: status.
    pub const MR1: u8 = 1;
    /// MR2: PHY identifier 1 (OUI bits; never 0 or 0xffff on a PHY that
    /// answers).
    pub const MR2: u8 = 2;
    /// MR18: diagnostic (negotiated duplex and rate).
    pub const MR18: u8 = 18;

    /// MR1: link up. Latched low: a read reports whether the link stayed up
    /// since the previous read.
    pub const MR1_LINK: u16 = 1 << 2;
    /// MR18: the link is full duplex.
    pub const MR18_DPLX: u16 = 1 << 11;
    /// MR18: the link runs at 100 Mbit/s (else 10).
    pub const MR18_RATE: u16 = 1 << 10;
}
