use super::*;

/// A row that succeeded (approved, acceptance passed) or failed both ways
/// (verification failed, acceptance failed).
fn row(task: &str, ty: &str, mode: &str, success: bool, time_ms: u64, tin: u64, tout: u64) -> Row {
    let mut per_role = BTreeMap::new();
    per_role.insert(
        "implementer".to_string(),
        RoleFigures {
            calls: 1,
            tokens_in: tin,
            tokens_out: tout,
            cost_usd: None,
            model_ms: time_ms / 2,
        },
    );
    Row {
        task: task.into(),
        mode: mode.into(),
        expected_type: ty.into(),
        routed_type: Some(ty.into()),
        outcome: if success {
            "approved".into()
        } else {
            "verification-failed".into()
        },
        exit_code: if success { 0 } else { 3 },
        reason: String::new(),
        acceptance_passed: success,
        acceptance_failures: if success {
            vec![]
        } else {
            vec!["test failed".into()]
        },
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
    assert_eq!(
        mob.median_time_ms_success,
        Some(15_000),
        "median of the successes only"
    );
    assert_eq!(mob.median_time_ms, Some(20_000));
    assert_eq!(mob.median_tokens, Some(270));
    assert_eq!(mob.total_tokens, 150 + 360 + 270);
    assert!((mob.mean_revision_cycles - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(mob.escalations, 1);
    assert_eq!(mob.routing_accuracy, Some(2.0 / 3.0));
    assert_eq!(
        mob.median_cost_usd, None,
        "no price → no cost, tokens are the figure"
    );
    let solo = summarize("solo", &rows);
    assert_eq!((solo.tasks, solo.succeeded), (2, 1));
    assert_eq!(solo.median_time_ms_success, Some(4_000));
    let empty = summarize("other", &rows);
    assert_eq!(
        (empty.tasks, empty.success_rate, empty.median_time_ms),
        (0, 0.0, None)
    );
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
    r.per_role.insert(
        "architect".into(),
        RoleFigures {
            calls: 2,
            cost_usd: None,
            ..Default::default()
        },
    );
    assert_eq!(r.cost_usd(), None);
    r.per_role.get_mut("architect").unwrap().calls = 0;
    assert_eq!(
        r.cost_usd(),
        Some(0.25),
        "a role that made no call costs nothing"
    );
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
    assert!(
        d.iter()
            .any(|x| x.starts_with("tokens: recorded 150, replayed 151"))
    );

    let drift = compare_all(
        std::slice::from_ref(&a),
        &[a.clone(), row("09", "docs", "solo", true, 1, 1, 1)],
    );
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].task, "09");
    assert!(drift[0].differences[0].contains("no recorded run"));
}

#[test]
fn markdown_has_summary_rows_and_drift() {
    let rows = vec![
        row("01", "feature", "mob", true, 10_000, 100, 50),
        row("01", "feature", "solo", false, 4_000, 50, 20),
    ];
    let mut r = Report::new(
        Meta {
            models: "local".into(),
            ..Default::default()
        },
        vec!["solo".into(), "mob".into()],
        rows,
    );
    let md = render_markdown(&r);
    assert!(md.contains("| solo | 1 | 0/1 (0 %) |"), "{md}");
    assert!(
        md.contains("| mob | 1 | 1/1 (100 %) | 0 | 0 | 10.0 s | 10.0 s | 150 | 150 | n/a |"),
        "{md}"
    );
    assert!(
        md.contains("| solo | 1 | 0/1 (0 %) | 0 | 0 | – | 4.0 s | 70 | – | n/a |"),
        "{md}"
    );
    assert!(
        md.contains("rejected but passing: coop did not deliver"),
        "the columns are explained: {md}"
    );
    assert!(md.contains("| 01 | feature | solo | FAIL | verification-failed | 4.0 s | 50/20 | n/a | 0 | feature ✓ |"), "{md}");
    assert!(!md.contains("Replay"));
    r.meta.replayed_from = Some("set".into());
    assert!(render_markdown(&r).contains("all 2 run(s) reproduced"));
    r.drift.push(Drift {
        task: "01".into(),
        mode: "mob".into(),
        differences: vec!["outcome: recorded a, replayed b".into()],
    });
    assert!(render_markdown(&r).contains("1 run(s) DRIFTED"));
}

#[test]
fn html_has_one_bar_per_value_and_escapes_text() {
    let rows = vec![
        row("01-a", "feature", "mob", true, 10_000, 100, 50),
        row("01-a", "feature", "solo", false, 4_000, 50, 20),
        row("02-<b>", "bugfix", "mob", true, 8_000, 80, 40),
    ];
    let r = Report::new(
        Meta {
            models: "m & <x>".into(),
            ..Default::default()
        },
        vec!["solo".into(), "mob".into()],
        rows,
    );
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
    assert_eq!(
        html::bar_chart(&html::Chart {
            id: "x",
            title: "t",
            unit: "",
            categories: vec![],
            series: vec![]
        })
        .matches("<rect")
        .count(),
        0
    );
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
    let r = Report::new(
        Meta {
            format: BENCH_FORMAT,
            models: "x".into(),
            ..Default::default()
        },
        vec!["mob".into()],
        rows,
    );
    let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

/// A row with the given outcome and acceptance result.
fn judged(task: &str, mode: &str, outcome: &str, exit_code: i32, passed: bool, tokens: u64) -> Row {
    let mut r = row(task, "feature", mode, true, 1_000, tokens, 0);
    r.outcome = outcome.into();
    r.exit_code = exit_code;
    r.set_acceptance(if passed {
        vec![]
    } else {
        vec!["test failed".into()]
    });
    r
}

#[test]
fn success_is_delivered_and_passing() {
    let ok = judged("01", "mob", "approved", 0, true, 10);
    assert!(ok.delivered() && ok.acceptance_passed && ok.success() && !ok.rejected_but_passing());
    assert!(!ok.delivered_but_failing());

    let rejected = judged("02", "mob", "verification-failed", 3, true, 10);
    assert!(rejected.acceptance_passed, "the leftover tree passes");
    assert!(
        !rejected.success(),
        "coop did not deliver it: not a success"
    );
    assert!(rejected.rejected_but_passing());

    let broken = judged("03", "mob", "approved", 0, false, 10);
    assert!(broken.delivered() && !broken.success() && !broken.rejected_but_passing());
    assert!(
        broken.delivered_but_failing(),
        "a wrong change handed over as done"
    );
    assert_eq!(broken.acceptance_failures, ["test failed"]);

    let both = judged("04", "mob", "role-failed", 7, false, 10);
    assert!(!both.success() && !both.rejected_but_passing() && !both.delivered_but_failing());

    // "approved" is only a delivery with exit 0.
    assert!(!judged("05", "mob", "approved", 1, true, 10).success());
}

#[test]
fn summary_counts_rejected_but_passing_apart_and_tokens_per_success() {
    let rows = vec![
        judged("01", "mob", "approved", 0, true, 100),
        judged("02", "mob", "verification-failed", 3, true, 300),
        judged("03", "mob", "approved", 0, false, 200),
        judged("04", "mob", "review-loops-exhausted", 4, false, 401),
        judged("01", "solo", "verification-failed", 3, true, 50),
    ];
    let mob = summarize("mob", &rows);
    assert_eq!(
        (
            mob.tasks,
            mob.succeeded,
            mob.rejected_but_passing,
            mob.delivered_but_failing
        ),
        (4, 1, 1, 1)
    );
    assert_eq!(mob.success_rate, 0.25);
    assert_eq!(mob.median_time_ms_success, Some(1_000));
    assert_eq!(mob.median_tokens, Some(250));
    assert_eq!(mob.total_tokens, 1_001);
    assert_eq!(
        mob.tokens_per_success,
        Some(1_001),
        "all runs' tokens, failures included, per success"
    );
    let solo = summarize("solo", &rows);
    assert_eq!((solo.succeeded, solo.rejected_but_passing), (0, 1));
    assert_eq!(solo.tokens_per_success, None, "no success, no figure");
    assert_eq!(solo.median_time_ms_success, None);

    let st = success_by_type("mob", &rows);
    assert_eq!(
        st.get("feature"),
        Some(&(1, 4)),
        "a rejected run whose tree passes is no success by type either"
    );

    assert_eq!(tokens_per_success(10, 0), None);
    assert_eq!(tokens_per_success(10, 4), Some(3), "2.5 rounds up");
    assert_eq!(tokens_per_success(9, 4), Some(2));
    assert_eq!(tokens_per_success(0, 2), Some(0));

    let r = Report::new(Meta::default(), vec!["solo".into(), "mob".into()], rows);
    let md = render_markdown(&r);
    assert!(
        md.contains("| mob | 4 | 1/4 (25 %) | 1 | 1 | 1.0 s | 1.0 s | 250 | 1001 |"),
        "{md}"
    );
    assert!(
        md.contains("| solo | 1 | 0/1 (0 %) | 1 | 0 | – | 1.0 s | 50 | – |"),
        "{md}"
    );
    assert!(
        md.contains("| 02 | feature | mob | rejected, passes | verification-failed |"),
        "{md}"
    );
    assert!(
        md.contains("| 03 | feature | mob | FAIL | approved |"),
        "{md}"
    );
    let html = render_html(&r);
    assert!(html.contains("<td>1/4 (25 %)</td><td>1</td>"), "{html}");
    assert!(
        html.contains("<td class=\"fail\">rejected, passes</td>"),
        "{html}"
    );
    assert!(html.contains("id=\"success-note\""));
}

/// A row as format 1 wrote it: no acceptance_passed, and `success` meaning
/// the acceptance result alone.
fn old_row_json(task: &str, outcome: &str, exit_code: i32, success: bool) -> String {
    format!(
        r#"{{"task":"{task}","mode":"solo","expected_type":"feature","routed_type":null,"outcome":"{outcome}","exit_code":{exit_code},"reason":"","success":{success},"acceptance_failures":[],"time_ms":5,"model_ms":1,"docker_ms":1,"per_role":{{"implementer":{{"calls":1,"tokens_in":10,"tokens_out":5,"cost_usd":null,"model_ms":1}}}},"revision_cycles":0,"escalated":false,"roles_ran":["implementer"],"patch_sha256":"abc","run_dir":null}}"#
    )
}

#[test]
fn rows_of_format_1_read_with_their_success_as_the_acceptance_result() {
    let approved: Row = serde_json::from_str(&old_row_json("01", "approved", 0, true)).unwrap();
    assert!(approved.acceptance_passed && approved.success());
    let rejected: Row =
        serde_json::from_str(&old_row_json("02", "verification-failed", 3, true)).unwrap();
    assert!(
        rejected.acceptance_passed,
        "format 1's success was the acceptance result"
    );
    assert!(
        !rejected.success() && rejected.rejected_but_passing(),
        "re-judged with the new definition"
    );
    let failed: Row = serde_json::from_str(&old_row_json("03", "approved", 0, false)).unwrap();
    assert!(!failed.acceptance_passed && !failed.success());

    // A bench.json of format 1: its summary lacks the new figures; the
    // rows are what counts, and resummarize recomputes the rest.
    let old_summary = r#"{"mode":"solo","tasks":2,"succeeded":2,"success_rate":1.0,"median_time_ms_success":5,"median_time_ms":5,"median_tokens":15,"total_tokens":30,"median_cost_usd":null,"total_cost_usd":null,"mean_revision_cycles":0.0,"escalations":0,"routing_accuracy":null,"tokens_by_role":{"implementer":30}}"#;
    let old_report = format!(
        r#"{{"meta":{{"format":1,"models":"m","started_at":"t","coop_version":"0.1.0"}},"modes":["solo"],"summary":[{old_summary}],"rows":[{},{}]}}"#,
        old_row_json("01", "approved", 0, true),
        old_row_json("02", "verification-failed", 3, true)
    );
    let mut rec: Report = serde_json::from_str(&old_report).unwrap();
    assert_eq!(rec.summary[0].rejected_but_passing, 0);
    assert_eq!(rec.summary[0].tokens_per_success, None);
    rec.resummarize();
    let s = rec.summary_of("solo").unwrap();
    assert_eq!(
        (s.succeeded, s.rejected_but_passing, s.tokens_per_success),
        (1, 1, Some(30))
    );

    // The drift check compares old recorded rows with new replayed ones.
    let mut replayed = rec.rows.clone();
    assert!(compare_all(&rec.rows, &replayed).is_empty());
    replayed[1].set_acceptance(vec!["build failed".into()]);
    let d = compare_all(&rec.rows, &replayed);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].differences,
        ["acceptance_passed: recorded true, replayed false"]
    );
    // A row round-trips through a JSON line that no longer needs the old
    // reading; `success` is written for readers, and derived, not trusted.
    let line = serde_json::to_string(&rec.rows[1]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (v["success"].as_bool(), v["acceptance_passed"].as_bool()),
        (Some(false), Some(true))
    );
    let back: Row = serde_json::from_str(&line).unwrap();
    assert_eq!(back, rec.rows[1]);
    let forged = line.replace("\"success\":false", "\"success\":true");
    assert_ne!(forged, line);
    assert!(
        !serde_json::from_str::<Row>(&forged).unwrap().success(),
        "success follows the outcome, not the file"
    );
}

#[test]
fn a_row_without_any_acceptance_result_is_refused() {
    let line = old_row_json("01", "approved", 0, true).replace("\"success\":true,", "");
    let e = serde_json::from_str::<Row>(&line).unwrap_err().to_string();
    assert!(e.contains("acceptance_passed"), "{e}");
}

#[test]
fn the_committed_replay_set_reads_and_compares_with_itself() {
    // The set under examples/replays was written in format 1.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/replays");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path().join("bench.json");
        if !p.is_file() {
            continue;
        }
        let mut rec: Report = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert!(!rec.rows.is_empty());
        assert!(compare_all(&rec.rows, &rec.rows.clone()).is_empty());
        let old = rec.summary.clone();
        rec.resummarize();
        for (o, n) in old.iter().zip(&rec.summary) {
            assert_eq!(
                (o.mode.as_str(), o.tasks, o.total_tokens),
                (n.mode.as_str(), n.tasks, n.total_tokens)
            );
            assert!(n.succeeded <= o.succeeded, "the new success is stricter");
        }
        seen += 1;
    }
    assert!(seen > 0, "no recorded set under {}", dir.display());
}
