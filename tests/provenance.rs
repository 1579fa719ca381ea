//! Exports that are clean and say how they were made: modes from the umask (or the
//! replaced file), no temporary files left by a kill, and a record from which `rerun`
//! gives the same labels for every algorithm.

mod common;

use std::path::Path;

use common::{clusterscope, expect_error};

/// Two well-separated groups of 30 rows with 3 columns, plus a text column.
fn two_groups(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("name,a,b,c\n");
    for i in 0..60 {
        let (offset, jitter) = (if i < 30 { 0.0 } else { 10.0 }, (i * 37 % 11) as f64 / 10.0);
        text.push_str(&format!(
            "row{i},{},{},{}\n",
            offset + jitter,
            offset - jitter / 2.0,
            jitter * 0.3
        ));
    }
    let path = dir.join("groups.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn label_column(path: &Path, column: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| l.split(',').nth(index).unwrap_or("").to_string())
        .collect()
}

fn succeed(args: &[&str]) -> String {
    let output = clusterscope(args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{args:?}: {stderr}");
    stderr
}

#[test]
fn rerun_reproduces_the_labels_of_every_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_groups(dir.path());
    let input = input.to_str().unwrap();
    let algorithms = String::from_utf8(clusterscope(&["algorithms", "--json"]).stdout).unwrap();
    let algorithms: serde_json::Value = serde_json::from_str(&algorithms).unwrap();
    let ids: Vec<String> = algorithms
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    // Every algorithm that declares a seed gets one away from the default.
    let seeded: Vec<&str> = algorithms
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "seed")
        })
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        seeded.contains(&"kmeans") && seeded.contains(&"leiden"),
        "{seeded:?}"
    );
    assert!(ids.len() >= 9, "{ids:?}");
    for id in &ids {
        // Scaled, with a seed away from the default and the density radius set, so the
        // record has to carry them.
        let mut flags = vec!["--algo", id.as_str(), "--scale", "standard"];
        if seeded.contains(&id.as_str()) {
            flags.extend(["--seed", "7"]);
        }
        if [
            "kmeans",
            "minibatch-kmeans",
            "kmedoids",
            "clara",
            "clarans",
            "agglomerative",
            "divisive",
            "genie",
            "gmm",
            "spectral",
        ]
        .contains(&id.as_str())
        {
            flags.extend(["--k", "2"]);
        }
        if id == "dbscan" {
            flags.extend(["--eps", "0.8"]);
        }
        let path = |name: String| dir.path().join(name);
        let run = |out: &Path| {
            let mut args = vec!["cluster", input, "--out", out.to_str().unwrap()];
            args.extend(&flags);
            succeed(&args);
        };
        let rerun = |exported: &Path, out: &Path| {
            succeed(&[
                "rerun",
                exported.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
        };
        let (csv, csv_again) = (path(format!("{id}.csv")), path(format!("{id}_again.csv")));
        run(&csv);
        rerun(&csv, &csv_again);
        let labels = label_column(&csv, "cluster");
        assert_eq!(
            labels,
            label_column(&csv_again, "cluster"),
            "{id}: rerun labels"
        );
        assert!(
            labels.iter().any(|l| l == "1"),
            "{id}: two clusters at least: {labels:?}"
        );
        let record: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(path(format!("{id}.csv.clusterscope.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(record["algorithm"], id.as_str());
        assert_eq!(record["made_by"], "cluster");
        assert_eq!(record["input"]["file"], "groups.csv");
        assert_eq!(record["input"]["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(record["columns"], serde_json::json!(["a", "b", "c"]));
        assert_eq!(record["scaling"], "Standardize");
        assert_eq!(record["rows_used"], 60);
        assert!(record["created"].as_str().unwrap().ends_with('Z'));
        if record["params"].get("seed").is_some() {
            assert_eq!(record["seed"], 7, "{id}");
        }
        // A Parquet export carries the record inside (no sidecar); its rerun gives the
        // same labels.
        let (parquet, from_parquet) = (
            path(format!("{id}.parquet")),
            path(format!("{id}_from_parquet.csv")),
        );
        run(&parquet);
        assert!(!path(format!("{id}.parquet.clusterscope.json")).exists());
        rerun(&parquet, &from_parquet);
        assert_eq!(
            labels,
            label_column(&from_parquet, "cluster"),
            "{id}: Parquet rerun"
        );
    }
}

#[test]
fn rerun_refuses_a_changed_input_and_an_export_without_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_groups(dir.path());
    let out = dir.path().join("out.csv");
    succeed(&[
        "cluster",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--k",
        "2",
    ]);
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("extra,1,2,3\n");
    std::fs::write(&input, text).unwrap();
    let again = dir.path().join("again.csv");
    let message = expect_error(&[
        "rerun",
        out.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(
        message.contains("has changed since the export was made"),
        "{message}"
    );
    assert!(!again.exists());
    std::fs::remove_file(dir.path().join("out.csv.clusterscope.json")).unwrap();
    let message = expect_error(&[
        "rerun",
        out.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(message.contains("no record of how"), "{message}");
}

#[cfg(unix)]
#[test]
fn export_modes_follow_the_umask_and_the_replaced_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = two_groups(dir.path());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for (umask, expected) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out = dir.path().join(format!("umask{umask}.csv"));
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && exec \"$0\" cluster \"$1\" --out \"$2\" --k 2"
            ))
            .arg(env!("CARGO_BIN_EXE_clusterscope"))
            .arg(&input)
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(mode(&out), expected, "umask {umask}");
        let sidecar = dir
            .path()
            .join(format!("umask{umask}.csv.clusterscope.json"));
        assert_eq!(mode(&sidecar), expected, "umask {umask}: the record");
    }
    // Replacing a file keeps its mode, whatever the umask.
    let out = dir.path().join("replaced.csv");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    succeed(&[
        "cluster",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--k",
        "2",
    ]);
    assert_eq!(mode(&out), 0o640);
}

#[cfg(unix)]
#[test]
fn a_killed_export_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough that the write takes a while: 400k rows.
    let mut text = String::from("a,b\n");
    for i in 0..400_000u32 {
        text.push_str(&format!("{},{}\n", i % 1000, i % 7));
    }
    let input = dir.path().join("big.csv");
    std::fs::write(&input, text).unwrap();
    let temporaries = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".clusterscope-export-")
            })
            .count()
    };
    // A stale one from a process that is gone (SIGKILL cannot be caught) is cleared by
    // the next export into the folder.
    std::fs::write(
        dir.path().join(".clusterscope-export-99999999-stale.tmp"),
        vec![0u8; 1024],
    )
    .unwrap();
    let out = dir.path().join("out.parquet");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clusterscope"))
        .args([
            "cluster",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--k",
            "3",
        ])
        .spawn()
        .unwrap();
    // Kill it as soon as its temporary file appears (or when it is done).
    let started = std::time::Instant::now();
    let mut saw_temporary = false;
    while started.elapsed() < std::time::Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let stale_gone = !dir
            .path()
            .join(".clusterscope-export-99999999-stale.tmp")
            .exists();
        if stale_gone && temporaries(dir.path()) > 0 {
            saw_temporary = true;
            unsafe_kill(child.id(), 15);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let status = child.wait().unwrap();
    assert!(saw_temporary, "the export was caught while writing");
    assert_eq!(temporaries(dir.path()), 0, "no temporary left");
    if saw_temporary {
        assert!(!status.success());
        // The signal can land just after the rename: then the output is whole. What must
        // never be there is a partial one.
        if out.exists() {
            let written = clusterscope::data::read_table(&out).expect("a whole file");
            assert_eq!(
                written.height(),
                400_000,
                "a killed export leaves no partial output"
            );
        }
    }
}

/// SIGTERM through `kill` (no libc dependency in the tests).
#[cfg(unix)]
fn unsafe_kill(pid: u32, signal: i32) {
    std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
}
