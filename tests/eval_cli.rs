//! End-to-end test of `incontext eval`: the table on stdout, report.json (with its seed) and
//! the SVG figures on disk, and a clear error for bad arguments.

use std::process::Command;

fn incontext() -> Command {
    Command::new(env!("CARGO_BIN_EXE_incontext"))
}

#[test]
fn eval_prints_a_table_and_writes_report_and_figures() {
    let out = std::env::temp_dir().join(format!("incontext-eval-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let result = incontext()
        .args(["eval", "--mixture", "sparse_linear(s=2)", "--d", "4", "--points", "6", "--prompts", "64"])
        .args(["--predictors", "least_squares,lasso(alpha=0.01),bayes", "--seed", "42", "--noise", "0.1,0.3"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "stderr: {}", String::from_utf8_lossy(&result.stderr));
    let header = stdout.lines().find(|l| l.trim_start().starts_with("k ")).expect("table header");
    for name in ["least_squares", "lasso(alpha=0.01)", "bayes"] {
        assert!(header.contains(name), "{header}");
    }
    // Rows k = 0 … 5; at k = 0 every predictor predicts 0, so all columns agree.
    let row0: Vec<&str> = stdout.lines().find(|l| l.trim_start().starts_with("0 ")).unwrap().split("  ").collect();
    assert!(stdout.lines().any(|l| l.trim_start().starts_with("5 ")));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["seed"], 42);
    assert_eq!(report["prompts"], 64);
    assert_eq!(report["predictors"].as_array().unwrap().len(), 3);
    // Every column of row 0 shows the same NSE, the one the JSON records for each predictor.
    let cells: Vec<&str> = row0.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).skip(1).collect();
    assert_eq!(cells.len(), 3, "{row0:?}");
    for (i, cell) in cells.iter().enumerate() {
        let mean = report["predictors"][i]["nse"][0]["mean"].as_f64().unwrap();
        assert!(cell.starts_with(&format!("{mean:.3} [")), "column {i}: {cell} vs {mean}");
        assert_eq!(cell, &cells[0], "k = 0: every predictor predicts 0");
    }
    for svg in ["nse.svg", "nll.svg", "coverage_50.svg", "coverage_90.svg", "pit.svg", "family.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.contains("<text"), "{svg}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn eval_rejects_bad_arguments_with_a_message() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/linear+sinusoid.safetensors");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    for (args, needle) in [
        (vec!["eval", "--mixture", "lineer", "--d", "3", "--points", "4", "--out", "/tmp/unused"], "lineer"),
        (vec!["eval", "--mixture", "linear", "--d", "3", "--points", "4", "--predictors", "nope", "--out", "/tmp/unused"], "nope"),
        (vec!["eval", "--mixture", "linear", "--d", "3", "--points", "4", "--noise", "1,0", "--out", "/tmp/unused"], "noise"),
        (vec!["eval", "--model", model, "--mixture", "linear", "--out", "/tmp/unused"], "--eval-family linear"),
        (vec!["eval", "--model", model, "--d", "2", "--out", "/tmp/unused"], "input dimension 1"),
        (vec!["eval", "--model", model, "--points", "99", "--out", "/tmp/unused"], "41 points"),
        (vec!["eval", "--mixture", "linear", "--d", "3", "--points", "4", "--out", file], "is a file"),
    ] {
        let result = incontext().args(&args).output().unwrap();
        assert!(!result.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(stderr.contains(needle), "{args:?}: '{stderr}' lacks '{needle}'");
    }
}

#[test]
fn card_refuses_a_missing_or_foreign_training_log_before_evaluating() {
    let dir = std::env::temp_dir().join(format!("incontext-card-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("m.safetensors");
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/linear+sinusoid.safetensors");
    std::fs::copy(source, &model).unwrap();
    let steps = incontext::model::read_meta(&std::fs::read(source).unwrap()).unwrap().training_steps;
    let card = |needle: &str| {
        let result = incontext().args(["card", "--model", model.to_str().unwrap(), "--train-command", "x"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success() && stderr.contains(needle), "'{stderr}' lacks '{needle}'");
    };
    card("is missing");
    std::fs::write(dir.join("m.log.csv"), "step,loss,bar_nll,family_ce,lr,grad_norm,seconds\n5,1,1,0,0.001,1,1\n").unwrap();
    card(&format!("ends at step 5 but the model was trained {steps} steps"));
    std::fs::remove_dir_all(&dir).unwrap();
}
