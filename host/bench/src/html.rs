//! The HTML report: the same figures as the Markdown one, plus bar charts as
//! inline SVG (no script, no external resource), so the file renders the
//! same in any browser, offline, and a headless browser can check it.

use crate::{Report, SUCCESS_NOTE, fmt_cost, fmt_count, fmt_secs, result_label, success_by_type};
use std::fmt::Write as _;

/// Colours per series (mode), in order.
const COLOURS: [&str; 4] = ["#8c8c8c", "#2f6fdf", "#d9822b", "#3a9a5b"];

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// One chart: categories along the x axis, one bar per series in each.
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    pub categories: Vec<String>,
    /// (series name, one value per category; None = no bar)
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Render a grouped bar chart as SVG. Every bar is a `rect.bar` carrying
/// `data-series`, `data-category` and `data-value`, and a `<title>` tooltip.
pub fn bar_chart(c: &Chart<'_>) -> String {
    let n_cat = c.categories.len().max(1);
    let n_ser = c.series.len().max(1);
    let group_w = (40 + 18 * n_ser).max(60) as f64;
    let left = 60.0;
    let top = 30.0;
    let plot_h = 220.0;
    let bottom = 60.0;
    let width = (left + group_w * n_cat as f64 + 20.0).max(460.0);
    let height = top + plot_h + bottom;
    let max = c
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0f64, f64::max);
    let ymax = nice_max(max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{}">"#,
        escape(c.id),
        escape(c.title)
    );
    let _ = write!(
        s,
        r#"<text x="{left}" y="18" font-size="14" font-weight="bold">{}</text>"#,
        escape(c.title)
    );
    for i in 0..=4 {
        let v = ymax * i as f64 / 4.0;
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.0}" y="{:.1}" font-size="11" text-anchor="end">{}{}</text>"##,
            width - 10.0,
            left - 6.0,
            y + 4.0,
            trim_num(v),
            escape(c.unit)
        );
    }
    for (ci, cat) in c.categories.iter().enumerate() {
        let gx = left + group_w * ci as f64;
        let bw = (group_w - 16.0) / n_ser as f64;
        for (si, (name, vals)) in c.series.iter().enumerate() {
            let Some(v) = vals.get(ci).copied().flatten() else {
                continue;
            };
            let h = if ymax > 0.0 { plot_h * (v / ymax) } else { 0.0 };
            let x = gx + 8.0 + bw * si as f64;
            let y = top + plot_h - h;
            let _ = write!(
                s,
                r#"<rect class="bar" data-series="{}" data-category="{}" data-value="{v}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} / {}: {}{}</title></rect>"#,
                escape(name),
                escape(cat),
                (bw - 2.0).max(1.0),
                COLOURS[si % COLOURS.len()],
                escape(cat),
                escape(name),
                trim_num(v),
                escape(c.unit)
            );
        }
        // Per-task charts label bars with the task number (`07-...` → 07);
        // the full id is in each bar's tooltip.
        let label = match cat.split_once('-') {
            Some((num, _)) if num.chars().all(|c| c.is_ascii_digit()) => num,
            _ => cat.as_str(),
        };
        let lx = gx + group_w / 2.0;
        let ly = top + plot_h + 12.0;
        let _ = write!(
            s,
            r#"<text x="{lx:.1}" y="{ly:.1}" font-size="11" text-anchor="end" transform="rotate(-40 {lx:.1} {ly:.1})">{}</text>"#,
            escape(label)
        );
    }
    // Legend under the title, clear of the rotated axis labels.
    for (si, (name, _)) in c.series.iter().enumerate() {
        let x = left + 250.0 + 70.0 * si as f64;
        let y = 18.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.0}" y="{:.0}" width="12" height="12" fill="{}"/><text x="{:.0}" y="{y:.0}" font-size="12">{}</text>"#,
            y - 10.0,
            COLOURS[si % COLOURS.len()],
            x + 16.0,
            escape(name)
        );
    }
    s.push_str("</svg>");
    s
}

fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// The charts of a report, in page order.
pub fn charts(r: &Report) -> Vec<String> {
    let mut types: Vec<String> = r.rows.iter().map(|x| x.expected_type.clone()).collect();
    types.sort();
    types.dedup();
    let mut tasks: Vec<String> = r.rows.iter().map(|x| x.task.clone()).collect();
    tasks.sort();
    tasks.dedup();
    let by_type = Chart {
        id: "success-by-type",
        title: "Success rate by task type",
        unit: "%",
        categories: types.clone(),
        series: r
            .modes
            .iter()
            .map(|m| {
                let st = success_by_type(m, &r.rows);
                let vals = types
                    .iter()
                    .map(|t| {
                        st.get(t)
                            .filter(|(_, n)| *n > 0)
                            .map(|(ok, n)| 100.0 * *ok as f64 / *n as f64)
                    })
                    .collect();
                (m.clone(), vals)
            })
            .collect(),
    };
    let per_task = |id, title, unit, f: &dyn Fn(&crate::Row) -> Option<f64>| Chart {
        id,
        title,
        unit,
        categories: tasks.clone(),
        series: r
            .modes
            .iter()
            .map(|m| {
                let vals = tasks
                    .iter()
                    .map(|t| {
                        r.rows
                            .iter()
                            .find(|x| &x.task == t && &x.mode == m)
                            .and_then(f)
                    })
                    .collect();
                (m.clone(), vals)
            })
            .collect(),
    };
    let time = per_task("time-per-task", "Time per task", " s", &|x| {
        Some(x.time_ms as f64 / 1000.0)
    });
    let tokens = per_task("tokens-per-task", "Tokens per task", "", &|x| {
        Some(x.tokens() as f64)
    });
    let mut out = vec![bar_chart(&by_type), bar_chart(&time), bar_chart(&tokens)];
    if r.rows.iter().all(|x| x.cost_usd().is_some()) && !r.rows.is_empty() {
        let cost = per_task("cost-per-task", "Cost per task", " $", &|x| x.cost_usd());
        out.push(bar_chart(&cost));
    }
    out
}

/// The whole HTML page.
pub fn render_html(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>coop bench</title>\n<style>");
    s.push_str("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}");
    s.push_str("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}");
    s.push_str(".fail{color:#b00020;font-weight:bold}.pass{color:#1b7f3b}.charts svg{display:block;margin:1em 0}");
    s.push_str("</style></head><body>\n<h1>coop bench</h1>\n<ul>");
    let _ = write!(s, "<li>models: {}</li>", escape(&r.meta.models));
    if let Some(l) = &r.meta.label {
        let _ = write!(s, "<li>label: {}</li>", escape(l));
    }
    if let Some(p) = &r.meta.replayed_from {
        let _ = write!(s, "<li>replayed from <code>{}</code></li>", escape(p));
    }
    let _ = writeln!(
        s,
        "<li>started {}, coop {}</li></ul>",
        escape(&r.meta.started_at),
        escape(&r.meta.coop_version)
    );
    s.push_str("<h2>Summary</h2>\n<table id=\"summary\"><tr><th>mode</th><th>tasks</th><th>success</th><th>rejected but passing</th><th>delivered but failing</th><th>median time (successes)</th><th>median time (all)</th><th>median tokens</th><th>tokens per success</th><th>median cost</th><th>revision cycles (mean)</th><th>escalations</th><th>routing correct</th></tr>\n");
    for m in &r.summary {
        let _ = writeln!(
            s,
            "<tr data-mode=\"{}\"><td>{}</td><td>{}</td><td>{}/{} ({:.0} %)</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.mode),
            escape(&m.mode),
            m.tasks,
            m.succeeded,
            m.tasks,
            m.success_rate * 100.0,
            m.rejected_but_passing,
            m.delivered_but_failing,
            fmt_secs(m.median_time_ms_success),
            fmt_secs(m.median_time_ms),
            fmt_count(m.median_tokens),
            fmt_count(m.tokens_per_success),
            fmt_cost(m.median_cost_usd),
            m.mean_revision_cycles,
            m.escalations,
            m.routing_accuracy
                .map(|a| format!("{:.0} %", a * 100.0))
                .unwrap_or_else(|| "–".into()),
        );
    }
    let _ = write!(
        s,
        "</table>\n<p id=\"success-note\">{}</p>",
        escape(SUCCESS_NOTE)
    );
    s.push_str("\n<h2>Charts</h2>\n<div class=\"charts\">\n");
    for c in charts(r) {
        s.push_str(&c);
        s.push('\n');
    }
    s.push_str("</div>\n<h2>Per task</h2>\n<table id=\"tasks\"><tr><th>task</th><th>type</th><th>mode</th><th>result</th><th>outcome</th><th>time</th><th>tokens in/out</th><th>cost</th><th>revisions</th><th>routed</th></tr>\n");
    for x in &r.rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&x.task),
            escape(&x.expected_type),
            escape(&x.mode),
            if x.success() { "pass" } else { "fail" },
            escape(result_label(x)),
            escape(&x.outcome),
            fmt_secs(Some(x.time_ms)),
            x.tokens_in(),
            x.tokens_out(),
            fmt_cost(x.cost_usd()),
            x.revision_cycles,
            escape(x.routed_type.as_deref().unwrap_or("–")),
        );
    }
    s.push_str("</table>\n");
    if r.meta.replayed_from.is_some() {
        if r.drift.is_empty() {
            let _ = writeln!(
                s,
                "<p id=\"replay\">Replay: all {} run(s) reproduced their recording exactly.</p>",
                r.rows.len()
            );
        } else {
            s.push_str("<h2>Replay drift</h2><ul id=\"replay\">");
            for d in &r.drift {
                let _ = write!(
                    s,
                    "<li>{} {}: {}</li>",
                    escape(&d.task),
                    escape(&d.mode),
                    escape(&d.differences.join("; "))
                );
            }
            s.push_str("</ul>\n");
        }
    }
    s.push_str("</body></html>\n");
    s
}
