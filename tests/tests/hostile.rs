//! Every scenario of the registry (`cuatro_tests::scenarios::registry`:
//! hostile clients beside a bystander, the session pool, short idle
//! timeouts) against the in-process simulator: one `#[test]` per scenario,
//! named after it, each on a fresh simulator with the idle timeout the
//! scenario needs, within the scenario's time limit.

use cuatro_tests::in_process_sim;
use cuatro_tests::scenarios::registry::{self, Offers};

/// Runs the registry's scenario `name` on a fresh in-process simulator.
fn on_a_fresh_simulator(name: &str) {
    let Some((index, scenario)) = registry::all()
        .iter()
        .enumerate()
        .find(|(_, s)| s.name == name)
    else {
        panic!("no scenario {name:?} in the registry");
    };
    let defaults = sim::SimConfig::default();
    let offers = Offers {
        sessions: defaults.memory.sessions,
        idle_timeout: scenario.needs.idle_timeout.unwrap_or(defaults.idle_timeout),
        pvp: true,
    };
    // The simulator gives whatever a scenario needs: unmet is a bug here.
    if let Some(why) = scenario.needs.unmet_by(&offers) {
        panic!("{name}: the simulator cannot run it: {why}");
    }
    // A seed per scenario: each plays its own games.
    let (_sim, t) = in_process_sim(index as u64 + 1, Some(offers.idle_timeout));
    scenario.run_bounded(t);
}

macro_rules! on_the_simulator {
    ($name:ident) => {
        #[test]
        fn $name() {
            on_a_fresh_simulator(stringify!($name));
        }
    };
}

cuatro_tests::for_each_scenario!(on_the_simulator);
