//! `cargo xtask bench [--quick]`: runs the workspace's benchmarks and load
//! runs, and writes BENCHMARKS.md with SVG bar charts in `benches/plots/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::{Cmd, Workspace, cmd::say, svg};

/// A comparison within one criterion benchmark: benchmark ids (criterion's
/// `group/function`, or a suffix of it), the baseline first.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    /// Its title.
    pub title: &'static str,
    /// The benchmarks, the baseline first.
    pub ids: &'static [&'static str],
}

/// What a run is.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `cargo bench -p PACKAGE --bench BENCH`.
    Criterion {
        /// The package.
        package: &'static str,
        /// The bench target.
        bench: &'static str,
        /// The comparisons to chart.
        comparisons: &'static [Comparison],
    },
    /// `bash PATH`, which prints a table (a header naming `unit`, then
    /// `name value ...` rows) and `ratio ...` lines.
    Script {
        /// The script, from the workspace root.
        path: &'static str,
        /// Variables set for it.
        env: &'static [(&'static str, &'static str)],
        /// Variables set for it with `--quick`.
        quick_env: &'static [(&'static str, &'static str)],
        /// The unit its table shows (and finds its header by).
        unit: &'static str,
    },
}

/// One benchmark or load run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// A short id (the plots' file names).
    pub id: &'static str,
    /// What it measures.
    pub title: &'static str,
    /// How to run it.
    pub kind: Kind,
    /// Lines of its output that contain one of these are quoted in the
    /// report.
    pub quote: &'static [&'static str],
}

/// The workspace's benchmarks.
pub const RUNS: &[Run] = &[
    Run {
        id: "server-hello",
        title: "paste-server's hello against the same server on raw hyper (wrk)",
        kind: Kind::Script {
            path: "paste-server/benches/load.sh",
            env: &[],
            quick_env: &[("ROUNDS", "1"), ("DURATION", "3")],
            unit: "req/s",
        },
        quote: &["ratio ", "wrk -t1"],
    },
    Run {
        id: "middleware-stack",
        title: "paste-middleware's stack (session, auth, gzip, log...) against raw hyper (wrk)",
        kind: Kind::Script {
            path: "paste-server/benches/load.sh",
            env: &[("CANDIDATE", "paste-middleware:stack")],
            quick_env: &[("ROUNDS", "1"), ("DURATION", "3")],
            unit: "req/s",
        },
        quote: &["ratio ", "wrk -t1"],
    },
    Run {
        id: "callgrind",
        title: "instructions per request (callgrind): raw hyper, hello, the middleware stack",
        kind: Kind::Script {
            path: "paste-middleware/benches/callgrind.sh",
            env: &[],
            quick_env: &[("N", "500"), ("WARM", "100")],
            unit: "Ir/request",
        },
        quote: &["(callgrind"],
    },
    Run {
        id: "proxy",
        title: "wsgiproxy against nginx proxy_pass and the backend called directly (wrk)",
        kind: Kind::Script {
            path: "wsgiproxy/benches/proxy.sh",
            env: &[],
            quick_env: &[("ROUNDS", "1"), ("DURATION", "3")],
            unit: "req/s",
        },
        quote: &["ratio ", "CPU per request", "wrk -t1"],
    },
    Run {
        id: "cgi",
        title: "CgiApp against a bare fork+exec of the same CGI script",
        kind: Kind::Criterion {
            package: "paste-cgi",
            bench: "cgi",
            comparisons: &[Comparison {
                title: "CGI: one request to hi.sh",
                ids: &["hi.sh/bare_fork_exec", "hi.sh/cgi_app"],
            }],
        },
        quote: &["CgiApp / bare", "interleaved"],
    },
    Run {
        id: "tempita",
        title: "tempita against minijinja and handlebars rendering the same page",
        kind: Kind::Criterion {
            package: "tempita",
            bench: "render",
            comparisons: &[Comparison {
                title: "Templates: render one page",
                ids: &[
                    "page/minijinja",
                    "page/tempita",
                    "page/tempita_prebuilt_context",
                    "page/handlebars",
                ],
            }],
        },
        quote: &["ratios against", "  minijinja", "  tempita", "  handlebars"],
    },
    Run {
        id: "python-tempita",
        title: "Python Tempita 0.6.0 rendering the same page (from PyPI, in a venv)",
        kind: Kind::Script {
            path: "tempita/benches/python_tempita.sh",
            env: &[],
            quick_env: &[],
            unit: "µs",
        },
        quote: &["python tempita"],
    },
    Run {
        id: "webtest",
        title: "webtest's TestApp against calling the app directly",
        kind: Kind::Criterion {
            package: "webtest",
            bench: "inprocess",
            comparisons: &[Comparison {
                title: "In-process request to a hello app",
                ids: &["hello/direct", "hello/testapp"],
            }],
        },
        quote: &["TestApp takes"],
    },
    Run {
        id: "swap",
        title: "paste-script's swappable app (--reload) against a plain BoxApp",
        kind: Kind::Criterion {
            package: "paste-script",
            bench: "swap",
            comparisons: &[Comparison {
                title: "One call through SwapApp",
                ids: &["call/BoxApp (baseline)", "call/SwapApp"],
            }],
        },
        quote: &[],
    },
    Run {
        id: "webob",
        title: "webob's parsers of untrusted input against the plain parsers",
        kind: Kind::Criterion {
            package: "webob",
            bench: "parsers",
            comparisons: &[
                Comparison {
                    title: "Query string, 40 pairs",
                    ids: &[
                        "query_string/form_urlencoded_baseline/40_pairs",
                        "query_string/get_params/40_pairs",
                    ],
                },
                Comparison {
                    title: "Cookie header, 60 cookies",
                    ids: &[
                        "cookie/cookie_crate_baseline/60_cookies",
                        "cookie/parse/60_cookies",
                    ],
                },
            ],
        },
        quote: &[],
    },
    Run {
        id: "deploy",
        title: "paste-deploy loading a 30-section config against the INI parse alone",
        kind: Kind::Criterion {
            package: "paste-deploy",
            bench: "load",
            comparisons: &[Comparison {
                title: "Loading a 30-section config",
                ids: &["ini_parse_only", "load_app"],
            }],
        },
        quote: &[],
    },
];

