//! `incontext reproduce`: every committed toy-scale result (`docs/results/quick/<E>.json`, its
//! `.md` and its figures) is regenerated bit-identically by the command the JSON records; the
//! recorded numbers agree with closed forms where there are some; bad arguments fail clearly.

use std::path::{Path, PathBuf};
use std::process::Command;

fn incontext() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_incontext"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/results/quick")
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn quick_results_are_regenerated_bit_identically_by_their_recorded_commands() {
    let mut jsons: Vec<PathBuf> = std::fs::read_dir(committed())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    jsons.sort();
    let ids: Vec<String> = jsons.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(ids, ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"]);
    let out = std::env::temp_dir().join(format!("incontext-reproduce-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for json in &jsons {
        let value = read_json(json);
        let command = value["command"].as_str().unwrap();
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(&args[..2], ["incontext", "reproduce"], "{command}");
        assert!(args.contains(&"--quick"), "{command}");
        // The models go to <out>/models, shared by the commands: each is trained once.
        let result = incontext().args(&args[1..]).arg("--out").arg(&out).output().unwrap();
        assert!(result.status.success(), "{command}: {}", String::from_utf8_lossy(&result.stderr));
        let id = value["experiment"].as_str().unwrap();
        let mut files = vec![format!("{id}.json"), format!("{id}.md")];
        files.extend(value["figures"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()));
        assert!(files.contains(&format!("{id}.svg")), "{id} has no main figure");
        for name in files {
            let (new, old) = (std::fs::read(out.join(&name)).unwrap(), std::fs::read(committed().join(&name)).unwrap());
            assert!(new == old, "{name} is not regenerated bit-identically by `{command}`");
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
}

/// The `(name, nse means)` of every predictor of panel `i` of a results JSON.
fn nse_means(value: &serde_json::Value, panel: usize) -> Vec<(String, Vec<f64>)> {
    value["panels"][panel]["report"]["predictors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["nse"].as_array().unwrap().iter().map(|e| e["mean"].as_f64().unwrap()).collect()))
        .collect()
}

#[test]
fn quick_results_record_every_size_and_agree_with_closed_forms() {
    let e1 = read_json(&committed().join("E1.json"));
    let model = &e1["models"][0];
    assert_eq!(model["name"], "e1-linear");
    assert_eq!(model["steps_trained"], 40);
    assert_eq!(model["config"]["steps"], 40);
    assert_eq!(model["config"]["seed"], 1);
    assert_eq!(model["architecture"]["n_dims"], 5);
    assert_eq!(e1["prompts"], 32);
    let series = nse_means(&e1, 0);
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["e1-linear", "least_squares(intercept)", "knn(k=3)", "averaging", "bayes"]);
    // With no context every baseline predicts 0, so their NSE(0) are equal (the same prompts).
    let zero = series[1].1[0];
    for (name, nse) in &series[1..] {
        assert_eq!(nse[0], zero, "{name}");
    }
    // Noiseless lines with an intercept in d = 5: least squares with an intercept has d + 1 = 6
    // unknowns, so it is exact from k = 6 context points on.
    for k in 6..series[1].1.len() {
        assert!(series[1].1[k] < 1e-12, "least squares NSE({k}) = {}", series[1].1[k]);
    }
    // E6's α = 1 is the pure linear family (1-D lines with an intercept): least squares with an
    // intercept is exact there from k = d + 1 = 2 on.
    let e6 = read_json(&committed().join("E6.json"));
    let last = e6["panels"].as_array().unwrap().iter().position(|p| p["label"] == "e6-linear+sinusoid-1d: α = 1").unwrap();
    let ls = nse_means(&e6, last).into_iter().find(|(n, _)| n == "least_squares(intercept)").unwrap().1;
    assert!(ls[1] > 1e-3 && ls[2..].iter().all(|&v| v < 1e-12), "{ls:?}");
}

#[test]
fn unknown_experiments_are_rejected_with_the_known_ones() {
    let out = std::env::temp_dir().join(format!("incontext-reproduce-bad-{}", std::process::id()));
    let result = incontext().args(["reproduce", "E9", "--quick", "--out"]).arg(&out).output().unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("unknown experiment 'E9'") && stderr.contains("E1, E2"), "{stderr}");
    assert!(!out.exists());
}
