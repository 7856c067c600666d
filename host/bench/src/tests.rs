use super::*;

fn row(task: &str, ty: &str, mode: &str, success: bool, time_ms: u64, tin: u64, tout: u64) -> Row {
    let mut per_role = BTreeMap::new();
    per_role.insert(
        "implementer".to_string(),
        RoleFigures { calls: 1, tokens_in: tin, tokens_out: tout, cost_usd: None, model_ms: time_ms / 2 },
    );
    Row {
        task: task.into(),
        mode: mode.into(),
        expected_type: ty.into(),
        routed_type: Some(ty.into()),
        outcome: if success { "approved".into() } else { "verification-failed".into() },
        exit_code: if success { 0 } else { 3 },
        reason: String::new(),
        success,
        acceptance_failures: vec![],
        time_ms,
        model_ms: time_ms / 2,
        docker_ms: 100,
        per_role,
        revision_cycles: 0,
        escalated: false,
        roles_ran: vec!["implementer".into()],
        patch_sha256: Some(format!("{task}-{mode}")),
        run_dir: None,
    }
}

#[test]
fn medians_of_odd_even_and_empty() {
    assert_eq!(median_u64(&[]), None);
    assert_eq!(median_u64(&[5]), Some(5));
    assert_eq!(median_u64(&[9, 1, 5]), Some(5));
    assert_eq!(median_u64(&[1, 2, 3, 10]), Some(2));
    assert_eq!(median_f64(&[0.5, 0.1]), Some(0.3));
    assert_eq!(median_f64(&[]), None);
}