impl Run {
    /// The command that runs it.
    pub fn command(&self, quick: bool) -> Cmd {
        match self.kind {
            // Criterion's own `--quick` takes two samples without a warm-up:
            // too rough to compare anything on a busy machine. The benches'
            // own settings are short already, so `--quick` leaves them be.
            Kind::Criterion { package, bench, .. } => {
                Cmd::new("cargo").args(["bench", "-p", package, "--bench", bench])
            }
            Kind::Script {
                path,
                env,
                quick_env,
                ..
            } => {
                let mut cmd = Cmd::new("bash").args([path]);
                let extra = if quick { quick_env } else { &[] };
                for (key, value) in env.iter().chain(extra) {
                    cmd = cmd.env(*key, *value);
                }
                cmd
            }
        }
    }
}

/// One measured bar of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// What was measured.
    pub label: String,
    /// Its value.
    pub value: f64,
}

/// The rows `name value ...` under the first header line that names
/// `unit`, up to the first line that is not such a row.
pub fn parse_table(output: &str, unit: &str) -> Vec<Measure> {
    let mut lines = output.lines().skip_while(|line| !line.contains(unit));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines
        .map_while(|line| {
            let mut words = line.split_whitespace();
            let label = words.next()?.to_owned();
            // A name, not a remark such as `(callgrind, 500 requests ...)`.
            if !label.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return None;
            }
            let value = words.next()?.parse().ok()?;
            Some(Measure { label, value })
        })
        .collect()
}

/// The figures of the `ratio A/B: [what] N, [what] N; C/D: N` lines (and
/// `CPU per request, A/B: N`), each labelled with what it compares.
pub fn parse_ratios(output: &str) -> Vec<Measure> {
    let mut out = Vec::new();
    for line in output.lines() {
        let Some(line) = line
            .strip_prefix("ratio ")
            .or_else(|| line.starts_with("CPU per request").then_some(line))
        else {
            continue;
        };
        // Parenthesised remarks hold numbers of their own: drop them.
        let mut plain = String::new();
        let mut depth = 0usize;
        for c in line.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        for segment in plain.split(';') {
            let Some((subject, rest)) = segment.split_once(':') else {
                continue;
            };
            for part in rest.split(',') {
                let words: Vec<&str> = part.split_whitespace().collect();
                let Some(at) = words.iter().position(|w| w.parse::<f64>().is_ok()) else {
                    continue;
                };
                let what = words[..at].join(" ");
                let label = if what.is_empty() {
                    subject.trim().to_owned()
                } else {
                    format!("{} {what}", subject.trim())
                };
                out.push(Measure {
                    label,
                    value: words[at].parse().unwrap_or(f64::NAN),
                });
            }
        }
    }
    out
}

