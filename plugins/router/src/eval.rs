//! Scoring the router against a labelled set of task requests.
//!
//! Pure functions: the only input format handled here is JSONL held in a
//! `&str` (one object per line, fields `id`, `text`, `type`, `size`, `risk`,
//! optional `split` and `note`). Reading the file is the caller's business.

use crate::rules::{self, Risk, Size, TaskType};

/// One labelled request.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    /// `"dev"`, `"holdout"` or empty when the set is not split.
    pub split: String,
    pub text: String,
    pub task_type: TaskType,
    pub size: Size,
    pub risk: Risk,
    pub note: String,
}

/// One case the router got wrong on at least one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub id: String,
    pub expected: (TaskType, Size, Risk),
    pub predicted: (TaskType, Size, Risk),
    pub confidence: f32,
}

/// The score of a set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub total: usize,
    pub type_correct: usize,
    pub size_correct: usize,
    pub risk_correct: usize,
    /// `confusion[expected][predicted]`, indexed in the order of [`TYPES`].
    pub confusion: [[usize; 6]; 6],
    pub misses: Vec<Miss>,
}

/// The order of rows and columns of the confusion matrix.
pub const TYPES: [TaskType; 6] = [
    TaskType::Feature,
    TaskType::Bugfix,
    TaskType::Refactor,
    TaskType::Docs,
    TaskType::Test,
    TaskType::Unclear,
];

fn type_index(t: TaskType) -> usize {
    TYPES.iter().position(|x| *x == t).unwrap_or(5)
}

pub fn parse_type(s: &str) -> Option<TaskType> {
    TYPES.iter().copied().find(|t| rules::name(*t) == s)
}

pub fn parse_size(s: &str) -> Option<Size> {
    match s {
        "small" => Some(Size::Small),
        "medium" => Some(Size::Medium),
        "large" => Some(Size::Large),
        _ => None,
    }
}

pub fn parse_risk(s: &str) -> Option<Risk> {
    match s {
        "low" => Some(Risk::Low),
        "medium" => Some(Risk::Medium),
        "high" => Some(Risk::High),
        _ => None,
    }
}

pub fn size_name(s: Size) -> &'static str {
    match s {
        Size::Small => "small",
        Size::Medium => "medium",
        Size::Large => "large",
    }
}

pub fn risk_name(r: Risk) -> &'static str {
    match r {
        Risk::Low => "low",
        Risk::Medium => "medium",
        Risk::High => "high",
    }
}

/// Parse a labelled set; blank lines and lines starting with `//` or `#` are
/// skipped. Errors name the 1-based line.
pub fn parse_jsonl(input: &str) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") || line.starts_with('#') {
            continue;
        }
        let at = n + 1;
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {at}: {e}"))?;
        let field = |k: &str| -> Result<String, String> {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("line {at}: missing string field '{k}'"))
        };
        let opt = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let ty = field("type")?;
        let size = field("size")?;
        let risk = field("risk")?;
        out.push(Case {
            id: field("id")?,
            split: opt("split"),
            text: field("text")?,
            task_type: parse_type(&ty).ok_or_else(|| format!("line {at}: unknown type '{ty}'"))?,
            size: parse_size(&size).ok_or_else(|| format!("line {at}: unknown size '{size}'"))?,
            risk: parse_risk(&risk).ok_or_else(|| format!("line {at}: unknown risk '{risk}'"))?,
            note: opt("note"),
        });
    }
    Ok(out)
}

/// The cases of one split (`"dev"`, `"holdout"`); `None` keeps all.
pub fn select_split<'a>(cases: &'a [Case], split: Option<&str>) -> Vec<&'a Case> {
    cases
        .iter()
        .filter(|c| split.is_none_or(|s| c.split == s))
        .collect()
}

/// Route every case (no repository facts: empty file list, one package) and
/// score type, size and risk.
pub fn evaluate(cases: &[Case]) -> Report {
    evaluate_refs(&cases.iter().collect::<Vec<_>>())
}

/// [`evaluate`] over borrowed cases, e.g. the output of [`select_split`].
pub fn evaluate_refs(cases: &[&Case]) -> Report {
    evaluate_with(cases, |text| rules::route(text, &[], 1))
}

