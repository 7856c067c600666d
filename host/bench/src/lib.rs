//! Benchmark figures: one [`Row`] per (task, mode) run, aggregated per mode
//! into a [`ModeSummary`], compared against a recorded set
//! ([`compare`]), and rendered as Markdown and HTML.
//!
//! This crate does no I/O: `coop bench` (in the CLI) runs the tasks, fills
//! the rows, and writes what these functions return. That keeps every figure
//! of the report testable without Docker or a model.

pub mod html;

pub use html::render_html;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Format version of `bench.json`; bump when a field changes meaning.
/// 2: a row's `success` is "delivered and passing" ([`Row::success`]); the
/// acceptance result alone, format 1's `success`, is `acceptance_passed`.
pub const BENCH_FORMAT: u32 = 2;

/// The outcome of a run that delivered its change.
pub const APPROVED: &str = "approved";

/// Tokens, calls and cost of one role in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleFigures {
    pub calls: u32,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// USD from the price table; None when the model has no price (local
    /// models: tokens are the figure).
    pub cost_usd: Option<f64>,
    pub model_ms: u64,
}

/// The result of running one task in one mode.
///
/// Success is not stored: it is derived ([`Row::success`]) from the outcome
/// and the acceptance result, so the two can never disagree. The JSON form
/// still carries `success`, for readers of bench.json. `remote = "Self"`
/// turns the derives into inherent functions that the hand-written
/// `Serialize`/`Deserialize` impls below wrap: one adds `success`, the other
/// reads rows written before `acceptance_passed` existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Row {
    /// Task id, the example directory's name (`07-bugfix-...`).
    pub task: String,
    /// `solo` or `mob`.
    pub mode: String,
    /// The task's labelled type (expected.json).
    pub expected_type: String,
    /// The type the router chose (None when the run failed before routing).
    pub routed_type: Option<String>,
    /// Run outcome (`approved`, `verification-failed`, ...), or `error`
    /// when the run could not start.
    pub outcome: String,
    pub exit_code: i32,
    pub reason: String,
    /// The hidden acceptance tests pass on the tree the run left, whether
    /// or not coop delivered it (see [`Row::success`]).
    pub acceptance_passed: bool,
    /// What failed in acceptance (steps, then test names), empty when it
    /// passed.
    #[serde(default)]
    pub acceptance_failures: Vec<String>,
    /// Wall time of the run, ms (without the acceptance check).
    pub time_ms: u64,
    #[serde(default)]
    pub model_ms: u64,
    #[serde(default)]
    pub docker_ms: u64,
    pub per_role: BTreeMap<String, RoleFigures>,
    /// Times the work went back for revision (review loops, or solo retries
    /// after failing verification).
    pub revision_cycles: u32,
    pub escalated: bool,
    pub roles_ran: Vec<String>,
    /// sha256 of the final patch; None when nothing changed.
    pub patch_sha256: Option<String>,
    /// Run directory, relative to the report directory.
    pub run_dir: Option<String>,
}

