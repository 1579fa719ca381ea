//! Input that would crash or lie: every case ends in a clear error naming the file,
//! column or flag (or a warning and a correct result), never a panic, an abort, a hang or
//! a silent wrong answer, and never a stray output file.

mod common;

use std::path::Path;

use common::{clusterscope, expect_error};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.path().join(name).display().to_string()
    }

    /// The files in the folder, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }
}

/// Runs `cluster` on `input` with `extra`, which must fail mentioning `expected`, write
/// nothing and leave the input as it was.
fn refused(dir: &Dir, input: &str, extra: &[&str], expected: &str) {
    // (Only regular files are read back: reading a FIFO would block the test.)
    let regular = std::fs::metadata(input).is_ok_and(|m| m.is_file());
    let read = |path: &str| regular.then(|| std::fs::read(path).ok()).flatten();
    let before = read(input);
    let listing = dir.listing();
    let out = dir.path("out.csv");
    let mut args = vec!["cluster", input, "--out", out.as_str()];
    args.extend_from_slice(extra);
    let stderr = expect_error(&args);
    assert!(
        stderr.contains(expected),
        "{extra:?}: expected '{expected}' in {stderr}"
    );
    assert_eq!(dir.listing(), listing, "{extra:?}: nothing written");
    assert_eq!(read(input), before, "the input is untouched");
}

#[test]
fn values_whose_distances_overflow_are_refused_with_column_and_row() {
    let dir = Dir::new();
    // Beyond f32 altogether, and within f32 but with squares beyond it.
    let beyond = dir.file("beyond.csv", b"a,b\n1,2\n1e39,3\n4,5\n");
    refused(&dir, &beyond, &["--k", "2"], "column 'a', row 1");
    let squares = dir.file("squares.csv", b"a,b\n1e20,1\n2e20,3\n4,5\n5,6\n");
    refused(
        &dir,
        &squares,
        &["--k", "2"],
        "squared distances would overflow",
    );
    // Scaled, the same values are fine.
    let out = dir.path("scaled.csv");
    let output = clusterscope(&[
        "cluster",
        &squares,
        "--k",
        "2",
        "--scale",
        "standard",
        "--out",
        &out,
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        summary["inertia"].as_f64().is_some_and(f64::is_finite),
        "{summary}"
    );
}

#[test]
fn values_whose_distances_underflow_are_refused_unless_scaled() {
    let dir = Dir::new();
    // Rows 1e-30 apart: their squared distances are 0 in f32, so every pair would tie
    // and the tree and its clusters would be arbitrary.
    let tiny = dir.file(
        "tiny.csv",
        b"a,b\n1e-30,0\n1.1e-30,0\n5e-30,1e-31\n5.2e-30,1e-31\n",
    );
    for flags in [
        ["--algo", "genie", "--k", "2"],
        ["--algo", "kmeans", "--k", "2"],
        ["--algo", "dbscan", "--eps", "1e-30"],
    ] {
        refused(&dir, &tiny, &flags, "would underflow 32-bit floats");
    }
    let out = dir.path("scaled.csv");
    common::expect_success(&[
        "cluster", &tiny, "--algo", "genie", "--k", "2", "--scale", "minmax", "--out", &out,
    ]);
    let labels: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().to_string())
        .collect();
    assert_eq!(labels[0], labels[1]);
    assert_eq!(labels[2], labels[3]);
    assert_ne!(labels[0], labels[2]);
}

