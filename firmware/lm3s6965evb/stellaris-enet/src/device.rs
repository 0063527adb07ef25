//! The smoltcp `phy::Device` implementation.

use crate::tx::{tx_frame, tx_idle};
use crate::{bump, Regs, Stats, Stellaris, FRAME_BUFFER, LEN_FIELD, MTU};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// A received frame, lent to smoltcp.
pub struct RxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for RxToken<'_> {
    fn consume<T, F>(self, f: F) -> T
    where
        F: FnOnce(&[u8]) -> T,
    {
        f(self.frame)
    }
}

/// Room to build one frame; sent when consumed.
pub struct TxToken<'a, R: Regs> {
    regs: &'a mut R,
    buf: &'a mut [u8; FRAME_BUFFER],
    stats: &'a mut Stats,
}

impl<R: Regs> phy::TxToken for TxToken<'_, R> {
    fn consume<T, F>(self, len: usize, f: F) -> T
    where
        F: FnOnce(&mut [u8]) -> T,
    {
        let TxToken { regs, buf, stats } = self;
        match buf.get_mut(..len) {
            Some(frame) => {
                let result = f(frame);
                // Refuses (and counts) what is over the MTU.
                tx_frame(regs, frame, stats);
                result
            }
            None => {
                // Larger than any frame this device announced (MTU): let
                // the stack build what fits, and drop it.
                bump(&mut stats.tx_dropped);
                f(buf.as_mut_slice())
            }
        }
    }
}

impl<R: Regs> phy::Device for Stellaris<'_, R> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, R>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = self.receive_frame()?;
        let frame = self.rx.get(LEN_FIELD..LEN_FIELD + len)?;
        Some((
            RxToken { frame },
            TxToken {
                regs: &mut self.regs,
                buf: &mut *self.tx,
                stats: &mut self.stats,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // The previous frame still going out: let smoltcp keep this one and
        // retry later.
        if !tx_idle(&self.regs) {
            return None;
        }
        Some(TxToken {
            regs: &mut self.regs,
            buf: &mut *self.tx,
            stats: &mut self.stats,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(self.max_burst);
        caps
    }
}
