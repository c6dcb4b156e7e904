//! Latency figures and the server process's resources, read from /proc.

use std::time::Duration;

/// Latencies of a run, summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// How many requests.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Latency {
    /// Summarises `samples` (nearest-rank percentiles); `None` when empty.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
        Some(Self {
            count: sorted.len(),
            p50: rank(50),
            p99: rank(99),
            max: sorted[sorted.len() - 1],
        })
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests, p50 {}, p99 {}, max {}",
            self.count,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// A duration in milliseconds, for reports.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// What a process holds at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Child processes (any state, zombies included).
    pub children: usize,
}

/// Samples process `pid`; `None` once it is gone.
pub fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = vm_rss(&status)?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some(Sample {
        rss_kib,
        fds,
        children: children(pid).len(),
    })
}

/// The `VmRSS` of a `/proc/PID/status` text, in KiB.
pub fn vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The children of `pid`: each as (pid, state letter).
pub fn children(pid: u32) -> Vec<(u32, char)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            let (state, ppid) = stat_state_ppid(&stat)?;
            (ppid == pid).then_some((child, state))
        })
        .collect()
}

/// `pid` itself, or the first process below it (at any depth), whose
/// command name is `name`: a wrapper such as `env` execs the program, one
/// such as `heaptrack` starts it as a child.
pub fn process_named(pid: u32, name: &str) -> Option<u32> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if comm.trim_end() == name {
        return Some(pid);
    }
    children(pid)
        .into_iter()
        .find_map(|(child, _)| process_named(child, name))
}

/// The state and parent pid of a `/proc/PID/stat` line (the command name
/// in parentheses may hold spaces and parentheses itself).
pub fn stat_state_ppid(stat: &str) -> Option<(char, u32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&samples).unwrap();
        assert_eq!(l.p50, Duration::from_millis(50));
        assert_eq!(l.p99, Duration::from_millis(99));
        assert_eq!(l.max, Duration::from_millis(100));
        let one = Latency::of(&[Duration::from_millis(7)]).unwrap();
        assert_eq!(
            (one.p50, one.p99),
            (Duration::from_millis(7), Duration::from_millis(7))
        );
        assert!(Latency::of(&[]).is_none());
    }

    #[test]
    fn finds_a_process_by_name_itself_or_below() {
        let me = std::process::id();
        let comm = std::fs::read_to_string(format!("/proc/{me}/comm")).unwrap();
        assert_eq!(process_named(me, comm.trim_end()), Some(me));
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert_eq!(process_named(me, "sleep"), Some(child.id()));
        assert_eq!(process_named(me, "no-such-program"), None);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn reads_proc_texts() {
        assert_eq!(
            vm_rss("Name:\tx\nVmRSS:\t  12345 kB\nVmData: 1 kB\n"),
            Some(12345)
        );
        assert_eq!(vm_rss("Name: x\n"), None);
        assert_eq!(
            stat_state_ppid("42 (sh (odd) name) Z 17 42 42 0"),
            Some(('Z', 17))
        );
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).unwrap();
        assert!(s.rss_kib > 0 && s.fds > 0);
    }
}
