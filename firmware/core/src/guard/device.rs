//! [`Guarded`]: the `phy::Device` wrapper that puts the [`Guard`] between
//! smoltcp and the NIC, both ways.

use super::*;

/// `inner` behind the guard. `is_open` tells whether a 4-tuple is in a
/// socket's connection; `hold` lists the ports whose SYNs wait for a
/// listener; `saw_syn` is set when a new SYN reaches smoltcp.
pub(crate) struct Guarded<'a, 'g, D: Device + ?Sized> {
    pub(crate) inner: &'a mut D,
    pub(crate) guard: &'a RefCell<&'g mut Guard>,
    pub(crate) is_open: &'a dyn Fn(&Peer) -> bool,
    pub(crate) hold: &'a [u16],
    pub(crate) saw_syn: &'a Cell<bool>,
}

/// Receive token of [`Guarded`]: a frame from the NIC, or the held SYN.
pub(crate) struct Rx<'p, 'g, T> {
    inner: Option<T>,
    guard: &'p RefCell<&'g mut Guard>,
    is_open: &'p dyn Fn(&Peer) -> bool,
    hold: &'p [u16],
    saw_syn: &'p Cell<bool>,
    now: Instant,
}

impl<T: phy::RxToken> Rx<'_, '_, T> {
    /// Hands `frame` (or, dropped, an empty frame, which smoltcp ignores)
    /// to smoltcp's `f`. One call site of `f` and never inlined: `f` is the
    /// whole ingress path of the stack, and each copy costs kilobytes of
    /// flash.
    #[inline(never)]
    fn deliver<R, F: FnOnce(&[u8]) -> R>(&self, frame: &[u8], replayed: bool, f: F) -> R {
        let verdict = match self.guard.try_borrow_mut() {
            Ok(mut g) => g.inspect_rx(frame, self.now, self.is_open, self.hold, replayed),
            Err(_) => Verdict::Pass,
        };
        if verdict == Verdict::PassSyn {
            self.saw_syn.set(true);
        }
        f(if verdict == Verdict::Drop { &[] } else { frame })
    }
}

impl<T: phy::RxToken> phy::RxToken for Rx<'_, '_, T> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(mut self, f: F) -> R {
        match self.inner.take() {
            Some(inner) => inner.consume(|frame| self.deliver(frame, false, f)),
            None => {
                let mut copy = [0u8; HELD_FRAME_LEN];
                let len = match self.guard.try_borrow_mut() {
                    Ok(mut g) => {
                        let len = g.held_len;
                        g.held_len = 0;
                        g.replay = false;
                        if let (Some(dst), Some(src)) = (copy.get_mut(..len), g.held.get(..len)) {
                            dst.copy_from_slice(src);
                        }
                        len
                    }
                    Err(_) => 0,
                };
                let frame = copy.get(..len).unwrap_or(&[]);
                self.deliver(frame, true, f)
            }
        }
    }

    fn meta(&self) -> phy::PacketMeta {
        self.inner.as_ref().map(|t| t.meta()).unwrap_or_default()
    }
}

/// Transmit token of [`Guarded`]: records each outgoing frame.
pub(crate) struct Tx<'p, 'g, T> {
    inner: T,
    guard: &'p RefCell<&'g mut Guard>,
    now: Instant,
}

impl<T: phy::TxToken> phy::TxToken for Tx<'_, '_, T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let (guard, now) = (self.guard, self.now);
        self.inner.consume(len, |buf| {
            let r = f(buf);
            if let Ok(mut g) = guard.try_borrow_mut() {
                g.observe_tx(buf, now);
            }
            r
        })
    }

    fn set_meta(&mut self, meta: phy::PacketMeta) {
        self.inner.set_meta(meta)
    }
}

impl<'g, D: Device + ?Sized> Device for Guarded<'_, 'g, D> {
    type RxToken<'b>
        = Rx<'b, 'g, D::RxToken<'b>>
    where
        Self: 'b;
    type TxToken<'b>
        = Tx<'b, 'g, D::TxToken<'b>>
    where
        Self: 'b;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let replay = self.guard.try_borrow().is_ok_and(|g| g.replay);
        let guard = self.guard;
        let (is_open, hold, saw_syn) = (self.is_open, self.hold, self.saw_syn);
        if replay {
            let tx = self.inner.transmit(timestamp)?;
            let rx = Rx {
                inner: None,
                guard,
                is_open,
                hold,
                saw_syn,
                now: timestamp,
            };
            return Some((
                rx,
                Tx {
                    inner: tx,
                    guard,
                    now: timestamp,
                },
            ));
        }
        self.inner.receive(timestamp).map(|(inner, tx)| {
            let rx = Rx {
                inner: Some(inner),
                guard,
                is_open,
                hold,
                saw_syn,
                now: timestamp,
            };
            (
                rx,
                Tx {
                    inner: tx,
                    guard,
                    now: timestamp,
                },
            )
        })
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let guard = self.guard;
        self.inner.transmit(timestamp).map(|inner| Tx {
            inner,
            guard,
            now: timestamp,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}
