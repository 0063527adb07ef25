#![no_main]
// `lan9118_rx`: see fuzz/harness/src/lib.rs for what it drives and checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cuatro_fuzz::lan9118_rx::fuzz(data));
