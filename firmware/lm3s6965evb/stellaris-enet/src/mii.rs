//! MII management: the internal PHY's registers, and the link.

use crate::bits::*;
use crate::{phy_reg, reg, Error, Regs, Stellaris, POLL_LIMIT};

impl<R: Regs> Stellaris<'_, R> {
    /// Reads PHY register `r` (0..=31) over MII.
    pub fn phy_read(&mut self, r: u8) -> Result<u16, Error> {
        self.mii(r, MCTL_START)?;
        Ok(self.regs.read(reg::MRXD) as u16)
    }

    /// Writes PHY register `r` (0..=31) over MII (QEMU keeps 8 bits and
    /// has no PHY to write to).
    pub fn phy_write(&mut self, r: u8, v: u16) -> Result<(), Error> {
        if !self.mii_idle() {
            return Err(Error::MiiTimeout);
        }
        self.regs.write(reg::MTXD, u32::from(v));
        self.mii(r, MCTL_WRITE | MCTL_START)
    }

    /// Whether the PHY reports the link up. `None`: no PHY answers (QEMU,
    /// whose MII reads 0) or the MII timed out. `MR1`'s link bit latches
    /// low, so it is read twice: the second read is the link now.
    pub fn link_up(&mut self) -> Option<bool> {
        let id = self.phy_read(phy_reg::MR2).ok()?;
        if id == 0 || id == u16::MAX {
            return None;
        }
        self.phy_read(phy_reg::MR1).ok()?;
        let status = self.phy_read(phy_reg::MR1).ok()?;
        Some(status & phy_reg::MR1_LINK != 0)
    }

    fn mii_idle(&self) -> bool {
        (0..POLL_LIMIT).any(|_| self.regs.read(reg::MCTL) & MCTL_START == 0)
    }

    /// Runs one MII transaction on register `r` and waits for it.
    fn mii(&mut self, r: u8, op: u32) -> Result<(), Error> {
        if !self.mii_idle() {
            return Err(Error::MiiTimeout);
        }
        let addr = (u32::from(r) & MCTL_REGADR_MASK) << MCTL_REGADR_SHIFT;
        self.regs.write(reg::MCTL, addr | op);
        if !self.mii_idle() {
            return Err(Error::MiiTimeout);
        }
        Ok(())
    }
}
