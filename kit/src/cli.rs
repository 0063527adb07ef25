//! The command-line options every cuatro server shares (`cuatro serve`,
//! `cuatro-sim`): its ports, its idle timeout, where uploads go, its CPU's
//! default level. Flatten
//! [`ServerArgs`] into a clap command (cargo feature `cli`).

use crate::storage::{DEFAULT_DIR, DEFAULT_MAX};
use cuatro_proto::Level;
use std::path::PathBuf;
use std::time::Duration;

/// A server's ports, idle timeout and upload storage.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Classic game on port N, compact on N+1, uploads on N+2 (0: pick
    /// free ports).
    #[arg(long, default_value_t = 8080)]
    pub port_base: u16,
    /// Idle timeout of a game session, in seconds.
    #[arg(long, default_value_t = 60)]
    pub idle_timeout: u64,
    /// Directory for uploaded files (`recibido-<n>.bin`).
    #[arg(long, default_value = DEFAULT_DIR)]
    pub upload_dir: PathBuf,
    /// Largest upload accepted, in bytes (larger files get `Error: ...`).
    #[arg(long, default_value_t = DEFAULT_MAX)]
    pub upload_max: u64,
    /// The CPU level of a `\juego_nuevo` that names none: aleatorio (the
    /// lecture's), facil or dificil.
    #[arg(long = "cpu", value_name = "LEVEL", default_value = "aleatorio", value_parser = parse_level)]
    pub cpu: Level,
}

/// A [`Level`] from its `nivel` name.
pub fn parse_level(s: &str) -> Result<Level, String> {
    Level::from_name(s.as_bytes())
        .ok_or_else(|| format!("unknown CPU level {s:?}: aleatorio, facil or dificil"))
}

impl ServerArgs {
    /// The idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout)
    }
}