#[test]
fn summary_counts_success_time_tokens_and_routing_per_mode() {
    let mut rows = vec![
        row("01", "feature", "mob", true, 10_000, 100, 50),
        row("02", "bugfix", "mob", false, 30_000, 300, 60),
        row("03", "docs", "mob", true, 20_000, 200, 70),
        row("01", "feature", "solo", true, 4_000, 50, 20),
        row("02", "bugfix", "solo", false, 6_000, 60, 20),
    ];
    rows[1].routed_type = Some("feature".into());
    rows[1].revision_cycles = 2;
    rows[2].escalated = true;
    let mob = summarize("mob", &rows);
    assert_eq!((mob.tasks, mob.succeeded), (3, 2));
    assert!((mob.success_rate - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(mob.median_time_ms_success, Some(15_000), "median of the successes only");
    assert_eq!(mob.median_time_ms, Some(20_000));
    assert_eq!(mob.median_tokens, Some(270));
    assert_eq!(mob.total_tokens, 150 + 360 + 270);
    assert!((mob.mean_revision_cycles - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(mob.escalations, 1);
    assert_eq!(mob.routing_accuracy, Some(2.0 / 3.0));
    assert_eq!(mob.median_cost_usd, None, "no price → no cost, tokens are the figure");
    let solo = summarize("solo", &rows);
    assert_eq!((solo.tasks, solo.succeeded), (2, 1));
    assert_eq!(solo.median_time_ms_success, Some(4_000));
    let empty = summarize("other", &rows);
    assert_eq!((empty.tasks, empty.success_rate, empty.median_time_ms), (0, 0.0, None));
    let st = success_by_type("mob", &rows);
    assert_eq!(st.get("feature"), Some(&(1, 1)));
    assert_eq!(st.get("bugfix"), Some(&(0, 1)));
}

#[test]
fn cost_needs_a_price_for_every_role_that_made_calls() {
    let mut r = row("01", "feature", "mob", true, 1, 1, 1);
    assert_eq!(r.cost_usd(), None);
    r.per_role.get_mut("implementer").unwrap().cost_usd = Some(0.25);
    assert_eq!(r.cost_usd(), Some(0.25));
    r.per_role.insert("architect".into(), RoleFigures { calls: 2, cost_usd: None, ..Default::default() });
    assert_eq!(r.cost_usd(), None);
    r.per_role.get_mut("architect").unwrap().calls = 0;
    assert_eq!(r.cost_usd(), Some(0.25), "a role that made no call costs nothing");
}

#[test]
fn compare_reports_every_field_that_drifted_and_ignores_time() {
    let a = row("01", "feature", "mob", true, 10_000, 100, 50);
    let mut b = a.clone();
    b.time_ms = 5;
    b.model_ms = 0;
    assert!(compare(&a, &b).is_empty(), "time is not compared");
    b.patch_sha256 = Some("other".into());
    b.outcome = "verification-failed".into();
    b.per_role.get_mut("implementer").unwrap().tokens_out = 51;
    let d = compare(&a, &b);
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d[0].starts_with("outcome: recorded approved, replayed verification-failed"));
    assert!(d.iter().any(|x| x.starts_with("patch_sha256")));
    assert!(d.iter().any(|x| x.starts_with("tokens: recorded 150, replayed 151")));

    let drift = compare_all(&[a.clone()], &[a.clone(), row("09", "docs", "solo", true, 1, 1, 1)]);
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].task, "09");
    assert!(drift[0].differences[0].contains("no recorded run"));
}

#[test]
fn markdown_has_summary_rows_and_drift() {
    let rows = vec![row("01", "feature", "mob", true, 10_000, 100, 50), row("01", "feature", "solo", false, 4_000, 50, 20)];
    let mut r = Report::new(Meta { models: "local".into(), ..Default::default() }, vec!["solo".into(), "mob".into()], rows);
    let md = render_markdown(&r);
    assert!(md.contains("| solo | 1 | 0/1 (0 %) |"), "{md}");
    assert!(md.contains("| mob | 1 | 1/1 (100 %) | 10.0 s |"), "{md}");
    assert!(md.contains("| 01 | feature | solo | FAIL | verification-failed | 4.0 s | 50/20 | n/a | 0 | feature ✓ |"), "{md}");
    assert!(!md.contains("Replay"));
    r.meta.replayed_from = Some("set".into());
    assert!(render_markdown(&r).contains("all 2 run(s) reproduced"));
    r.drift.push(Drift { task: "01".into(), mode: "mob".into(), differences: vec!["outcome: recorded a, replayed b".into()] });
    assert!(render_markdown(&r).contains("1 run(s) DRIFTED"));
}

#[test]
fn html_has_one_bar_per_value_and_escapes_text() {
    let rows = vec![
        row("01-a", "feature", "mob", true, 10_000, 100, 50),
        row("01-a", "feature", "solo", false, 4_000, 50, 20),
        row("02-<b>", "bugfix", "mob", true, 8_000, 80, 40),
    ];
    let r = Report::new(Meta { models: "m & <x>".into(), ..Default::default() }, vec!["solo".into(), "mob".into()], rows);
    let html = render_html(&r);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("m &amp; &lt;x&gt;"));
    assert!(!html.contains("<b>"), "task names are escaped");
    // success-by-type: feature (solo, mob) + bugfix (mob only) = 3 bars;
    // time and tokens per task: 3 rows each = 6 bars; no cost chart (no prices).
    assert_eq!(html.matches("class=\"bar\"").count(), 3 + 3 + 3);
    assert!(html.contains("id=\"success-by-type\""));
    assert!(html.contains("data-series=\"mob\" data-category=\"feature\" data-value=\"100\""));
    assert!(html.contains("data-series=\"solo\" data-category=\"feature\" data-value=\"0\""));
    assert!(!html.contains("id=\"cost-per-task\""));
}

#[test]
fn chart_scale_is_rounded_up() {
    assert_eq!(html::bar_chart(&html::Chart { id: "x", title: "t", unit: "", categories: vec![], series: vec![] }).matches("<rect").count(), 0);
    let c = html::Chart {
        id: "x",
        title: "t",
        unit: " s",
        categories: vec!["a".into()],
        series: vec![("s".into(), vec![Some(37.0)])],
    };
    let svg = html::bar_chart(&c);
    assert!(svg.contains(">50 s<"), "axis max rounds 37 up to 50: {svg}");
}

#[test]
fn report_json_round_trips() {
    let rows = vec![row("01", "feature", "mob", true, 10_000, 100, 50)];
    let r = Report::new(Meta { format: BENCH_FORMAT, models: "x".into(), ..Default::default() }, vec!["mob".into()], rows);
    let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}
