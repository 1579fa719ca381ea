//! The layer picture of ARCHITECTURE.md, checked on the source: the GPU layer looks down
//! only, the window touches wgpu in one file, and every algorithm lives in its folder with
//! its shaders in `shaders/<algorithm>/`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Lines of code (comments dropped), so that prose about the layers does not count.
fn code_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap_or("").to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_gpu_layer_imports_nothing_above_it() {
    let above = [
        "cluster",
        "segment",
        "app",
        "render",
        "cli",
        "data",
        "projection",
        "outliers",
    ];
    let mut offending = Vec::new();
    for file in rust_files(&src().join("gpu")) {
        for line in code_lines(&file) {
            for layer in above {
                if line.contains(&format!("crate::{layer}")) {
                    offending.push(format!("{}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        offending.is_empty(),
        "src/gpu looks up:\n{}",
        offending.join("\n")
    );
}

#[test]
fn at_most_one_file_of_the_window_touches_wgpu() {
    let touching: Vec<PathBuf> = rust_files(&src().join("app"))
        .into_iter()
        .filter(|file| {
            code_lines(file).iter().any(|l| {
                l.contains("wgpu::") || l.contains("egui_wgpu") || l.contains("wgpu_render_state")
            })
        })
        .collect();
    assert!(
        touching.len() <= 1,
        "these window files touch wgpu: {touching:?}"
    );
    if let Some(file) = touching.first() {
        assert!(
            file.ends_with("launch.rs"),
            "{file:?} is not the file that builds the engine"
        );
    }
}

#[test]
fn the_algorithms_know_nothing_of_tables_images_drawing_or_front_ends() {
    for layer in ["cluster", "projection", "outliers"] {
        for file in rust_files(&src().join(layer)) {
            for line in code_lines(&file) {
                for above in ["data", "segment", "render", "app", "cli"] {
                    assert!(
                        !line.contains(&format!("crate::{above}")),
                        "{}: {line}",
                        file.display()
                    );
                }
            }
        }
    }
}

#[test]
fn the_scores_sit_below_the_algorithms() {
    for file in rust_files(&src().join("metrics")) {
        for line in code_lines(&file) {
            for above in [
                "cluster", "data", "segment", "render", "app", "cli", "sweep", "profile",
            ] {
                assert!(
                    !line.contains(&format!("crate::{above}")),
                    "{}: {line}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_render_layer_does_not_import_the_window() {
    for file in rust_files(&src().join("render")) {
        for line in code_lines(&file) {
            assert!(!line.contains("crate::app"), "{}: {line}", file.display());
        }
    }
}

#[test]
fn every_shader_lives_in_a_folder_named_for_its_algorithm() {
    let shaders = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for entry in std::fs::read_dir(&shaders).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            path.is_dir(),
            "{path:?}: shaders go in shaders/<algorithm>/"
        );
    }
    // And each algorithm's GPU passes are named after it.
    for info in clusterscope::cluster::infos() {
        for pass in info.gpu_passes {
            let family = pass.label.split("::").next().unwrap();
            assert!(
                shaders.join(family).is_dir(),
                "{}: pass {} has no shaders/{family}/",
                info.id,
                pass.label
            );
        }
    }
    for detector in clusterscope::outliers::DETECTORS {
        for pass in detector.info().gpu_passes {
            let family = pass.label.split("::").next().unwrap();
            assert!(
                shaders.join(family).is_dir(),
                "{}: pass {} has no shaders/{family}/",
                detector.info().id,
                pass.label
            );
        }
    }
}
