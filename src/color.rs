//! Colour-space conversions (sRGB, CIELAB with the D65 white point, HSV), used for the
//! cluster palette and for pixel features.

/// sRGB component (0..=1, gamma-encoded) to linear light.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// D65 reference white in XYZ (Y = 1).
const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];

/// 8-bit sRGB to CIELAB (L in 0..=100).
pub fn srgb_to_lab(rgb: [u8; 3]) -> [f32; 3] {
    unit_srgb_to_lab(rgb.map(|c| c as f32 / 255.0))
}

/// sRGB with components in 0..=1 (any bit depth) to CIELAB (L in 0..=100).
pub fn unit_srgb_to_lab(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb.map(srgb_to_linear);
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = 0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b;
    let f = |t: f32| {
        const DELTA: f32 = 6.0 / 29.0;
        if t > DELTA * DELTA * DELTA {
            t.cbrt()
        } else {
            t / (3.0 * DELTA * DELTA) + 4.0 / 29.0
        }
    };
    let (fx, fy, fz) = (f(x / WHITE[0]), f(y / WHITE[1]), f(z / WHITE[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// 8-bit sRGB to HSV: hue in degrees 0..360, saturation and value in 0..=1.
pub fn srgb_to_hsv(rgb: [u8; 3]) -> [f32; 3] {
    unit_srgb_to_hsv(rgb.map(|c| c as f32 / 255.0))
}

/// sRGB with components in 0..=1 to HSV (hue in degrees, saturation and value in 0..=1).
pub fn unit_srgb_to_hsv(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb;
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    let hue = if delta == 0.0 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    let saturation = if max == 0.0 { 0.0 } else { delta / max };
    [hue, saturation, max]
}

/// Euclidean distance in CIELAB (ΔE*ab, 1976).
pub fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 3], b: [f32; 3], tolerance: f32) -> bool {
        a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= tolerance)
    }

    #[test]
    fn lab_matches_published_values() {
        // Reference values (D65, sRGB) as given by colormine / Bruce Lindbloom's calculator.
        assert!(close(srgb_to_lab([255, 255, 255]), [100.0, 0.0, 0.0], 0.01));
        assert!(close(srgb_to_lab([0, 0, 0]), [0.0, 0.0, 0.0], 0.01));
        assert!(close(srgb_to_lab([255, 0, 0]), [53.24, 80.09, 67.20], 0.05));
        assert!(close(
            srgb_to_lab([0, 255, 0]),
            [87.73, -86.18, 83.18],
            0.05
        ));
        assert!(close(
            srgb_to_lab([0, 0, 255]),
            [32.30, 79.19, -107.86],
            0.05
        ));
        assert!(close(srgb_to_lab([128, 128, 128]), [53.59, 0.0, 0.0], 0.05));
    }

    #[test]
    fn hsv_matches_known_values() {
        assert!(close(srgb_to_hsv([255, 0, 0]), [0.0, 1.0, 1.0], 1e-5));
        assert!(close(srgb_to_hsv([0, 255, 0]), [120.0, 1.0, 1.0], 1e-5));
        assert!(close(srgb_to_hsv([0, 0, 255]), [240.0, 1.0, 1.0], 1e-5));
        assert!(close(srgb_to_hsv([255, 0, 255]), [300.0, 1.0, 1.0], 1e-5));
        assert!(close(
            srgb_to_hsv([128, 64, 64]),
            [0.0, 0.5, 128.0 / 255.0],
            1e-5
        ));
        assert!(close(srgb_to_hsv([0, 0, 0]), [0.0, 0.0, 0.0], 1e-5));
    }
}
