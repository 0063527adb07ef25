#![no_main]
// `mdns`: see fuzz/harness/src/lib.rs for what it drives and checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cuatro_fuzz::mdns::fuzz(data));
