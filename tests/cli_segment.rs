//! `clusterscope segment` as users and result checks call it: outputs, bad images, the
//! source left untouched.

use std::path::{Path, PathBuf};

use image::{ImageBuffer, Rgb, RgbImage};

mod common;
use common::{clusterscope, expect_error};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 90 × 60 image: three vertical bands of flat colour with a little noise.
fn bands(dir: &Path) -> PathBuf {
    let image = RgbImage::from_fn(90, 60, |x, y| {
        let jitter = ((x * 7 + y * 13) % 5) as u8;
        match x / 30 {
            0 => Rgb([200 + jitter, 30, 30]),
            1 => Rgb([30, 180 + jitter, 40]),
            _ => Rgb([20, 30, 190 + jitter]),
        }
    });
    let file = dir.join("bands.png");
    image.save(&file).unwrap();
    file
}

#[test]
fn segment_writes_mask_overlay_table_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let input = bands(dir.path());
    let before = std::fs::read(&input).unwrap();
    let (mask, overlay, table) = (
        dir.path().join("mask.png"),
        dir.path().join("overlay.png"),
        dir.path().join("segments.csv"),
    );
    let output = clusterscope(&[
        "segment",
        path(&input),
        "--algo",
        "kmeans",
        "--k",
        "3",
        "--space",
        "lab",
        "--spatial-weight",
        "0.0",
        "--seed",
        "42",
        "--out",
        path(&mask),
        "--overlay",
        path(&overlay),
        "--segments",
        path(&table),
        "--summary-json",
        "--backend",
        "cpu",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_segments"], 3);
    assert_eq!(summary["width"], 90);
    assert_eq!(summary["mask_bits"], 8);
    let mask = image::open(&mask).unwrap();
    assert_eq!(mask.color(), image::ColorType::L8);
    let mask = mask.to_luma8();
    // One id per band, the bands distinct.
    let ids: Vec<u8> = (0..3).map(|b| mask.get_pixel(b * 30 + 15, 30)[0]).collect();
    for (x, y, p) in mask.enumerate_pixels() {
        assert_eq!(p[0], ids[(x / 30) as usize], "pixel {x},{y}");
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    let overlay = image::open(&overlay).unwrap();
    assert_eq!((overlay.width(), overlay.height()), (90, 60));
    let csv = std::fs::read_to_string(&table).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("segment,pixel_count,mean_r,mean_g,mean_b,centroid_x"));
    assert_eq!(lines.len(), 4);
    let red = lines
        .iter()
        .find(|l| l.starts_with(&format!("{},", ids[0])))
        .unwrap();
    let fields: Vec<&str> = red.split(',').collect();
    assert_eq!(fields[1], "1800");
    assert_eq!(&fields[7..], ["0", "0", "29", "59"]);
    assert_eq!(fields[5], "15.000");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the source image changed"
    );
}

#[test]
fn many_superpixels_give_a_16_bit_mask() {
    let dir = tempfile::tempdir().unwrap();
    let input = bands(dir.path());
    let mask = dir.path().join("mask.png");
    let output = clusterscope(&[
        "segment",
        path(&input),
        "--algo",
        "slic",
        "--k",
        "1000",
        "--out",
        path(&mask),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let n = summary["n_segments"].as_u64().unwrap();
    assert!(n > 256, "{n}");
    assert_eq!(summary["mask_bits"], 16);
    let mask = image::open(&mask).unwrap();
    assert_eq!(mask.color(), image::ColorType::L16);
    let max = mask.to_luma16().pixels().map(|p| p[0]).max().unwrap();
    assert_eq!(max as u64, n - 1);
}

#[test]
fn sixteen_bit_tiff_is_read_at_full_depth() {
    let dir = tempfile::tempdir().unwrap();
    // Two halves 1/65535 apart in 8-bit terms would be equal; at 16 bits they differ.
    let image: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([30_000; 3])
        } else {
            Rgb([30_100; 3])
        }
    });
    let input = dir.path().join("deep.tiff");
    image.save(&input).unwrap();
    let mask = dir.path().join("mask.png");
    let output = clusterscope(&[
        "segment",
        path(&input),
        "--k",
        "2",
        "--out",
        path(&mask),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["bits"], 16);
    let mask = image::open(&mask).unwrap().to_luma8();
    assert_ne!(mask.get_pixel(5, 5), mask.get_pixel(35, 5));
}

