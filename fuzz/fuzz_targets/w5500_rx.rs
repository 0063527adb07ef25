#![no_main]
// `w5500_rx`: see fuzz/harness/src/lib.rs for what it drives and checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cuatro_fuzz::w5500_rx::fuzz(data));