impl Row {
    /// coop delivered the run's change: approved, exit 0.
    pub fn delivered(&self) -> bool {
        self.outcome == APPROVED && self.exit_code == 0
    }
    /// What a user gets: the change was delivered and the hidden acceptance
    /// tests pass on it. A tree coop rejected does not count, however well
    /// it tests: the user never received it.
    pub fn success(&self) -> bool {
        self.delivered() && self.acceptance_passed
    }
    /// coop did not deliver the change, yet the tree it left passes the
    /// hidden tests: a rejection that was too strict (or a lucky leftover),
    /// reported apart from successes.
    pub fn rejected_but_passing(&self) -> bool {
        !self.delivered() && self.acceptance_passed
    }
    /// coop delivered the change, but the hidden tests fail on it: a wrong
    /// change handed to the user as done, the worst result a run can have.
    pub fn delivered_but_failing(&self) -> bool {
        self.delivered() && !self.acceptance_passed
    }
    /// Record the acceptance check: what failed, empty when it passed.
    pub fn set_acceptance(&mut self, failures: Vec<String>) {
        self.acceptance_passed = failures.is_empty();
        self.acceptance_failures = failures;
    }
    pub fn key(&self) -> (String, String) {
        (self.task.clone(), self.mode.clone())
    }
    pub fn tokens_in(&self) -> u64 {
        self.per_role.values().map(|r| r.tokens_in).sum()
    }
    pub fn tokens_out(&self) -> u64 {
        self.per_role.values().map(|r| r.tokens_out).sum()
    }
    pub fn tokens(&self) -> u64 {
        self.tokens_in() + self.tokens_out()
    }
    pub fn calls(&self) -> u32 {
        self.per_role.values().map(|r| r.calls).sum()
    }
    /// Total cost, when every role that made calls has a price.
    pub fn cost_usd(&self) -> Option<f64> {
        let mut total = 0.0;
        for r in self.per_role.values().filter(|r| r.calls > 0) {
            total += r.cost_usd?;
        }
        Some(total)
    }
    pub fn routing_correct(&self) -> Option<bool> {
        self.routed_type.as_ref().map(|t| *t == self.expected_type)
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The row's fields, then the derived `success`.
        #[derive(Serialize)]
        struct Written<'a> {
            #[serde(flatten, serialize_with = "row_fields")]
            row: &'a Row,
            success: bool,
        }
        fn row_fields<S: Serializer>(row: &&Row, s: S) -> Result<S::Ok, S::Error> {
            // The derived (inherent) serializer: the fields only.
            Row::serialize(row, s)
        }
        Written {
            row: self,
            success: self.success(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Row {
    /// Reads both formats (rows are JSON, so going through a `Value` costs
    /// nothing that matters). A `success` in the input is ignored: it is
    /// derived again from the outcome and `acceptance_passed`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = serde_json::Value::deserialize(d)?;
        // Written before format 2: `success` was the acceptance result
        // alone, whatever the outcome.
        if let Some(m) = v.as_object_mut()
            && !m.contains_key("acceptance_passed")
            && let Some(passed) = m.get("success").cloned()
        {
            m.insert("acceptance_passed".into(), passed);
        }
        Row::deserialize(v).map_err(serde::de::Error::custom)
    }
}

/// Figures of one mode over all its tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeSummary {
    pub mode: String,
    pub tasks: usize,
    /// Runs that delivered their change and pass the hidden tests
    /// ([`Row::success`]).
    pub succeeded: usize,
    pub success_rate: f64,
    /// Runs coop did not deliver whose tree passes the hidden tests anyway;
    /// not counted in `succeeded`.
    #[serde(default)]
    pub rejected_but_passing: usize,
    /// Runs coop delivered whose change fails the hidden tests
    /// ([`Row::delivered_but_failing`]).
    #[serde(default)]
    pub delivered_but_failing: usize,
    /// Median wall time of the successful runs (time to completion), ms;
    /// None when none succeeded.
    pub median_time_ms_success: Option<u64>,
    /// Median wall time of all runs, ms.
    pub median_time_ms: Option<u64>,
    pub median_tokens: Option<u64>,
    pub total_tokens: u64,
    /// Tokens of all the mode's runs (failures included) per success,
    /// rounded: what one delivered, passing change costs. None when no run
    /// succeeded.
    #[serde(default)]
    pub tokens_per_success: Option<u64>,
    /// Median cost per task; None when some run has no price.
    pub median_cost_usd: Option<f64>,
    pub total_cost_usd: Option<f64>,
    pub mean_revision_cycles: f64,
    pub escalations: usize,
    /// Share of runs whose routed type equals the label.
    pub routing_accuracy: Option<f64>,
    /// Tokens per role, summed.
    pub tokens_by_role: BTreeMap<String, u64>,
}

/// The median of `v` (mean of the middle two for an even count).
pub fn median_u64(v: &[u64]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2
    })
}

