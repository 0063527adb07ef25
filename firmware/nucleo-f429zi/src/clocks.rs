//! The clock tree: 180 MHz from the PLL, fed by the 8 MHz clock the
//! Nucleo's ST-LINK puts out on its MCO pin (wired to the STM32's OSC_IN,
//! PH0: HSE in bypass mode; UM1974, "OSC clock", the board's default
//! solder bridges), or by the internal 16 MHz HSI if that clock is not
//! there (a board whose ST-LINK was cut off, or whose bridges were moved).
//!
//! | clock | source | rate |
//! |---|---|---:|
//! | PLL input | HSE 8 MHz / 4 (or HSI 16 MHz / 8) | 2 MHz |
//! | VCO | × 180 | 360 MHz |
//! | SYSCLK, HCLK (core, AHB, Ethernet DMA) | VCO / 2 | 180 MHz |
//! | PLL48CLK (RNG) | VCO / 8 | 45 MHz |
//! | APB1 (USART3) | HCLK / 4 | 45 MHz |
//! | APB2 | HCLK / 2 | 90 MHz |
//!
//! 180 MHz is the chip's maximum; it needs the voltage regulator's
//! over-drive mode, which embassy-stm32 turns on for the F429. Flash wait
//! states (5 at 180 MHz, 2.7–3.6 V) are embassy-stm32's too. The Ethernet
//! MAC's own 50 MHz RMII reference clock comes from the LAN8742A's crystal,
//! not from this tree.

use core::ptr::{read_volatile, write_volatile};
use embassy_stm32::rcc::{
    AHBPrescaler, APBPrescaler, Hse, HseMode, Pll, PllMul, PllPDiv, PllPreDiv, PllQDiv, PllSource,
    Sysclk,
};
use embassy_stm32::time::Hertz;

/// The core clock (SysTick's input) after [`config`]'s PLL is running.
pub const CORE_CLOCK_HZ: u32 = 180_000_000;
/// The ST-LINK's MCO output: the HSE in bypass mode.
pub const HSE_HZ: u32 = 8_000_000;

/// RCC clock control register (RM0090 §6.3.1).
const RCC_CR: usize = 0x4002_3800;
const CR_HSEON: u32 = 1 << 16;
const CR_HSERDY: u32 = 1 << 17;
const CR_HSEBYP: u32 = 1 << 18;
/// Polls of HSERDY before the MCO clock is given up. An external clock in
/// bypass mode is ready within a few cycles; this is ~10 ms at the 16 MHz
/// HSI the chip runs on at reset.
const HSE_READY_POLLS: u32 = 40_000;

/// Where the PLL's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The ST-LINK's 8 MHz MCO (HSE bypass): the board's default.
    StLinkMco,
    /// The internal 16 MHz RC oscillator (±1 %): no MCO clock came.
    Hsi,
}

/// Whether the ST-LINK's 8 MHz clock is there: turns the HSE on in bypass
/// mode and waits (bounded) for it. embassy-stm32 waits for it without a
/// bound, so this runs first; a board without it falls back to the HSI
/// rather than hanging before its first log line.
pub fn probe_hse() -> Source {
    // SAFETY: RCC_CR is the reset and clock control register of every
    // STM32F4; at this point (before embassy_stm32::init) nothing else
    // touches it, and the HSE bits change no clock in use (the chip runs
    // on the HSI).
    unsafe {
        let cr = read_volatile(RCC_CR as *const u32);
        if cr & CR_HSERDY != 0 {
            return Source::StLinkMco; // already running (HSEBYP is locked then)
        }
        write_volatile(RCC_CR as *mut u32, cr | CR_HSEBYP);
        write_volatile(RCC_CR as *mut u32, cr | CR_HSEBYP | CR_HSEON);
        let ready =
            (0..HSE_READY_POLLS).any(|_| read_volatile(RCC_CR as *const u32) & CR_HSERDY != 0);
        if ready {
            Source::StLinkMco
        } else {
            write_volatile(RCC_CR as *mut u32, cr & !(CR_HSEON | CR_HSEBYP));
            Source::Hsi
        }
    }
}

/// embassy-stm32's configuration: the clock tree above from `source`.
pub fn config(source: Source) -> embassy_stm32::Config {
    let mut config = embassy_stm32::Config::default();
    let prediv = match source {
        Source::StLinkMco => {
            config.rcc.hse = Some(Hse {
                freq: Hertz(HSE_HZ),
                mode: HseMode::Bypass,
            });
            config.rcc.pll_src = PllSource::HSE;
            PllPreDiv::DIV4
        }
        Source::Hsi => {
            config.rcc.pll_src = PllSource::HSI;
            PllPreDiv::DIV8
        }
    };
    config.rcc.pll = Some(Pll {
        prediv,
        mul: PllMul::MUL180,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV8),
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config
}
