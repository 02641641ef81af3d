//! Where the CPU went during a phase: CPU time (user and system) per program, every
//! process of one name added up (Postgres's backends, RabbitMQ's `beam.smp`, each of our
//! services, the SMTP sink, the load generator), read from `/proc` before and after.
//! On 2 cores shared by everything, this is what says which part a row is bounded by.

use std::collections::HashMap;
use std::fmt::Write as _;

/// Linux's clock ticks per second for `/proc/<pid>/stat` (`USER_HZ`), 100 on every
/// architecture we run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU ticks so far of every process, by pid, with its program name.
pub struct Snapshot(HashMap<u32, (String, u64)>);

pub fn snapshot() -> Snapshot {
    let mut all = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Snapshot(all);
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state …`: the name may hold spaces, the fields after it do not.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // utime and stime are the 14th and 15th fields, the 12th and 13th after `comm`.
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        all.insert(pid, (name, ticks(11) + ticks(12)));
    }
    Snapshot(all)
}

/// CPU seconds per program since `before`, largest first.
pub fn since(before: &Snapshot) -> Vec<(String, f64)> {
    let mut by_name: HashMap<String, u64> = HashMap::new();
    for (pid, (name, ticks)) in snapshot().0 {
        let earlier = before.0.get(&pid).map_or(0, |(_, t)| *t);
        *by_name.entry(name).or_default() += ticks.saturating_sub(earlier);
    }
    let mut seconds: Vec<(String, f64)> = by_name
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(name, t)| (name, t as f64 / TICKS_PER_SECOND))
        .collect();
    seconds.sort_by(|a, b| b.1.total_cmp(&a.1));
    seconds
}

/// One line: the programs that took at least 2 % of the CPU, in microseconds per unit of
/// work (`units` registrations or emails), with their share.
pub fn per_unit(used: &[(String, f64)], units: usize, unit: &str) -> String {
    let total: f64 = used.iter().map(|(_, s)| s).sum();
    let mut line = format!(
        "CPU per {unit}: {:.0} µs in all",
        total * 1e6 / units.max(1) as f64
    );
    for (name, seconds) in used.iter().filter(|(_, s)| *s >= total * 0.02) {
        let _ = write!(
            line,
            "; {name} {:.0} µs ({:.0} %)",
            seconds * 1e6 / units.max(1) as f64,
            100.0 * seconds / total
        );
    }
    line
}
