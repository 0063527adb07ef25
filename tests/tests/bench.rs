//! The benchmark commands as a user runs them: `cuatro bench` (its summary
//! and `--json` line) and `cuatro bench-suite` (its Markdown table), with
//! small sizes so they finish in seconds. They check the shape and the
//! consistency of the numbers, not their size (speed is for docs/BENCHMARKS.md's
//! benchmark run, not for tests).

use cuatro_proto::Codec;
use cuatro_tests::in_process_sim;
use cuatro_tests::process::{bin, run_with_stdin, Output};
use std::process::Command;
use std::time::Duration;

const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The value of `"key":<number>` in a flat JSON object.
fn json_number(line: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\":");
    let start = line
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        + pat.len();
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {line}: {e}"))
}

fn bench(args: &[&str]) -> Output {
    let mut cmd = Command::new(bin("cuatro"));
    cmd.arg("bench").args(args);
    run_with_stdin(cmd, "", RUN_LIMIT)
}

#[test]
fn bench_json_line_counts_every_game_and_orders_the_quantiles() {
    let (_sim, target) = in_process_sim(5, None);
    for codec in [Codec::Compact, Codec::Classic] {
        let addr = target.addr(codec).to_string();
        let mut args = vec!["--addr", &addr, "--clients", "3", "--games", "4", "--json"];
        if codec == Codec::Classic {
            args.push("--classic");
        }
        let out = bench(&args);
        assert!(out.success(), "{codec:?}: {}{}", out.stdout, out.stderr);
        let json = out.stdout.lines().last().unwrap_or_default();
        assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
        // 3 clients x 4 games, each at least a new-game and one move.
        assert_eq!(json_number(json, "games"), 12.0, "{json}");
        let actions = json_number(json, "actions");
        assert!(actions >= 24.0, "{json}");
        let rate = json_number(json, "actions_per_s");
        let elapsed = json_number(json, "elapsed_s");
        assert!(rate > 0.0 && elapsed > 0.0, "{json}");
        assert!(
            (rate * elapsed - actions).abs() <= actions * 0.01 + 1.0,
            "actions/s disagrees with actions / elapsed: {json}"
        );
        let q: Vec<f64> = ["p50_us", "p90_us", "p99_us", "max_us"]
            .iter()
            .map(|k| json_number(json, k))
            .collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "quantiles: {json}");
        assert!(q[0] > 0.0, "p50 of a real round trip is not 0: {json}");
        // The human summary says the same.
        assert!(
            out.stdout.contains(&format!("{actions} actions in")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn bench_against_nothing_fails_in_one_line() {
    // A port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let out = bench(&["--addr", &addr, "--clients", "1", "--games", "1"]);
    assert!(!out.success(), "{}", out.stdout);
    assert!(out.stderr.contains(&addr), "{}", out.stderr);
    assert!(out.stderr.trim().lines().count() <= 3, "{}", out.stderr);
}

/// The rows of the first Markdown table whose header starts with `| server`
/// and has `column`: each row split into cells.
fn table_rows(md: &str, column: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in md.lines() {
        if line.starts_with("| server") {
            inside = line.contains(column);
            continue;
        }
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        if inside && !line.starts_with("|---") {
            rows.push(
                line.trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_owned())
                    .collect(),
            );
        }
    }
    rows
}

/// With `CUATRO_REQUIRE_QEMU=1` (CI) the suite includes the QEMU boards
/// (their images are built by each `firmware/<board>/ci` before the tests);
/// otherwise it leaves it out, so the test needs no cross toolchain.
#[test]
fn bench_suite_writes_the_side_by_side_table() {
    let qemu = std::env::var("CUATRO_REQUIRE_QEMU").as_deref() == Ok("1");
    let out_file = std::env::temp_dir().join(format!("cuatro-suite-{}.md", std::process::id()));
    let mut cmd = Command::new(bin("cuatro"));
    cmd.args(["bench-suite", "--games", "16", "--upload-mib", "1"])
        .args(["--qemu", if qemu { "true" } else { "false" }, "--out"])
        .arg(&out_file);
    let out = run_with_stdin(cmd, "", RUN_LIMIT);
    assert!(out.success(), "{}{}", out.stdout, out.stderr);
    let md = std::fs::read_to_string(&out_file).unwrap();
    let _ = std::fs::remove_file(&out_file);
    assert!(md.starts_with("Machine: "), "{md}");
    assert!(out.stdout.contains(md.trim()), "stdout and --out differ");

    let games = table_rows(&md, "actions/s");
    let mut servers = vec![
        "cuatro serve (kernel TCP)",
        "cuatro-sim, host buffers",
        "cuatro-sim, MCU buffers",
    ];
    if qemu {
        for board in ["mps2-an385", "lm3s6965evb"] {
            servers.push(format!("QEMU {board} board").leak());
            servers.push(format!("QEMU {board} board @ 31.25 MIPS").leak());
        }
    }
    for codec in ["compact", "classic"] {
        for clients in ["1", "16", "64"] {
            for &server in &servers {
                let mcu = server.contains("MCU") || server.contains("QEMU");
                let row = games
                    .iter()
                    .find(|r| r[0] == server && r[1] == codec && r[2] == clients);
                if mcu && clients == "64" {
                    assert!(row.is_none(), "4 sessions only: {row:?}");
                    continue;
                }
                let row = row.unwrap_or_else(|| panic!("no row {server} {codec} {clients}:\n{md}"));
                let n: Vec<f64> = row[3..8].iter().map(|c| c.parse().unwrap()).collect();
                assert!(n[0] > 0.0, "actions/s: {row:?}");
                assert!(
                    n[1..].windows(2).all(|w| w[0] <= w[1]),
                    "quantiles: {row:?}"
                );
                if server.starts_with("cuatro serve") {
                    assert_eq!(row[8], "—", "{row:?}");
                } else {
                    let ratio: f64 = row[8].parse().unwrap();
                    assert!(ratio > 0.0, "{row:?}");
                }
                // The capped boards measure themselves (their meter lines);
                // nobody else has instructions to count.
                assert_eq!(row.len(), 11, "{row:?}");
                if server.ends_with("@ 31.25 MIPS") {
                    let i: f64 = row[10].parse().unwrap_or_else(|e| panic!("{row:?}: {e}"));
                    assert!(i > 0.0, "instructions/action: {row:?}");
                } else {
                    assert_eq!(row[10], "—", "{row:?}");
                }
            }
        }
    }
    let uploads = table_rows(&md, "MiB/s");
    assert_eq!(uploads.len(), servers.len(), "{md}");
    for (row, server) in uploads.iter().zip(&servers) {
        assert_eq!(row[0], *server, "{md}");
        assert_eq!(row[1], "1 MiB", "{md}");
        assert!(row[2].parse::<f64>().unwrap() > 0.0, "{row:?}");
        if server.ends_with("@ 31.25 MIPS") {
            let i: f64 = row[4].parse().unwrap_or_else(|e| panic!("{row:?}: {e}"));
            assert!(i > 0.0, "instructions/byte: {row:?}");
        } else {
            assert_eq!(row[4], "—", "{row:?}");
        }
    }
}
