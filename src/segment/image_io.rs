//! Reading images for segmentation: the header is checked (format, size, a memory estimate)
//! before any pixel is decoded, so a corrupt or absurd file is a message, not a crash.

use std::path::{Path, PathBuf};

use image::{ImageFormat, ImageReader, Limits};

/// Extensions offered in the open dialog (the format itself is sniffed from the bytes).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp"];

/// True when `path` names an image by its extension (the window opens it as an image).
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Bytes one pixel costs while it is segmented: the decoded image (up to 8), our 16-bit
/// RGB copy (6), five f32 features (20), labels and distances (8), the window's pixel
/// table and row index (14), display copies (8) and slack for the exports.
pub const BYTES_PER_PIXEL: u64 = 72;

/// An image as 16-bit sRGB (8-bit sources are widened, `bits` says which it was).
#[derive(Clone, Debug)]
pub struct PixelImage {
    pub width: u32,
    pub height: u32,
    /// Row-major RGB triples, 0..=65535.
    pub pixels: Vec<[u16; 3]>,
    /// Bits per channel in the source file.
    pub bits: u8,
    pub path: Option<PathBuf>,
}

impl PixelImage {
    /// Wraps 8-bit RGB pixels (tests, synthetic images).
    pub fn from_rgb8(width: u32, height: u32, rgb: &[[u8; 3]]) -> Self {
        assert_eq!(rgb.len(), width as usize * height as usize);
        Self {
            width,
            height,
            pixels: rgb.iter().map(|p| p.map(|c| c as u16 * 257)).collect(),
            bits: 8,
            path: None,
        }
    }

    pub fn n_pixels(&self) -> usize {
        self.pixels.len()
    }

    /// Pixel `index` with components in 0..=1.
    pub fn unit_rgb(&self, index: usize) -> [f32; 3] {
        self.pixels[index].map(|c| c as f32 / 65535.0)
    }

    /// Pixel `index` as 8-bit sRGB.
    pub fn rgb8(&self, index: usize) -> [u8; 3] {
        self.pixels[index].map(|c| (c >> 8) as u8)
    }

    /// The file name, for messages and titles.
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into())
    }
}

/// Why an image could not be opened. Messages end with the path.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the file is empty: {path}")]
    EmptyFile { path: PathBuf },
    #[error(
        "unsupported or unrecognised image format (supported: PNG, JPEG, TIFF, WebP, BMP): {path}"
    )]
    Unsupported { path: PathBuf },
    #[error("the image has zero width or height ({width} × {height}): {path}")]
    ZeroSize {
        width: u32,
        height: u32,
        path: PathBuf,
    },
    #[error(
        "the image is {width} × {height} ({megapixels:.0} megapixels) and would need about \
         {needed_gib:.1} GiB to segment; {available_gib:.1} GiB of memory is available: {path}"
    )]
    TooLarge {
        width: u32,
        height: u32,
        megapixels: f64,
        needed_gib: f64,
        available_gib: f64,
        path: PathBuf,
    },
    #[error("cannot decode the image ({message}): {path}")]
    Decode { message: String, path: PathBuf },
}

/// Memory that may be used, from /proc/meminfo where there is one (else 8 GiB).
pub fn available_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(8 << 30, |kb| kb * 1024)
}

/// Refuses images whose segmentation would not fit in `available` bytes (80% of it).
pub fn check_size(width: u32, height: u32, available: u64, path: &Path) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::ZeroSize {
            width,
            height,
            path: path.to_path_buf(),
        });
    }
    let pixels = width as u64 * height as u64;
    let needed = pixels.saturating_mul(BYTES_PER_PIXEL);
    // Widths past 65,535 would overflow the 32-bit pixel arithmetic of the GPU passes.
    if needed > available / 5 * 4 || width > 65_535 || height > 65_535 {
        let gib = |bytes: u64| bytes as f64 / (1u64 << 30) as f64;
        return Err(ImageError::TooLarge {
            width,
            height,
            megapixels: pixels as f64 / 1e6,
            needed_gib: gib(needed),
            available_gib: gib(available),
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads an image file (format sniffed from its bytes) as 16-bit RGB; alpha is dropped.
pub fn load_image(path: &Path) -> Result<PixelImage, ImageError> {
    let io = |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let decode = |error: image::ImageError| match error {
        image::ImageError::Unsupported(_) => ImageError::Unsupported {
            path: path.to_path_buf(),
        },
        other => ImageError::Decode {
            message: other.to_string(),
            path: path.to_path_buf(),
        },
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if metadata.len() == 0 {
        return Err(ImageError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    // The format comes from the bytes, not the extension: a text file named .png is
    // "not an image", not a PNG decoding error.
    let mut head = Vec::with_capacity(64);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(io)?, 64),
        &mut head,
    )
    .map_err(io)?;
    let format = match image::guess_format(&head) {
        Ok(
            format @ (ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::Tiff
            | ImageFormat::WebP
            | ImageFormat::Bmp),
        ) => format,
        _ => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
            });
        }
    };
    let reader = || -> Result<ImageReader<_>, ImageError> {
        let mut reader = ImageReader::open(path).map_err(io)?;
        reader.set_format(format);
        Ok(reader)
    };
    let (width, height) = reader()?.into_dimensions().map_err(decode)?;
    check_size(width, height, available_memory(), path)?;
    let mut reader = reader()?;
    let mut limits = Limits::default();
    // The decoder may hold the output (8 bytes a pixel at 16-bit RGBA) plus its own state.
    limits.max_alloc = Some(width as u64 * height as u64 * 16 + (256 << 20));
    reader.limits(limits);
    let decoded = reader.decode().map_err(decode)?;
    let bits = match decoded.color() {
        image::ColorType::L16
        | image::ColorType::La16
        | image::ColorType::Rgb16
        | image::ColorType::Rgba16 => 16,
        image::ColorType::Rgb32F | image::ColorType::Rgba32F => 32,
        _ => 8,
    };
    let rgb = decoded.into_rgb16();
    let pixels = rgb.pixels().map(|p| p.0).collect();
    Ok(PixelImage {
        width,
        height,
        pixels,
        bits,
        path: Some(path.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_sizes_are_refused_with_an_estimate() {
        let path = Path::new("huge.png");
        let error = check_size(100_000, 100_000, 16 << 30, path).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("100000 × 100000"), "{message}");
        assert!(message.contains("GiB"), "{message}");
        assert!(message.ends_with("huge.png"), "{message}");
        assert!(matches!(
            check_size(0, 5, 16 << 30, path),
            Err(ImageError::ZeroSize { .. })
        ));
        assert!(check_size(8192, 8192, 16 << 30, path).is_ok());
    }
}