/// Score any router: `route` maps a task text to a decision. The `coop route
/// --eval` command passes the configured router plugin here, so third-party
/// routers are measured the same way.
pub fn evaluate_with(cases: &[&Case], mut route: impl FnMut(&str) -> rules::Decision) -> Report {
    let mut r = Report {
        total: 0,
        type_correct: 0,
        size_correct: 0,
        risk_correct: 0,
        confusion: [[0; 6]; 6],
        misses: Vec::new(),
    };
    for c in cases {
        let d = route(&c.text);
        r.total += 1;
        r.confusion[type_index(c.task_type)][type_index(d.task_type)] += 1;
        let (t, s, k) = (
            d.task_type == c.task_type,
            d.size == c.size,
            d.risk == c.risk,
        );
        r.type_correct += usize::from(t);
        r.size_correct += usize::from(s);
        r.risk_correct += usize::from(k);
        if !(t && s && k) {
            r.misses.push(Miss {
                id: c.id.clone(),
                expected: (c.task_type, c.size, c.risk),
                predicted: (d.task_type, d.size, d.risk),
                confidence: d.confidence,
            });
        }
    }
    r
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

impl Report {
    pub fn type_accuracy(&self) -> f64 {
        ratio(self.type_correct, self.total)
    }
    pub fn size_accuracy(&self) -> f64 {
        ratio(self.size_correct, self.total)
    }
    pub fn risk_accuracy(&self) -> f64 {
        ratio(self.risk_correct, self.total)
    }

    /// Accuracies and the confusion matrix as an aligned text table
    /// (rows = expected type, columns = predicted type).
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "cases {}  type {:.1}% ({}/{})  size {:.1}% ({}/{})  risk {:.1}% ({}/{})\n\n",
            self.total,
            100.0 * self.type_accuracy(),
            self.type_correct,
            self.total,
            100.0 * self.size_accuracy(),
            self.size_correct,
            self.total,
            100.0 * self.risk_accuracy(),
            self.risk_correct,
            self.total
        ));
        let w = 9;
        s.push_str(&format!("{:<w$}", "exp\\pred"));
        for t in TYPES {
            s.push_str(&format!("{:>w$}", rules::name(t)));
        }
        s.push_str(&format!("{:>w$}{:>w$}\n", "total", "recall"));
        for (i, t) in TYPES.iter().enumerate() {
            s.push_str(&format!("{:<w$}", rules::name(*t)));
            for n in self.confusion[i] {
                s.push_str(&format!("{n:>w$}"));
            }
            let row: usize = self.confusion[i].iter().sum();
            s.push_str(&format!(
                "{row:>w$}{:>w$}\n",
                format!("{:.0}%", 100.0 * ratio(self.confusion[i][i], row))
            ));
        }
        s
    }

    /// One line per miss: id, expected and predicted type/size/risk.
    pub fn render_misses(&self) -> String {
        let f = |(t, s, r): (TaskType, Size, Risk)| {
            format!("{}/{}/{}", rules::name(t), size_name(s), risk_name(r))
        };
        self.misses
            .iter()
            .map(|m| {
                format!(
                    "{:<6} expected {:<24} got {:<24} conf {:.2}\n",
                    m.id,
                    f(m.expected),
                    f(m.predicted),
                    m.confidence
                )
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scores() {
        let src = r#"{"id":"a","text":"Add a --json flag to list","type":"feature","size":"small","risk":"low"}

{"id":"b","split":"dev","text":"make it better","type":"unclear","size":"small","risk":"low","note":"vague"}"#;
        let cases = parse_jsonl(src).unwrap();
        assert_eq!(cases.len(), 2);
        let r = evaluate(&cases);
        assert_eq!(r.total, 2);
        assert_eq!(r.confusion.iter().flatten().sum::<usize>(), 2);
        assert!(r.render_text().contains("exp\\pred"));
        assert_eq!(select_split(&cases, Some("dev")).len(), 1);
    }

    #[test]
    fn bad_lines_are_reported() {
        assert!(
            parse_jsonl("{\"id\":\"a\"}")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            parse_jsonl("{\"id\":\"a\",\"text\":\"x\",\"type\":\"nope\",\"size\":\"small\",\"risk\":\"low\"}")
                .unwrap_err()
                .contains("unknown type")
        );
    }
}