pub fn median_f64(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// Aggregate the rows of one mode.
pub fn summarize(mode: &str, rows: &[Row]) -> ModeSummary {
    let rs: Vec<&Row> = rows.iter().filter(|r| r.mode == mode).collect();
    let succeeded = rs.iter().filter(|r| r.success()).count();
    let times_ok: Vec<u64> = rs
        .iter()
        .filter(|r| r.success())
        .map(|r| r.time_ms)
        .collect();
    let times: Vec<u64> = rs.iter().map(|r| r.time_ms).collect();
    let tokens: Vec<u64> = rs.iter().map(|r| r.tokens()).collect();
    let total_tokens: u64 = tokens.iter().sum();
    let costs: Option<Vec<f64>> = rs.iter().map(|r| r.cost_usd()).collect();
    let routed: Vec<bool> = rs.iter().filter_map(|r| r.routing_correct()).collect();
    let mut by_role = BTreeMap::new();
    for r in &rs {
        for (role, f) in &r.per_role {
            *by_role.entry(role.clone()).or_insert(0) += f.tokens_in + f.tokens_out;
        }
    }
    ModeSummary {
        mode: mode.to_string(),
        tasks: rs.len(),
        succeeded,
        success_rate: if rs.is_empty() {
            0.0
        } else {
            succeeded as f64 / rs.len() as f64
        },
        rejected_but_passing: rs.iter().filter(|r| r.rejected_but_passing()).count(),
        delivered_but_failing: rs.iter().filter(|r| r.delivered_but_failing()).count(),
        median_time_ms_success: median_u64(&times_ok),
        median_time_ms: median_u64(&times),
        median_tokens: median_u64(&tokens),
        total_tokens,
        tokens_per_success: tokens_per_success(total_tokens, succeeded),
        median_cost_usd: costs.as_ref().and_then(|c| median_f64(c)),
        total_cost_usd: costs.as_ref().map(|c| c.iter().sum()),
        mean_revision_cycles: if rs.is_empty() {
            0.0
        } else {
            rs.iter().map(|r| r.revision_cycles as f64).sum::<f64>() / rs.len() as f64
        },
        escalations: rs.iter().filter(|r| r.escalated).count(),
        routing_accuracy: if routed.is_empty() {
            None
        } else {
            Some(routed.iter().filter(|b| **b).count() as f64 / routed.len() as f64)
        },
        tokens_by_role: by_role,
    }
}

/// `total` tokens per success, rounded to the nearest token; None without a
/// success (no division by zero, and no figure to give).
pub fn tokens_per_success(total: u64, successes: usize) -> Option<u64> {
    let n = successes as u64;
    (n > 0).then(|| (total + n / 2) / n)
}

/// Success rate per task type for one mode: type → (succeeded, tasks), with
/// success as in [`Row::success`].
pub fn success_by_type(mode: &str, rows: &[Row]) -> BTreeMap<String, (usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.mode == mode) {
        let e = m.entry(r.expected_type.clone()).or_default();
        e.1 += 1;
        if r.success() {
            e.0 += 1;
        }
    }
    m
}

/// Who produced a report and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    /// What served the model calls: the provider and model of each role, or
    /// the replay set.
    pub models: String,
    /// Free-text label: model, quantization, server version, date.
    #[serde(default)]
    pub label: Option<String>,
    pub started_at: String,
    pub coop_version: String,
    /// Set when this report replays a recorded set: the set's directory.
    #[serde(default)]
    pub replayed_from: Option<String>,
}

/// The whole report, as written to `bench.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub meta: Meta,
    pub modes: Vec<String>,
    pub summary: Vec<ModeSummary>,
    pub rows: Vec<Row>,
    /// In a replay: per (task, mode), the differences from the recorded run
    /// (empty when it reproduced exactly).
    #[serde(default)]
    pub drift: Vec<Drift>,
}