/// Criterion's results written since `since`: full id -> mean time (ns).
pub fn criterion_results(dir: &Path, since: SystemTime) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if entry.file_name() != "new" {
                todo.push(path);
                continue;
            }
            let estimates = path.join("estimates.json");
            let fresh = std::fs::metadata(&estimates)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= since);
            if !fresh {
                continue;
            }
            let read = |name: &str| -> Option<Value> {
                serde_json::from_str(&std::fs::read_to_string(path.join(name)).ok()?).ok()
            };
            let (Some(benchmark), Some(estimates)) =
                (read("benchmark.json"), read("estimates.json"))
            else {
                continue;
            };
            if let (Some(id), Some(mean)) = (
                benchmark["full_id"].as_str(),
                estimates["mean"]["point_estimate"].as_f64(),
            ) {
                out.insert(id.to_owned(), mean);
            }
        }
    }
    out
}

fn find<'a>(results: &'a BTreeMap<String, f64>, id: &str) -> Option<(&'a String, f64)> {
    results
        .iter()
        .find(|(full, _)| *full == id || full.ends_with(&format!("/{id}")))
        .map(|(full, mean)| (full, *mean))
}

/// A time in nanoseconds, in the unit that suits it.
pub fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn format_count(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// A chart of one comparison.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Its file name under `benches/plots/`.
    pub file: String,
    /// Its title.
    pub title: String,
    /// The unit and which way is better.
    pub subtitle: String,
    /// The bars, the baseline first.
    pub bars: Vec<Measure>,
    /// Whether the values are times in ns.
    pub nanoseconds: bool,
}

impl Chart {
    fn svg(&self) -> String {
        let bars: Vec<(String, f64)> = self
            .bars
            .iter()
            .map(|m| (m.label.clone(), m.value))
            .collect();
        let format: &dyn Fn(f64) -> String = if self.nanoseconds {
            &format_ns
        } else {
            &format_count
        };
        svg::bar_chart(&self.title, &self.subtitle, &bars, format)
    }
}

/// What one run gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The run.
    pub run: Run,
    /// The command, as run.
    pub command: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its charts.
    pub charts: Vec<Chart>,
    /// Summary rows: (comparison, ratio, what the ratio means).
    pub ratios: Vec<(String, f64, String)>,
    /// The lines of its output worth quoting.
    pub quoted: Vec<String>,
}

