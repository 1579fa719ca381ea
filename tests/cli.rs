//! The command line as users and our result checks call it.

use std::path::{Path, PathBuf};
mod common;
use common::{clusterscope, expect_error};

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo.csv")
        .display()
        .to_string()
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn cluster_writes_every_column_plus_cluster_and_a_summary() {
    let dir = temp_dir();
    let out = dir.path().join("out.csv");
    let output = clusterscope(&[
        "cluster",
        &demo(),
        "--algo",
        "kmeans",
        "--k",
        "5",
        "--scale",
        "standard",
        "--backend",
        "cpu",
        "--seed",
        "42",
        "--max-iter",
        "300",
        "--tol",
        "1e-4",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for field in [
        "algo",
        "backend",
        "adapter",
        "n_rows",
        "n_used",
        "n_clusters",
        "iterations",
        "converged",
        "inertia",
        "elapsed_ms",
    ] {
        assert!(
            summary.get(field).is_some(),
            "summary lacks {field}: {summary}"
        );
    }
    assert_eq!(summary["algo"], "kmeans");
    assert_eq!(summary["backend"], "cpu");
    assert_eq!(summary["n_rows"], 3000);
    assert_eq!(summary["n_used"], 3000 - 7);
    assert_eq!(summary["n_clusters"], 5);
    assert!(stderr.contains("7 of 3000 rows"), "{stderr}");

    let rows = read_csv(&out);
    assert_eq!(
        rows[0],
        [
            "region",
            "age",
            "income_k",
            "annual_spend_k",
            "visits_per_month",
            "tenure_years",
            "cluster"
        ]
    );
    assert_eq!(rows.len(), 3001, "every row is kept");
    let missing: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[2].is_empty()).collect();
    assert_eq!(missing.len(), 7);
    assert!(
        missing.iter().all(|r| r[6].is_empty()),
        "left-out rows get a null cluster"
    );
    let labels: std::collections::BTreeSet<&str> = rows[1..]
        .iter()
        .filter(|r| !r[2].is_empty())
        .map(|r| r[6].as_str())
        .collect();
    assert_eq!(labels.len(), 5);
}

#[test]
fn columns_option_label_column_and_parquet_output() {
    let dir = temp_dir();
    let input = write(
        dir.path(),
        "in.csv",
        "a,b,name,cluster\n0,0,x,7\n0,1,y,7\n10,10,z,7\n10,11,w,7\n",
    );
    let out = dir.path().join("out.parquet");
    let output = clusterscope(&[
        "cluster",
        input.to_str().unwrap(),
        "--algo",
        "kmeans",
        "--k",
        "2",
        "--columns",
        "a,b",
        "--backend",
        "cpu",
        "--label-column",
        "segment",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        (summary["inertia"].as_f64().unwrap() - 1.0).abs() < 1e-6,
        "{summary}"
    );
    let info = clusterscope(&["info", out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("rows: 4") && text.contains("segment") && text.contains("i32"),
        "{text}"
    );
}

#[test]
fn existing_label_column_asks_for_another_name() {
    let dir = temp_dir();
    let input = write(dir.path(), "in.csv", "a,cluster\n1,0\n2,0\n3,1\n");
    let out = dir.path().join("out.csv");
    let stderr = expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--k",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("'cluster'") && stderr.contains("--label-column"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn info_lists_rows_columns_types_and_nulls() {
    let output = clusterscope(&["info", &demo()]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("rows: 3000"), "{text}");
    assert!(text.contains("columns: 6"), "{text}");
    let income = text.lines().find(|l| l.contains("income_k")).unwrap();
    assert!(
        income.contains("f64") && income.trim_end().ends_with('7'),
        "{income}"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = temp_dir();
    let d = dir.path();
    let out = d.join("out.csv");
    let out = out.to_str().unwrap();
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (write(d, "empty.csv", ""), vec![], "empty.csv"),
        (write(d, "header.csv", "a,b\n"), vec![], "no rows"),
        (
            write(d, "text.csv", "name,city\nx,y\nz,w\n"),
            vec![],
            "no numeric column",
        ),
        (
            write(d, "ragged.csv", "a,b\n1,2\n3,4,5,6\n7,8\n"),
            vec![],
            "ragged.csv",
        ),
        (
            write(d, "nan.csv", "a,b\nNaN,inf\nnan,-inf\n"),
            vec![],
            "NaN",
        ),
        (
            write(d, "ok.csv", "a,b\n1,2\n3,4\n5,6\n"),
            vec!["--columns", "a,zzz"],
            "'zzz'",
        ),
        (
            write(d, "data.docx", "a,b\n1,2\n"),
            vec![],
            "unsupported file type '.docx'",
        ),
        (
            write(d, "data.xlsx", "a,b\n1,2\n"),
            vec![],
            "not a readable workbook",
        ),
        (
            write(d, "few.csv", "a,b\n1,2\n3,4\n"),
            vec!["--k", "5"],
            "exceeds the 2 usable rows",
        ),
    ];
    for (input, extra, expected) in cases {
        let mut args = vec![
            "cluster",
            input.to_str().unwrap(),
            "--algo",
            "kmeans",
            "--out",
            out,
        ];
        if !extra.contains(&"--k") {
            args.extend(["--k", "2"]);
        }
        args.extend(extra.iter().copied());
        let stderr = expect_error(&args);
        assert!(
            stderr.contains(expected),
            "{input:?}: expected '{expected}' in: {stderr}"
        );
    }
    let missing = expect_error(&["info", d.join("missing.csv").to_str().unwrap()]);
    assert!(missing.contains("missing.csv"), "{missing}");
}

#[test]
fn bad_parameters_name_the_parameter() {
    let dir = temp_dir();
    let out = dir.path().join("out.csv");
    let out = out.to_str().unwrap();
    let demo = demo();
    for (args, expected) in [
        (vec!["--k", "0"], "k (n_clusters) cannot be 0"),
        (vec!["--k", "3", "--tol", "-1"], "tol (tolerance)"),
        (vec!["--k", "3", "--max-iter", "0"], "max-iter"),
    ] {
        let mut all = vec!["cluster", demo.as_str(), "--out", out];
        all.extend(args);
        let stderr = expect_error(&all);
        assert!(
            stderr.contains(expected),
            "expected '{expected}' in: {stderr}"
        );
    }
    let stderr = expect_error(&[
        "cluster",
        &demo,
        "--k",
        "3",
        "--out",
        &dir.path().join("x.json").display().to_string(),
    ]);
    assert!(stderr.contains("unsupported file type '.json'"), "{stderr}");
}

#[test]
fn refuses_to_overwrite_the_input_and_leaves_it_untouched() {
    let dir = temp_dir();
    let input = write(dir.path(), "data.csv", "a,b\n1,2\n3,4\n5,6\n");
    let before = std::fs::read(&input).unwrap();
    let stderr = expect_error(&[
        "cluster",
        input.to_str().unwrap(),
        "--k",
        "2",
        "--out",
        input.to_str().unwrap(),
    ]);
    assert!(stderr.contains("overwrite the input"), "{stderr}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}

#[test]
fn npy_json_and_tsv_inputs_are_read() {
    let dir = temp_dir();
    // A little-endian float64 2-D .npy: 4 rows × 2 columns.
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }";
    let mut header = header.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in [0.0f64, 0.0, 0.0, 1.0, 10.0, 10.0, 10.0, 11.0] {
        bytes.extend(v.to_le_bytes());
    }
    let npy = dir.path().join("m.npy");
    std::fs::write(&npy, bytes).unwrap();
    let json = write(
        dir.path(),
        "m.json",
        r#"[{"x":0,"y":0},{"x":0,"y":1},{"x":10,"y":10},{"x":10,"y":11}]"#,
    );
    let ndjson = write(
        dir.path(),
        "m.ndjson",
        "{\"x\":0,\"y\":0}\n{\"x\":0,\"y\":1}\n{\"x\":10,\"y\":10}\n{\"x\":10,\"y\":11}\n",
    );
    let tsv = write(dir.path(), "m.tsv", "x\ty\n0\t0\n0\t1\n10\t10\n10\t11\n");
    for input in [npy, json, ndjson, tsv] {
        let out = dir.path().join("out.csv");
        let output = clusterscope(&[
            "cluster",
            input.to_str().unwrap(),
            "--k",
            "2",
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
        ]);
        assert!(
            output.status.success(),
            "{input:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            (summary["inertia"].as_f64().unwrap() - 1.0).abs() < 1e-6,
            "{input:?}: {summary}"
        );
    }
}

#[test]
fn gpu_backend_runs_through_the_cli() {
    let dir = temp_dir();
    let out = dir.path().join("out.csv");
    let output = clusterscope(&[
        "cluster",
        &demo(),
        "--k",
        "4",
        "--backend",
        "gpu",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["backend"], "gpu");
    assert!(!summary["adapter"].as_str().unwrap().is_empty());
}

#[test]
fn bench_prints_seconds_per_iteration() {
    let output = clusterscope(&[
        "bench",
        "kmeans",
        "--n",
        "20000",
        "--d",
        "4",
        "--k",
        "8",
        "--iterations",
        "3",
        "--backend",
        "cpu",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("seconds per Lloyd iteration"))
        .unwrap();
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(seconds > 0.0, "{line}");
}

fn ok(args: &[&str]) -> String {
    let output = clusterscope(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Excel and OpenDocument workbooks (fixtures from scripts/make_workbooks.py): the first
/// sheet with rows is read unless `--sheet` names one; numbers are numbers, "NA" and empty
/// cells are missing; the export records the sheet and `rerun` reads it again.
#[test]
fn workbooks_are_read_sheet_by_sheet() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    for book in ["book.xlsx", "book.ods"] {
        let input = fixtures.join(book).display().to_string();
        let info = ok(&["info", &input]);
        assert!(
            info.contains("sheet: customers (sheets: notes, customers, other)"),
            "{book}: {info}"
        );
        assert!(info.contains("rows: 12"), "{book}: {info}");
        let out = dir.path().join(format!("{book}.csv")).display().to_string();
        ok(&[
            "cluster",
            &input,
            "--k",
            "2",
            "--columns",
            "x,y",
            "--out",
            &out,
        ]);
        let text = std::fs::read_to_string(&out).unwrap();
        let labels: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap())
            .collect();
        // Rows 6 (no x) and 12 ("NA" y) are left out; the two groups split.
        assert_eq!(labels[5], "", "{book}");
        assert_eq!(labels[11], "", "{book}");
        let first: Vec<&str> = labels[..5].to_vec();
        let second: Vec<&str> = labels[6..11].to_vec();
        assert!(first.iter().all(|l| *l == first[0]), "{book}: {labels:?}");
        assert!(second.iter().all(|l| *l == second[0]), "{book}: {labels:?}");
        assert_ne!(first[0], second[0], "{book}");

        let other = dir
            .path()
            .join(format!("{book}.other.csv"))
            .display()
            .to_string();
        ok(&[
            "cluster", &input, "--sheet", "other", "--k", "2", "--out", &other,
        ]);
        let again = dir
            .path()
            .join(format!("{book}.again.csv"))
            .display()
            .to_string();
        ok(&["rerun", &other, "--out", &again]);
        assert_eq!(
            std::fs::read_to_string(&other).unwrap(),
            std::fs::read_to_string(&again).unwrap(),
            "{book}: rerun reads the recorded sheet"
        );
        let sidecar = std::fs::read_to_string(format!("{other}.clusterscope.json")).unwrap();
        assert!(sidecar.contains("\"sheet\": \"other\""), "{sidecar}");

        let stderr = expect_error(&["info", &input, "--sheet", "missing"]);
        assert!(
            stderr.contains("no sheet named 'missing' (sheets: notes, customers, other)"),
            "{stderr}"
        );
    }
    let stderr = expect_error(&["info", &demo(), "--sheet", "x"]);
    assert!(stderr.contains("only workbooks"), "{stderr}");
}