impl Report {
    pub fn new(meta: Meta, modes: Vec<String>, rows: Vec<Row>) -> Report {
        let summary = modes.iter().map(|m| summarize(m, &rows)).collect();
        Report {
            meta,
            modes,
            summary,
            rows,
            drift: Vec::new(),
        }
    }
    pub fn summary_of(&self, mode: &str) -> Option<&ModeSummary> {
        self.summary.iter().find(|s| s.mode == mode)
    }
    /// Summarize the rows again, with this version's definitions: a report
    /// read from an older bench.json carries figures computed with the old
    /// ones (format 1 counted rejected runs whose tree passed as successes).
    pub fn resummarize(&mut self) {
        self.summary = self
            .modes
            .iter()
            .map(|m| summarize(m, &self.rows))
            .collect();
    }
}

/// A replayed run that did not reproduce its recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub task: String,
    pub mode: String,
    /// `field: recorded X, replayed Y`, one per differing field.
    pub differences: Vec<String>,
}

/// Compare a replayed row with the recorded one on everything a replay must
/// reproduce: outcome, acceptance, the patch byte for byte, routing,
/// revision cycles, the roles that ran and the tokens (served from the
/// recording). Times are not compared: a replay calls no model. Success is
/// not compared on its own: it follows from the outcome and the acceptance
/// result, and comparing the acceptance result works on rows recorded in
/// format 1 too (their `success` was that result).
pub fn compare(recorded: &Row, replayed: &Row) -> Vec<String> {
    let mut d = Vec::new();
    let mut check = |name: &str, a: String, b: String| {
        if a != b {
            d.push(format!("{name}: recorded {a}, replayed {b}"));
        }
    };
    check(
        "outcome",
        recorded.outcome.clone(),
        replayed.outcome.clone(),
    );
    check(
        "acceptance_passed",
        recorded.acceptance_passed.to_string(),
        replayed.acceptance_passed.to_string(),
    );
    check(
        "patch_sha256",
        format!("{:?}", recorded.patch_sha256),
        format!("{:?}", replayed.patch_sha256),
    );
    check(
        "routed_type",
        format!("{:?}", recorded.routed_type),
        format!("{:?}", replayed.routed_type),
    );
    check(
        "revision_cycles",
        recorded.revision_cycles.to_string(),
        replayed.revision_cycles.to_string(),
    );
    check(
        "roles_ran",
        recorded.roles_ran.join(","),
        replayed.roles_ran.join(","),
    );
    check(
        "calls",
        recorded.calls().to_string(),
        replayed.calls().to_string(),
    );
    check(
        "tokens",
        recorded.tokens().to_string(),
        replayed.tokens().to_string(),
    );
    d
}

/// Compare every replayed row with its recording. A recorded row with no
/// replayed counterpart (or the reverse) is drift too.
pub fn compare_all(recorded: &[Row], replayed: &[Row]) -> Vec<Drift> {
    let mut out = Vec::new();
    for r in replayed {
        match recorded.iter().find(|x| x.key() == r.key()) {
            Some(rec) => {
                let differences = compare(rec, r);
                if !differences.is_empty() {
                    out.push(Drift {
                        task: r.task.clone(),
                        mode: r.mode.clone(),
                        differences,
                    });
                }
            }
            None => out.push(Drift {
                task: r.task.clone(),
                mode: r.mode.clone(),
                differences: vec!["no recorded run for this task and mode".into()],
            }),
        }
    }
    out
}

pub fn fmt_secs(ms: Option<u64>) -> String {
    match ms {
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
        None => "–".into(),
    }
}