fn run_one(run: Run, ws: &Workspace, quick: bool) -> Result<Outcome> {
    let cmd = run.command(quick);
    let command = cmd.to_string();
    say(&format!("{} — {command}", run.id));
    let started = SystemTime::now();
    let (ok, output) = cmd.current_dir(&ws.root).tee()?;
    let mut charts = Vec::new();
    let mut ratios = Vec::new();
    match run.kind {
        Kind::Criterion { comparisons, .. } => {
            let results = criterion_results(&ws.target_dir.join("criterion"), started);
            for (n, comparison) in comparisons.iter().enumerate() {
                let bars: Vec<Measure> = comparison
                    .ids
                    .iter()
                    .filter_map(|id| find(&results, id))
                    .map(|(full, mean)| Measure {
                        label: full
                            .rsplit_once('/')
                            .map_or(full.as_str(), |x| x.1)
                            .to_owned(),
                        value: mean,
                    })
                    .collect();
                let full_labels: Vec<&str> = comparison
                    .ids
                    .iter()
                    .filter_map(|id| find(&results, id).map(|(full, _)| full.as_str()))
                    .collect();
                let bars: Vec<Measure> = bars
                    .into_iter()
                    .zip(&full_labels)
                    .map(|(m, full)| Measure {
                        // Keep the parameter (`parse/60_cookies` -> `parse`).
                        label: full.split('/').nth(1).unwrap_or(&m.label).to_owned(),
                        value: m.value,
                    })
                    .collect();
                if bars.len() < 2 {
                    continue;
                }
                for bar in &bars[1..] {
                    ratios.push((
                        format!("{}: {} / {}", comparison.title, bar.label, bars[0].label),
                        bar.value / bars[0].value,
                        "× the baseline's time (lower is better)".to_owned(),
                    ));
                }
                charts.push(Chart {
                    file: format!("{}-{n}.svg", run.id),
                    title: comparison.title.to_owned(),
                    subtitle: "mean time per iteration (criterion); shorter is faster".to_owned(),
                    bars,
                    nanoseconds: true,
                });
            }
        }
        Kind::Script { unit, .. } => {
            let bars = parse_table(&output, unit);
            if bars.len() >= 2 {
                let better = if unit == "req/s" {
                    "longer is better"
                } else {
                    "shorter is better"
                };
                charts.push(Chart {
                    file: format!("{}-0.svg", run.id),
                    title: run.title.to_owned(),
                    subtitle: if unit == "Ir/request" {
                        format!("instructions per request (callgrind); {better}")
                    } else {
                        format!("{unit} (median of rounds); {better}")
                    },
                    bars,
                    nanoseconds: false,
                });
            }
            if unit == "Ir/request"
                && let Some(base) = parse_table(&output, unit).first().cloned()
            {
                for bar in parse_table(&output, unit).iter().skip(1) {
                    ratios.push((
                        format!("instructions per request: {} / {}", bar.label, base.label),
                        bar.value / base.value,
                        "× the baseline's instructions (lower is better)".to_owned(),
                    ));
                }
            }
            for measure in parse_ratios(&output) {
                let meaning = if measure.label.contains("p99") {
                    "p99 latency ratio (lower is better)"
                } else if measure.label.contains("CPU") {
                    "CPU time per request ratio (lower is better)"
                } else {
                    "throughput ratio (higher is better)"
                };
                ratios.push((measure.label, measure.value, meaning.to_owned()));
            }
        }
    }
    let quoted = output
        .lines()
        .filter(|line| run.quote.iter().any(|q| line.contains(q)))
        .map(str::to_owned)
        .collect();
    Ok(Outcome {
        run,
        command,
        ok,
        charts,
        ratios,
        quoted,
    })
}

fn first_line(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_owned())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// `text` as lines of at most 76 characters (words are not split), then
/// a blank line; a leading `> ` is repeated on every line.
fn wrap(text: &str) -> String {
    let (prefix, text) = match text.strip_prefix("> ") {
        Some(rest) => ("> ", rest),
        None => ("", text),
    };
    let mut out = String::new();
    let mut line = String::from(prefix);
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > 76 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(prefix);
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push_str("\n\n");
    out
}

