//! Compressed tables (`.csv.gz`, `.tsv.zst`, `.ndjson.gz`…): streamed into a temporary
//! file, which is read as the format named before the compression suffix and removed.
//! The decompressed size is checked as it grows, so a small file that inflates to more
//! than the machine can hold is refused instead of filling the disk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

use super::DataError;
use super::read::{SUPPORTED_EXTENSIONS, read_as};

/// Reads `path`, compressed with `compression` ("gz", "zst"…).
pub fn read_compressed(path: &Path, compression: &str) -> Result<DataFrame, DataError> {
    let inner = path
        .file_stem()
        .map(Path::new)
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !SUPPORTED_EXTENSIONS.contains(&inner.as_str()) {
        return Err(DataError::UnsupportedExtension {
            extension: format!("{inner}.{compression}"),
            supported: format!(
                "{} (each also compressed: .gz, .zst)",
                SUPPORTED_EXTENSIONS.join(", ")
            ),
            path: path.to_path_buf(),
        });
    }
    let io_error = |source: std::io::Error| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(io_error(std::io::Error::other("is not a regular file")));
    }
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut decoder: Box<dyn Read> = match compression {
        "gz" | "gzip" => Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        ))),
        _ => Box::new(zstd::stream::read::Decoder::new(file).map_err(io_error)?),
    };
    let limit = crate::memory::available_bytes().unwrap_or(u64::MAX);
    let mut temporary = tempfile::Builder::new()
        .prefix("clusterscope-decompressed-")
        .suffix(&format!(".{inner}"))
        .tempfile()
        .map_err(io_error)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut written = 0u64;
    loop {
        let read = decoder.read(&mut buffer).map_err(|e| DataError::Parse {
            message: format!("cannot decompress ({compression}): {e}"),
            path: path.to_path_buf(),
        })?;
        if read == 0 {
            break;
        }
        written += read as u64;
        if written > limit {
            return Err(DataError::Parse {
                message: format!(
                    "it decompresses to more than the {} of memory available",
                    crate::memory::human_bytes(limit)
                ),
                path: path.to_path_buf(),
            });
        }
        temporary
            .write_all(&buffer[..read])
            .map_err(|e| DataError::Io {
                path: temporary.path().to_path_buf(),
                source: e,
            })?;
    }
    temporary.flush().map_err(io_error)?;
    read_as(temporary.path(), &inner).map_err(|e| e.naming(temporary.path(), path))
}

impl DataError {
    /// The same error with `from` replaced by `to` where it names the file.
    pub fn naming(self, from: &Path, to: &Path) -> Self {
        let swap = |p: PathBuf| if p == from { to.to_path_buf() } else { p };
        match self {
            DataError::Io { path, source } => DataError::Io {
                path: swap(path),
                source,
            },
            DataError::Parse { message, path } => DataError::Parse {
                message,
                path: swap(path),
            },
            DataError::NoRows { path } => DataError::NoRows { path: swap(path) },
            DataError::NoNumericColumn { path } => DataError::NoNumericColumn { path: swap(path) },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_and_zstd_tables_read_as_their_format() {
        let dir = tempfile::tempdir().unwrap();
        let csv = b"a,b\n1,2\n3,4\n";
        let gz = dir.path().join("t.csv.gz");
        std::fs::write(&gz, gzip(csv)).unwrap();
        let zst = dir.path().join("t.tsv.zst");
        std::fs::write(
            &zst,
            zstd::encode_all(&b"a\tb\n1\t2\n3\t4\n"[..], 3).unwrap(),
        )
        .unwrap();
        for path in [&gz, &zst] {
            let frame = super::super::read_table(path).unwrap();
            assert_eq!(frame.shape(), (2, 2), "{}", path.display());
        }
    }

    #[test]
    fn corrupt_or_unknown_compressed_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("t.csv.gz");
        std::fs::write(&bad, b"not gzip at all").unwrap();
        let message = super::super::read_table(&bad).unwrap_err().to_string();
        assert!(message.contains("cannot decompress"), "{message}");
        assert!(message.contains("t.csv.gz"), "{message}");
        let empty = dir.path().join("e.csv.gz");
        std::fs::write(&empty, gzip(b"")).unwrap();
        let message = super::super::read_table(&empty).unwrap_err().to_string();
        assert!(message.contains("e.csv.gz"), "{message}");
        let unknown = dir.path().join("t.xyz.gz");
        std::fs::write(&unknown, gzip(b"a")).unwrap();
        let message = super::super::read_table(&unknown).unwrap_err().to_string();
        assert!(message.contains("xyz.gz"), "{message}");
    }
}