/// CRC-32 (PNG's) of a chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn bad_images_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mask.png");
    let out = path(&out);
    // Empty file.
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let stderr = expect_error(&["segment", path(&empty), "--out", out]);
    assert!(
        stderr.contains("empty") && stderr.contains("empty.png"),
        "{stderr}"
    );
    // Not an image at all.
    let text = dir.path().join("notes.png");
    std::fs::write(&text, b"hello, this is text").unwrap();
    let stderr = expect_error(&["segment", path(&text), "--out", out]);
    assert!(
        stderr.contains("unsupported") && stderr.contains("notes.png"),
        "{stderr}"
    );
    // Truncated: a real PNG cut in half.
    let whole = bands(dir.path());
    let bytes = std::fs::read(&whole).unwrap();
    let truncated = dir.path().join("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let stderr = expect_error(&["segment", path(&truncated), "--out", out]);
    assert!(
        stderr.contains("cannot decode") && stderr.contains("truncated.png"),
        "{stderr}"
    );
    // A header claiming 100,000 × 100,000 pixels.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A first data chunk, so the header parses as a whole PNG would.
    let idat = b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01";
    png.extend_from_slice(&((idat.len() - 4) as u32).to_be_bytes());
    png.extend_from_slice(idat);
    png.extend_from_slice(&crc32(idat).to_be_bytes());
    let absurd = dir.path().join("absurd.png");
    std::fs::write(&absurd, &png).unwrap();
    let stderr = expect_error(&["segment", path(&absurd), "--out", out]);
    assert!(
        stderr.contains("100000 × 100000") && stderr.contains("GiB"),
        "{stderr}"
    );
    // Missing file, bad parameters, output over the input.
    let stderr = expect_error(&["segment", "/no/such/image.png", "--out", out]);
    assert!(stderr.contains("/no/such/image.png"), "{stderr}");
    let stderr = expect_error(&["segment", path(&whole), "--k", "0", "--out", out]);
    assert!(stderr.contains("--k"), "{stderr}");
    let stderr = expect_error(&["segment", path(&whole), "--k", "6000", "--out", out]);
    assert!(stderr.contains("5400 pixels"), "{stderr}");
    let stderr = expect_error(&[
        "segment",
        path(&whole),
        "--spatial-weight",
        "-1",
        "--out",
        out,
    ]);
    assert!(stderr.contains("--spatial-weight"), "{stderr}");
    let before = std::fs::read(&whole).unwrap();
    let stderr = expect_error(&["segment", path(&whole), "--out", path(&whole)]);
    assert!(stderr.contains("overwrite"), "{stderr}");
    assert_eq!(std::fs::read(&whole).unwrap(), before);
    assert!(!Path::new(out).exists(), "no mask after failures");
}

