//! The pixels a splatted point covers, unrolled into the resolve shader.
//!
//! The resolve pass reads every mark within a point's radius around each pixel. On a
//! software rasteriser a loop over that disc costs more than the reads themselves (a
//! 3-pixel point: 29 ms a 1280×800 frame looped, 18 ms unrolled, on lavapipe), so for
//! the sizes people use the disc is written out as straight-line WGSL, one pipeline per
//! distinct disc, built when a size is first drawn. Larger points fall back to the loop.

/// Largest reach (in pixels from the centre) that is unrolled: a 9-pixel point, 49 reads.
const MAX_UNROLLED_REACH: i32 = 4;

/// Which resolve shader a point size needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResolveShape {
    /// Cells dx, dy from the centre with dx² + dy² <= `radius2` are read; noise marks
    /// count only where dx² + dy² <= `noise_radius2`.
    Unrolled { radius2: u32, noise_radius2: u32 },
    /// The disc is looped over at run time (points/resolve.wgsl).
    Loop,
}

impl ResolveShape {
    /// The shape for points of `size_px` pixels; radii as `radius_px` in
    /// points/resolve.wgsl (noise drawn at 0.6 of the size, never under half a pixel).
    pub fn of_size(size_px: f32) -> Self {
        let size = size_px.max(1.0);
        let radius = (size * 0.5).max(0.5);
        let noise_radius = (size * 0.6 * 0.5).max(0.5);
        if radius.floor() as i32 > MAX_UNROLLED_REACH {
            return ResolveShape::Loop;
        }
        // Offsets are whole pixels, so only the integer part of r² matters.
        ResolveShape::Unrolled {
            radius2: (radius * radius).floor() as u32,
            noise_radius2: (noise_radius * noise_radius).floor() as u32,
        }
    }

    /// WGSL defining `footprint_key(centre)` (the highest key a pixel sees) and
    /// `footprint_sum(centre)` (the density sums it sees), appended to the resolve shader.
    pub fn wgsl(&self) -> String {
        let ResolveShape::Unrolled {
            radius2,
            noise_radius2,
        } = *self
        else {
            return LOOPED.to_string();
        };
        let mut key = String::new();
        let mut sum = String::new();
        for (dx, dy) in disc_offsets(radius2) {
            let offset = format!("c + {dy} * s + {dx}");
            if dx * dx + dy * dy <= noise_radius2 as i32 {
                key.push_str(&format!("    best = max(best, cells[{offset}]);\n"));
            } else {
                key.push_str(&format!(
                    "    best = take_unless_noise(best, cells[{offset}], noise_slot);\n"
                ));
            }
            sum.push_str(&format!("    sum += cell_sums({offset});\n"));
        }
        format!(
            "fn footprint_key(c: i32) -> u32 {{\n    let s = i32(view.splat_stride);\n    \
             let noise_slot = view.key_slots + 1u;\n    var best = 0u;\n{key}    return best;\n}}\n\n\
             fn footprint_sum(c: i32) -> vec4<u32> {{\n    let s = i32(view.splat_stride);\n    \
             var sum = vec4<u32>(0u);\n{sum}    return sum;\n}}\n"
        )
    }
}

/// The shader's own loops, for points too large to unroll.
const LOOPED: &str = "fn footprint_key(c: i32) -> u32 {\n    return disc_key_looped(c);\n}\n\n\
    fn footprint_sum(c: i32) -> vec4<u32> {\n    return disc_sum_looped(c);\n}\n";

/// Offsets (dx, dy) with dx² + dy² <= `radius2`, row by row.
fn disc_offsets(radius2: u32) -> impl Iterator<Item = (i32, i32)> {
    let reach = (radius2 as f64).sqrt().floor() as i32;
    (-reach..=reach).flat_map(move |dy| {
        (-reach..=reach)
            .filter(move |dx| dx * dx + dy * dy <= radius2 as i32)
            .map(move |dx| (dx, dy))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discs_by_hand() {
        // 1 px: the centre only; 3 px (r = 1.5, r² = 2.25): the 3×3 square; 4 px (r = 2):
        // 5×5 less the corners' 3 cells each = 13; 5 px (r = 2.5, 6.25): 21.
        assert_eq!(ResolveShape::of_size(1.0), unrolled(0, 0));
        assert_eq!(disc_offsets(0).collect::<Vec<_>>(), vec![(0, 0)]);
        assert_eq!(ResolveShape::of_size(3.0), unrolled(2, 0));
        assert_eq!(disc_offsets(2).count(), 9);
        assert_eq!(ResolveShape::of_size(4.0), unrolled(4, 1));
        assert_eq!(disc_offsets(4).count(), 13);
        assert_eq!(disc_offsets(6).count(), 21);
        assert_eq!(ResolveShape::of_size(9.0), unrolled(20, 7));
        assert_eq!(ResolveShape::of_size(10.0), ResolveShape::Loop);
    }

    #[test]
    fn noise_ring_reads_skip_noise() {
        // 4 px: noise radius 1.2 (r² 1.44 → 1): the centre and its 4 neighbours take any
        // mark, the other 8 cells skip noise.
        let wgsl = unrolled(4, 1).wgsl();
        assert_eq!(wgsl.matches("best = max(best, cells[").count(), 5);
        assert_eq!(wgsl.matches("take_unless_noise(").count(), 8);
        assert_eq!(wgsl.matches("cell_sums(").count(), 13);
        assert!(ResolveShape::Loop.wgsl().contains("disc_key_looped"));
    }

    fn unrolled(radius2: u32, noise_radius2: u32) -> ResolveShape {
        ResolveShape::Unrolled {
            radius2,
            noise_radius2,
        }
    }
}