pub fn fmt_cost(c: Option<f64>) -> String {
    match c {
        Some(c) => format!("${c:.4}"),
        None => "n/a".into(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

pub fn fmt_count(v: Option<u64>) -> String {
    v.map(|t| t.to_string()).unwrap_or_else(|| "–".into())
}

/// A run's result in the per-task tables: `pass` (delivered and passing),
/// `rejected, passes` (not delivered, tree passes), or `FAIL`.
pub fn result_label(row: &Row) -> &'static str {
    if row.success() {
        "pass"
    } else if row.rejected_but_passing() {
        "rejected, passes"
    } else {
        "FAIL"
    }
}

/// What the summary's success columns mean, under the table.
pub const SUCCESS_NOTE: &str = "success: coop delivered the change (approved, exit 0) and the hidden acceptance tests pass on it; \
rejected but passing: coop did not deliver the change, yet the tree it left passes those tests (not a success); \
delivered but failing: coop delivered the change as done, yet those tests fail on it; \
tokens per success: tokens of all the mode's runs divided by its successes.";

/// The Markdown report: per-mode summary, per-task table, drift.
pub fn render_markdown(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("# coop bench\n\n");
    s.push_str(&format!("- models: {}\n", r.meta.models));
    if let Some(l) = &r.meta.label {
        s.push_str(&format!("- label: {l}\n"));
    }
    if let Some(p) = &r.meta.replayed_from {
        s.push_str(&format!(
            "- replayed from `{p}`: outcomes are re-computed; times are this replay's (no model time)\n"
        ));
    }
    s.push_str(&format!(
        "- started: {}, coop {}\n\n",
        r.meta.started_at, r.meta.coop_version
    ));
    s.push_str("| mode | tasks | success | rejected but passing | delivered but failing | median time (successes) | median time (all) | median tokens | tokens per success | median cost | revision cycles (mean) | escalations | routing correct |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for m in &r.summary {
        s.push_str(&format!(
            "| {} | {} | {}/{} ({}) | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} |\n",
            m.mode,
            m.tasks,
            m.succeeded,
            m.tasks,
            pct(m.success_rate),
            m.rejected_but_passing,
            m.delivered_but_failing,
            fmt_secs(m.median_time_ms_success),
            fmt_secs(m.median_time_ms),
            fmt_count(m.median_tokens),
            fmt_count(m.tokens_per_success),
            fmt_cost(m.median_cost_usd),
            m.mean_revision_cycles,
            m.escalations,
            m.routing_accuracy.map(pct).unwrap_or_else(|| "–".into()),
        ));
    }
    s.push_str(&format!("\n{SUCCESS_NOTE}\n"));
    s.push_str("\n## Per task\n\n| task | type | mode | result | outcome | time | tokens in/out | cost | revisions | routed |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for row in &r.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} |\n",
            row.task,
            row.expected_type,
            row.mode,
            result_label(row),
            row.outcome,
            fmt_secs(Some(row.time_ms)),
            row.tokens_in(),
            row.tokens_out(),
            fmt_cost(row.cost_usd()),
            row.revision_cycles,
            match (&row.routed_type, row.routing_correct()) {
                (Some(t), Some(true)) => format!("{t} ✓"),
                (Some(t), _) => format!("{t} ✗"),
                (None, _) => "–".into(),
            }
        ));
    }
    let roles: Vec<String> = {
        let mut v: Vec<String> = r
            .summary
            .iter()
            .flat_map(|m| m.tokens_by_role.keys().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if !roles.is_empty() {
        s.push_str("\n## Tokens per role (all tasks)\n\n| mode |");
        for role in &roles {
            s.push_str(&format!(" {role} |"));
        }
        s.push_str("\n|---|");
        for _ in &roles {
            s.push_str("---|");
        }
        s.push('\n');
        for m in &r.summary {
            s.push_str(&format!("| {} |", m.mode));
            for role in &roles {
                s.push_str(&format!(
                    " {} |",
                    m.tokens_by_role.get(role).copied().unwrap_or(0)
                ));
            }
            s.push('\n');
        }
    }
    if r.meta.replayed_from.is_some() {
        if r.drift.is_empty() {
            s.push_str(&format!(
                "\nReplay: all {} run(s) reproduced their recording exactly.\n",
                r.rows.len()
            ));
        } else {
            s.push_str(&format!(
                "\nReplay: {} run(s) DRIFTED from their recording:\n\n",
                r.drift.len()
            ));
            for d in &r.drift {
                s.push_str(&format!(
                    "- {} {}: {}\n",
                    d.task,
                    d.mode,
                    d.differences.join("; ")
                ));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests;