#[test]
fn missing_value_texts_are_missing_not_text() {
    let dir = Dir::new();
    let input = dir.file(
        "gaps.csv",
        b"a,b\n1,2\n2,3\nnan,4\nNA,5\n3,null\n4,5\nN/A,1\n5,6\n",
    );
    let out = dir.path("out.csv");
    let output = clusterscope(&[
        "cluster",
        &input,
        "--k",
        "2",
        "--out",
        &out,
        "--summary-json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Both columns are numeric (nothing silently dropped); the 4 incomplete rows are left
    // out, counted, and get an empty cluster.
    assert!(stderr.contains("4 of 8 rows"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_used"], 4);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written.lines().filter(|l| l.ends_with(',')).count(),
        4,
        "{written}"
    );
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let dir = Dir::new();
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    for (name, text) in [
        ("array.json", &deep_array),
        ("object.json", &deep_object),
        ("lines.ndjson", &deep_object),
    ] {
        let input = dir.file(name, text.as_bytes());
        let stderr = expect_error(&["info", &input]);
        assert!(
            stderr.contains("nested deeper") && stderr.contains(name),
            "{stderr}"
        );
    }
    // Brackets inside strings do not count.
    let input = dir.file(
        "strings.json",
        format!("[{{\"a\": 1, \"s\": \"{}\"}}]", "[".repeat(5000)).as_bytes(),
    );
    let output = clusterscope(&["info", &input]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn files_that_are_not_tables_are_refused_by_name() {
    let dir = Dir::new();
    let cases: Vec<(String, &str)> = vec![
        (dir.file("empty.csv", b""), "empty.csv"),
        (dir.file("header.csv", b"a,b\n"), "no rows"),
        (
            dir.file("text.csv", b"name,city\nann,oslo\nbob,rome\n"),
            "no numeric column",
        ),
        (
            dir.file("noise.parquet", b"PAR1 this is not parquet"),
            "noise.parquet",
        ),
        (dir.file("noise.npy", b"\x93NUMPY garbage"), "noise.npy"),
        (dir.file("noise.arrow", &[0u8; 64]), "noise.arrow"),
        (dir.file("table.xyz", b"a\n1\n"), "unsupported file type"),
        (dir.path("missing.csv"), "missing.csv"),
    ];
    for (input, expected) in cases {
        refused(&dir, &input, &["--k", "2"], expected);
    }
    // A folder and a FIFO (which would block a reader forever).
    let folder = dir.path("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    refused(&dir, &folder, &["--k", "2"], "is a directory");
    #[cfg(unix)]
    {
        let fifo = dir.path("fifo.csv");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            refused(&dir, &fifo, &["--k", "2"], "not a regular file");
        }
    }
}

fn demo() -> String {
    clusterscope::app::demo_table_path().display().to_string()
}

/// A clean table (no missing values, so no warning before the error).
fn table(dir: &Dir, rows: usize) -> String {
    let text: String = std::iter::once("a,b\n".to_string())
        .chain((0..rows).map(|i| format!("{},{}\n", (i * 37) % 101, (i * 53) % 97)))
        .collect();
    dir.file("table.csv", text.as_bytes())
}

#[test]
fn counts_far_beyond_the_rows_end_in_errors_or_in_all_noise() {
    let dir = Dir::new();
    let input = table(&dir, 300);
    let huge = "18446744073709551615";
    refused(&dir, &input, &["--k", huge], "exceeds the 300 usable rows");
    refused(
        &dir,
        &input,
        &["--algo", "kmedoids", "--k", "1000000000000"],
        "exceeds the 300",
    );
    refused(
        &dir,
        &input,
        &["--algo", "optics", "--min-points", huge],
        "--min-points",
    );
    refused(
        &dir,
        &input,
        &["--algo", "agglomerative", "--k", huge],
        "only 300 points",
    );
    refused(&dir, &input, &["--k", "-3"], "invalid value '-3'");
    refused(
        &dir,
        &input,
        &["--k", "3", "--max-iter", "99999999999999999999999"],
        "--max-iter",
    );
    // DBSCAN (as scikit-learn) and HDBSCAN take any count: with more than there are,
    // every point is noise.
    for args in [
        vec!["--algo", "dbscan", "--eps", "5", "--min-points", huge],
        vec!["--algo", "hdbscan", "--min-samples", huge],
        vec!["--algo", "hdbscan", "--min-cluster-size", huge],
    ] {
        let out = dir.path("noise.csv");
        let mut all = vec![
            "cluster",
            input.as_str(),
            "--out",
            out.as_str(),
            "--summary-json",
        ];
        all.extend(args.iter().copied());
        let output = clusterscope(&all);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["n_noise"], 300, "{args:?}: {summary}");
    }
}

#[test]
fn non_finite_parameters_are_refused_by_flag() {
    let dir = Dir::new();
    let input = table(&dir, 50);
    refused(&dir, &input, &["--algo", "dbscan", "--eps", "nan"], "--eps");
    refused(&dir, &input, &["--algo", "dbscan", "--eps", "inf"], "--eps");
    refused(&dir, &input, &["--k", "2", "--tol", "nan"], "--tol");
    refused(&dir, &input, &["--algo", "optics", "--xi", "inf"], "--xi");
    refused(
        &dir,
        &input,
        &["--algo", "divisive", "--distance", "-inf"],
        "--distance",
    );
}

#[test]
fn work_larger_than_the_machine_is_refused_with_the_estimate() {
    if ::clusterscope::memory::available_bytes().is_none() {
        return;
    }
    let dir = Dir::new();
    // 100,000 points of complete linkage need a 37 GiB matrix, whatever the budget says.
    let input = table(&dir, 100_000);
    refused(
        &dir,
        &input,
        &[
            "--algo",
            "agglomerative",
            "--linkage",
            "complete",
            "--k",
            "3",
            "--memory-budget-mb",
            "100000000",
        ],
        "more than the",
    );
    refused(
        &dir,
        &input,
        &[
            "--algo",
            "kmedoids",
            "--k",
            "3",
            "--backend",
            "cpu",
            "--memory-budget-mb",
            "100000000",
        ],
        "more than the",
    );
    for args in [
        vec!["bench", "kmeans", "--n", "1000000", "--d", "100000"],
        vec!["bench", "segment", "--size", "60000"],
        vec![
            "bench",
            "run",
            "--algo",
            "kmeans",
            "--k",
            "2",
            "--n",
            "100000000000",
            "--d",
            "2",
        ],
    ] {
        let stderr = expect_error(&args);
        assert!(
            stderr.contains("more than the") && stderr.contains("GiB"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn segment_outputs_are_checked_before_any_work() {
    let dir = Dir::new();
    let image = image::RgbImage::from_fn(40, 30, |x, _| image::Rgb([(x * 6) as u8, 80, 120]));
    let input = dir.path("photo.png");
    image.save(&input).unwrap();
    let listing = dir.listing();
    for (args, expected) in [
        (vec!["--out", "mask.jpg"], "unsupported file type '.jpg'"),
        (vec!["--out", "mask.png", "--overlay", "over.jpg"], "'.jpg'"),
        (
            vec!["--out", "mask.png", "--segments", "seg.parquet"],
            "'.parquet'",
        ),
        (vec!["--out", "no/such/folder/mask.png"], "does not exist"),
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains('.') {
                    dir.path(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let mut all = vec!["segment".to_string(), input.clone()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let stderr = expect_error(&all);
        assert!(stderr.contains(expected), "{all:?}: {stderr}");
        assert_eq!(
            dir.listing(),
            listing,
            "{all:?}: no mask written before the refusal"
        );
    }
}

#[test]
fn an_automatic_run_prints_no_adapter_probe_noise() {
    let dir = Dir::new();
    let input = table(&dir, 60);
    let out = dir.path("out.csv");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clusterscope"))
        .args(["cluster", &input, "--k", "2", "--out", &out])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WGPU_BACKEND")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stderr.contains("XDG_RUNTIME_DIR") && !stderr.contains("ERROR"),
        "{stderr}"
    );
}

#[test]
fn the_demo_table_clusters_without_warnings_about_labels() {
    let dir = Dir::new();
    let out = dir.path("out.csv");
    let output = clusterscope(&["cluster", &demo(), "--k", "3", "--out", &out]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && !stderr.contains("looks like"),
        "{stderr}"
    );
    // A label column is used when asked for, with a warning.
    let input = dir.file(
        "labelled.csv",
        (0..60)
            .map(|i| format!("{},{},{}\n", i % 7, i % 11, i % 3))
            .fold("x,y,label\n".to_string(), |acc, l| acc + &l)
            .as_bytes(),
    );
    let output = clusterscope(&["cluster", &input, "--k", "3", "--out", &out]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("column 'label'") && stderr.contains("--columns"),
        "{stderr}"
    );
    let _ = Path::new(&out);
}

#[test]
fn more_clusters_than_distinct_points_warns_and_numbers_what_is_there() {
    let dir = Dir::new();
    // Three distinct points, 4 + 2 + 1 rows; k-means and k-medoids asked for 5.
    let input = dir.file("three.csv", b"x,y\n0,0\n0,0\n0,0\n0,0\n5,5\n5,5\n9,0\n");
    for algo in ["kmeans", "kmedoids"] {
        let out = dir.path(&format!("{algo}.csv"));
        let output = clusterscope(&[
            "cluster",
            &input,
            "--algo",
            algo,
            "--k",
            "5",
            "--out",
            &out,
            "--summary-json",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{algo}: {stderr}");
        if algo == "kmeans" {
            assert!(
                stderr.contains("5 clusters were asked for but only 3 have points"),
                "{algo}: {stderr}"
            );
            let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(summary["n_clusters"], 3, "{algo}");
        }
        // Ids by size: the 4 rows are cluster 0, the 2 rows cluster 1, the last cluster 2.
        let text = std::fs::read_to_string(&out).unwrap();
        let labels: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap())
            .collect();
        if algo == "kmeans" {
            assert_eq!(labels, ["0", "0", "0", "0", "1", "1", "2"], "{algo}");
        } else {
            // k-medoids must place 5 distinct medoids among 3 distinct points: two of the
            // duplicates become singleton clusters; still 0..k−1 by size.
            let mut ids: Vec<u32> = labels.iter().map(|l| l.parse().unwrap()).collect();
            let first = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids,
                (0..ids.len() as u32).collect::<Vec<_>>(),
                "{algo}: {first:?}"
            );
        }
    }
}

/// A delimited file ending inside a quoted field: polars 0.55 reads past its buffer when the
/// last byte opens a field (found by tests/fuzz.rs) and drops the last row when a longer
/// quoted field runs to the end. Both are refused with the line, before polars sees them;
/// gzip'd files are checked after decompression.
#[test]
fn files_ending_inside_a_quoted_field_are_refused_with_the_line() {
    let dir = Dir::new();
    for (name, contents, line) in [
        ("lone.csv", &b"a,b\n1,2\n3,4\n\""[..], 4),
        ("last.csv", b"a,b\n1,2\n3,\"", 3),
        ("row.csv", b"a,b\n1,2\n3,\"4", 3),
        ("early.tsv", b"a\tb\n\"1\t2\n3\t4\n", 2),
    ] {
        let input = dir.file(name, contents);
        refused(
            &dir,
            &input,
            &["--k", "2"],
            &format!("the quoted field opened on line {line} is never closed"),
        );
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"a,b\n1,2\n\"").unwrap();
    let input = dir.file("lone.csv.gz", &gz.finish().unwrap());
    refused(&dir, &input, &["--k", "2"], "never closed");
    // Quoted fields that close, with escaped quotes or empty, still read.
    let input = dir.file(
        "fine.csv",
        b"a,b,name\n1,2,\"x, \"\"y\"\"\"\n3,4,plain\n5,6,\"\"\n",
    );
    let out = dir.path("fine_out.csv");
    let output = clusterscope(&["cluster", &input, "--k", "2", "--out", &out]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
}