/// The report's text.
pub fn report(
    outcomes: &[Outcome],
    quick: bool,
    date: &str,
    load_before: &str,
    load_after: &str,
) -> String {
    let cpu = first_line("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
    let rustc = Cmd::new("rustc")
        .args(["--version"])
        .read()
        .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
    let how = if quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = write!(
        md,
        "{}",
        wrap(&format!(
            "Where the crates stand against the baselines they replace, each ratio \
         measured in one run so that both sides saw the same machine. Written by \
         `{how}` on {date} (UTC); rerun `cargo xtask bench` (or `--quick`, or \
         one of the commands below) to refresh it. Each section below shows \
         the command that reruns it, a chart (the grey bar is the baseline; \
         the others are labelled with their ratio to it) and the lines the \
         benchmark itself printed, which include its own ratios measured \
         in interleaved rounds."
        ))
    );
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {cpu} |");
    let _ = writeln!(md, "| cores (nproc) | {cores} |");
    let _ = writeln!(md, "| kernel | {kernel} |");
    let _ = writeln!(md, "| rustc | {rustc} |");
    let _ = writeln!(
        md,
        "| load average (1, 5, 15 min) | {load_before} before, {load_after} after |\n"
    );
    let noisy = if quick {
        "**Noisy figures.** This was a `--quick` run (load runs of one \
         3-second round, callgrind over 500 requests; the criterion benches at their \
         own short settings) "
    } else {
        "**Noise.** This run was made "
    };
    let _ = write!(
        md,
        "{}",
        wrap(&format!(
            "> {noisy}on a shared 2-core machine where other builds may have \
             been running (see the load average above): wall-clock ratios \
             move by 10-30 % from run to run there. Where criterion's ratio \
             and the benchmark's own interleaved one disagree, trust the \
             latter; the callgrind instruction counts are the steadiest \
             figures of all."
        ))
    );
    let _ = writeln!(md, "## Ratios\n");
    let _ = writeln!(md, "| comparison | ratio | meaning |\n|---|---:|---|");
    for outcome in outcomes {
        for (what, ratio, meaning) in &outcome.ratios {
            let _ = writeln!(md, "| {what} | {ratio:.3} | {meaning} |");
        }
    }
    md.push('\n');
    for outcome in outcomes {
        let _ = writeln!(md, "## {}\n", outcome.run.title);
        let _ = writeln!(md, "```sh\n{}\n```\n", outcome.command);
        if !outcome.ok {
            let _ = writeln!(md, "**This run failed**; its figures are missing.\n");
        }
        for chart in &outcome.charts {
            let _ = writeln!(md, "![{}](benches/plots/{})\n", chart.title, chart.file);
        }
        if !outcome.quoted.is_empty() {
            let _ = writeln!(md, "```text");
            for line in &outcome.quoted {
                let _ = writeln!(md, "{line}");
            }
            let _ = writeln!(md, "```\n");
        }
    }
    md
}

/// The mean render time (ns) in python_tempita.sh's line
/// `python tempita 0.6.0: render 123.4 µs, parse ...`.
pub fn parse_python_tempita(output: &str) -> Option<f64> {
    let line = output.lines().find(|l| l.starts_with("python tempita"))?;
    let rest = line.split_once("render ")?.1;
    let micros: f64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(micros * 1e3)
}

/// Charts Rust's tempita against Python Tempita's render time (its own
/// chart: Python's bar would dwarf the Rust templates' chart).
fn add_python_tempita(outcomes: &mut [Outcome]) {
    let Some(python) = outcomes
        .iter()
        .find(|o| o.run.id == "python-tempita")
        .and_then(|o| parse_python_tempita(&o.quoted.join("\n")))
    else {
        return;
    };
    let Some(tempita) = outcomes.iter_mut().find(|o| o.run.id == "tempita") else {
        return;
    };
    let Some(rust) = tempita
        .charts
        .first()
        .and_then(|chart| chart.bars.iter().find(|bar| bar.label == "tempita"))
        .cloned()
    else {
        return;
    };
    tempita.ratios.push((
        "Templates: tempita (Rust) / Python Tempita 0.6.0".to_owned(),
        rust.value / python,
        "× the baseline's time (lower is better; separate runs)".to_owned(),
    ));
    tempita.charts.push(Chart {
        file: "tempita-python.svg".to_owned(),
        title: "Tempita: Rust against Python (the same page)".to_owned(),
        subtitle: "mean time per render; shorter is faster".to_owned(),
        bars: vec![
            Measure {
                label: "Python Tempita 0.6.0".to_owned(),
                value: python,
            },
            Measure {
                label: "tempita (Rust)".to_owned(),
                value: rust.value,
            },
        ],
        nanoseconds: true,
    });
}

/// Runs the benchmarks (those whose id contains `only`, if given) in the
/// workspace at `root` and writes BENCHMARKS.md and `benches/plots/*.svg`.
pub fn run(root: &Path, quick: bool, only: Option<&str>) -> Result<()> {
    let ws = Workspace::load(root)?;
    let load_before = loadavg();
    let mut outcomes = Vec::new();
    for run in RUNS
        .iter()
        .filter(|run| only.is_none_or(|only| run.id.contains(only)))
    {
        outcomes.push(run_one(*run, &ws, quick)?);
    }
    let load_after = loadavg();
    add_python_tempita(&mut outcomes);
    let plots = ws.root.join("benches").join("plots");
    std::fs::create_dir_all(&plots).with_context(|| format!("creating {}", plots.display()))?;
    for chart in outcomes.iter().flat_map(|o| &o.charts) {
        let path = plots.join(&chart.file);
        std::fs::write(&path, chart.svg())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let md = report(
        &outcomes,
        quick,
        &crate::today_utc(),
        &load_before,
        &load_after,
    );
    let path = ws.root.join("BENCHMARKS.md");
    std::fs::write(&path, md).with_context(|| format!("writing {}", path.display()))?;
    say(&format!("wrote {} and {}", path.display(), plots.display()));
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.run.id)
        .collect();
    if !failed.is_empty() {
        anyhow::bail!("these runs failed: {}", failed.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_script_output() {
        let out = "round 1 ...\n\nwrk -t1 -c64 -d3s, 1 rounds, medians; server on CPU 0\n\
                   server              req/s   p99 (ms)\n\
                   raw_hyper          101234       1.20\n\
                   hello               95000       1.31\n\
                   ratio hello/raw_hyper: throughput 0.938 (median of per-round ratios 0.940), p99 1.092\n";
        assert_eq!(
            parse_table(out, "req/s"),
            [
                Measure {
                    label: "raw_hyper".to_owned(),
                    value: 101_234.0
                },
                Measure {
                    label: "hello".to_owned(),
                    value: 95_000.0
                },
            ]
        );
        assert_eq!(
            parse_ratios(out),
            [
                Measure {
                    label: "hello/raw_hyper throughput".to_owned(),
                    value: 0.938
                },
                Measure {
                    label: "hello/raw_hyper p99".to_owned(),
                    value: 1.092
                },
            ]
        );
    }

    #[test]
    fn callgrind_table_stops_at_the_remark() {
        let out = "server       Ir/request\nraw_hyper         12493\nstack 19763\n\
                   (callgrind, 500 requests on one keep-alive connection)\n";
        let labels: Vec<String> = parse_table(out, "Ir/request")
            .into_iter()
            .map(|m| m.label)
            .collect();
        assert_eq!(labels, ["raw_hyper", "stack"]);
    }

    #[test]
    fn wrapping() {
        let text = wrap(&format!("> {}", "word ".repeat(30)));
        assert!(
            text.lines()
                .all(|l| l.len() <= 76 && (l.is_empty() || l.starts_with("> ")))
        );
        assert!(text.ends_with("word\n\n"));
    }

    #[test]
    fn proxy_script_output() {
        let out = "ratio wsgiproxy/nginx: 0.850 (goal >= 0.8); wsgiproxy/direct: 0.700 (medians of per-round ratios)\n\
                   CPU per request, wsgiproxy/nginx: 1.25\n";
        let labels: Vec<(String, f64)> = parse_ratios(out)
            .into_iter()
            .map(|m| (m.label, m.value))
            .collect();
        assert_eq!(
            labels,
            [
                ("wsgiproxy/nginx".to_owned(), 0.85),
                ("wsgiproxy/direct".to_owned(), 0.7),
                ("CPU per request, wsgiproxy/nginx".to_owned(), 1.25),
            ]
        );
    }

    #[test]
    fn criterion_estimates_are_read_when_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let since = SystemTime::now() - std::time::Duration::from_secs(5);
        let new = dir.path().join("page").join("tempita").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"full_id":"page/tempita"}"#).unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"point_estimate":1234.5}}"#,
        )
        .unwrap();
        let results = criterion_results(dir.path(), since);
        assert_eq!(results.get("page/tempita"), Some(&1234.5));
        assert_eq!(find(&results, "tempita").map(|x| x.1), Some(1234.5));
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(criterion_results(dir.path(), later).is_empty());
        assert_eq!(format_ns(1234.5), "1.23 µs");
    }

    #[test]
    fn python_tempita_line() {
        let out = "python tempita 0.6.0: render 250.5 µs, parse 90.0 µs (mean of 300)\n";
        assert_eq!(parse_python_tempita(out), Some(250_500.0));
        assert_eq!(parse_python_tempita("nothing\n"), None);
    }

    #[test]
    fn quick_commands() {
        let cgi = RUNS.iter().find(|r| r.id == "cgi").unwrap();
        assert_eq!(
            cgi.command(true).to_string(),
            "cargo bench -p paste-cgi --bench cgi"
        );
        assert_eq!(
            cgi.command(false).to_string(),
            "cargo bench -p paste-cgi --bench cgi"
        );
        let stack = RUNS.iter().find(|r| r.id == "middleware-stack").unwrap();
        assert_eq!(
            stack.command(true).to_string(),
            "CANDIDATE=paste-middleware:stack DURATION=3 ROUNDS=1 bash paste-server/benches/load.sh"
        );
    }
}
