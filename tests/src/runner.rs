//! Runs scenarios one after the other against one running server (a QEMU
//! board, `cuatro serve`, `cuatro-sim`): each on its own thread within its
//! time limit; a failure is recorded with its name and what the server
//! logged meanwhile, and the others still run.

use crate::board::panic_text;
use crate::process::Lines;
use crate::scenarios::registry::{self, Offers, Scenario};
use crate::{bounded, Target};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

/// Whether the server still runs: `None`, or why not.
type Alive = Box<dyn Fn() -> Option<String>>;

/// The scenarios run so far against one server, and their outcomes.
pub struct Runner {
    lines: Lines,
    /// What [`Self::lines`] are, for failure reports ("board log").
    log_name: &'static str,
    /// How many of the server's last lines a failure report shows.
    tail: usize,
    alive: Alive,
    /// One report per failed scenario.
    pub failures: Vec<String>,
    /// The scenarios that passed, with their times.
    pub passed: Vec<(String, Duration)>,
    /// The scenarios not run, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Runner {
    /// A runner for the server whose output is `lines` (called `log_name`
    /// in failure reports, which show its last `tail` lines).
    pub fn new(lines: Lines, log_name: &'static str, tail: usize) -> Runner {
        Runner {
            lines,
            log_name,
            tail,
            alive: Box::new(|| None),
            failures: Vec::new(),
            passed: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Checks `alive` before each scenario: when it says why the server is
    /// gone, the scenario is not run and counts as failed.
    pub fn with_liveness(mut self, alive: impl Fn() -> Option<String> + 'static) -> Runner {
        self.alive = Box::new(alive);
        self
    }

    /// Runs `f` on its own thread, at most `limit`; a panic (or the time
    /// limit) is recorded with `label` and the log lines it produced.
    pub fn run(&mut self, label: &str, limit: Duration, f: impl FnOnce() + Send + 'static) {
        println!("--- {label}");
        if let Some(gone) = (self.alive)() {
            println!("SKIP {label}: {gone}");
            self.failures.push(format!("[{label}] not run: {gone}"));
            return;
        }
        let from = self.lines.len();
        let start = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| bounded(limit, f)));
        let took = start.elapsed();
        match result {
            Ok(()) => {
                println!("ok   {label} ({took:.2?})");
                self.passed.push((label.to_owned(), took));
            }
            Err(p) => {
                let msg = panic_text(&*p);
                let log = self.lines.snapshot();
                let log = log.get(from..).unwrap_or_default();
                let tail = log
                    .get(log.len().saturating_sub(self.tail)..)
                    .unwrap_or_default();
                println!("FAIL {label} ({took:.2?}): {msg}");
                self.failures.push(format!(
                    "[{label}] {msg}\n    {} during it (last {} of {} lines):\n      {}",
                    self.log_name,
                    tail.len(),
                    log.len(),
                    tail.join("\n      ")
                ));
            }
        }
    }

    /// Runs one scenario of the registry against `t`, or skips it (printing
    /// why) when the server cannot give what it needs.
    pub fn scenario(&mut self, s: &Scenario, t: Target, offers: &Offers) {
        if let Some(why) = s.needs.unmet_by(offers) {
            println!("SKIP {}: {why}", s.name);
            self.skipped.push((s.name.to_owned(), why));
            return;
        }
        let run = s.run;
        self.run(s.name, s.limit, move || run(&t));
    }

    /// Every scenario of the registry that `pick` selects, in order (see
    /// [`Self::scenario`]).
    pub fn registry(&mut self, t: Target, offers: &Offers, pick: impl Fn(&Scenario) -> bool) {
        for s in registry::all().iter().filter(|s| pick(s)) {
            self.scenario(s, t, offers);
        }
    }

    /// Prints what passed and what was skipped, under `title`.
    pub fn print_summary(&self, title: &str) {
        println!("\n=== {title} summary ===");
        for (label, took) in &self.passed {
            println!("ok   {label} ({took:.2?})");
        }
        for (label, why) in &self.skipped {
            println!("skip {label}: {why}");
        }
        println!(
            "{} passed, {} failed, {} skipped",
            self.passed.len(),
            self.failures.len(),
            self.skipped.len()
        );
    }

    /// Fails with every failure recorded, each with its name.
    pub fn assert_all_passed(&self, title: &str) {
        assert!(
            self.failures.is_empty(),
            "{} of {} scenario(s) failed on {title}:\n{}",
            self.failures.len(),
            self.failures.len() + self.passed.len(),
            self.failures.join("\n")
        );
    }
}
