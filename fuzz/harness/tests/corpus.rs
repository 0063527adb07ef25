//! Replays the committed corpus (`fuzz/corpus/<target>/`) and every crash
//! kept (`fuzz/regressions/<target>/`) through the targets' invariant
//! checks: the fuzzers' findings as ordinary tests, no fuzzer needed.

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str, min_per_target: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(kind);
    let mut total = 0;
    for (name, target) in cuatro_fuzz::TARGETS {
        let files = inputs(&root.join(name));
        assert!(
            files.len() >= min_per_target,
            "{kind}/{name}: {} inputs, expected at least {min_per_target}",
            files.len()
        );
        for file in &files {
            let data = match std::fs::read(file) {
                Ok(data) => data,
                // A fuzzer running beside the test replaces its inputs.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(
                result.is_ok(),
                "{kind}/{name}: {} breaks an invariant",
                file.display()
            );
        }
        total += files.len();
    }
    println!("{kind}: {total} inputs replayed");
}

#[test]
fn corpus_keeps_every_invariant() {
    replay("corpus", 1);
}

#[test]
fn every_crash_found_stays_fixed() {
    replay("regressions", 0);
}