#[test]
fn other_algorithms_segment_through_superpixels() {
    let dir = tempfile::tempdir().unwrap();
    let input = bands(dir.path());
    let mask = dir.path().join("mask.png");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "segment",
            path(&input),
            "--out",
            path(&mask),
            "--summary-json",
        ];
        args.extend_from_slice(extra);
        let output = clusterscope(&args);
        assert!(
            output.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (summary, image::open(&mask).unwrap().to_luma8())
    };
    // Ward on ~54 superpixels, cut at 3: one id per band, as k-means gives.
    let (summary, ward) = run(&[
        "--algo",
        "agglomerative",
        "--linkage",
        "ward",
        "--k",
        "3",
        "--superpixels",
        "54",
        "--space",
        "lab",
    ]);
    assert_eq!(summary["algo"], "agglomerative");
    assert_eq!(summary["superpixels"], 54);
    assert_eq!(summary["n_segments"], 3);
    assert_eq!(summary["n_noise"], 0);
    let ids: Vec<u8> = (0..3).map(|b| ward.get_pixel(b * 30 + 15, 30)[0]).collect();
    for (x, y, p) in ward.enumerate_pixels() {
        assert_eq!(p[0], ids[(x / 30) as usize], "pixel {x},{y}");
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    // DBSCAN with a radius inside a band's colour spread: the same three bands.
    let (summary, dbscan) = run(&["--algo", "dbscan", "--eps", "5", "--min-points", "3"]);
    assert_eq!(summary["n_segments"], 3);
    assert_eq!(summary["n_noise"], 0);
    // Same bands; the ids of equal-sized segments may come in either algorithm's order.
    let dbscan_ids: Vec<u8> = (0..3)
        .map(|b| dbscan.get_pixel(b * 30 + 15, 30)[0])
        .collect();
    for (x, y, p) in dbscan.enumerate_pixels() {
        assert_eq!(p[0], dbscan_ids[(x / 30) as usize], "DBSCAN pixel {x},{y}");
    }
    let mut sorted = dbscan_ids.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        vec![0, 1, 2],
        "DBSCAN and Ward agree on three flat bands"
    );
    // More core points needed than there are superpixels: every pixel is noise, which
    // the mask writes as 255.
    let (summary, noise) = run(&["--algo", "dbscan", "--eps", "5", "--min-points", "1000"]);
    assert_eq!(summary["n_segments"], 0);
    assert_eq!(summary["n_noise"], 90 * 60);
    assert!(noise.pixels().all(|p| p[0] == 255));
    // Parameters are checked and named.
    let out = path(&mask);
    let stderr = expect_error(&["segment", path(&input), "--algo", "dbscan", "--out", out]);
    assert!(stderr.contains("--eps"), "{stderr}");
    let stderr = expect_error(&[
        "segment",
        path(&input),
        "--algo",
        "agglomerative",
        "--k",
        "3",
        "--distance",
        "2",
        "--out",
        out,
    ]);
    assert!(stderr.contains("--distance"), "{stderr}");
    let stderr = expect_error(&[
        "segment",
        path(&input),
        "--algo",
        "hdbscan",
        "--superpixels",
        "0",
        "--out",
        out,
    ]);
    assert!(stderr.contains("--superpixels"), "{stderr}");
}

/// Every segmentation output says how it was made: the PNGs carry the record in an iTXt
/// chunk, the segment table in a `.clusterscope.json` beside it.
#[test]
fn segmentation_outputs_carry_their_record() {
    use clusterscope::segment::provenance::SegmentRecord;
    let dir = tempfile::tempdir().unwrap();
    let input = bands(dir.path());
    let (mask, overlay, table) = (
        dir.path().join("mask.png"),
        dir.path().join("overlay.png"),
        dir.path().join("segments.csv"),
    );
    let output = clusterscope(&[
        "segment",
        path(&input),
        "--algo",
        "slic",
        "--k",
        "12",
        "--seed",
        "7",
        "--out",
        path(&mask),
        "--overlay",
        path(&overlay),
        "--segments",
        path(&table),
        "--backend",
        "cpu",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sha256 = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(std::fs::read(&input).unwrap());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mask_record = SegmentRecord::of_png(&mask)
        .unwrap()
        .expect("a record in the mask");
    assert_eq!(mask_record.output, "mask");
    assert_eq!(mask_record.made_by, "segment");
    assert_eq!(mask_record.input.sha256, sha256);
    assert_eq!(mask_record.input.file, "bands.png");
    assert_eq!(mask_record.params.k, 12);
    assert_eq!(mask_record.params.seed, 7);
    assert_eq!((mask_record.width, mask_record.height), (90, 60));
    assert_eq!(mask_record.backend, "cpu");
    // The mask still decodes as before.
    assert_eq!(image::open(&mask).unwrap().color(), image::ColorType::L8);
    let overlay_record = SegmentRecord::of_png(&overlay).unwrap().unwrap();
    assert_eq!(overlay_record.output, "overlay");
    assert_eq!(overlay_record.n_segments, mask_record.n_segments);
    let sidecar = dir.path().join("segments.csv.clusterscope.json");
    let table_record: SegmentRecord =
        serde_json::from_str(&std::fs::read_to_string(sidecar).unwrap()).unwrap();
    assert_eq!(table_record.output, "segments");
    assert_eq!(table_record.input, mask_record.input);
    // An image from elsewhere has no record.
    assert_eq!(SegmentRecord::of_png(&input).unwrap(), None);
}
