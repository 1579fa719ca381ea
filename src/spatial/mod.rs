//! Neighbour search over the rows of a [`Matrix`](crate::matrix::Matrix): the squared
//! distance that every density algorithm and its WGSL twin agree on bit for bit, and a k-d
//! tree that answers the queries those algorithms ask (k-th neighbour, radius, nearest
//! point of another component). In high dimensions the tree is one leaf, i.e. a plain scan.
//! `knn` finds each row's nearest rows under any [`metric::Metric`] (exact or by
//! NN-descent) for the embedding maps. `lanes` scores rows against up to 16 centres at once (k-means++ candidates, the
//! silhouette's sampled rows).

pub mod delaunay;
mod grid;
mod kdtree;
pub mod knn;
pub mod lanes;
pub mod metric;
pub mod radix;

pub use grid::GridIndex;
pub use kdtree::{KdTree, NO_LABEL};

/// Dimensions above which a k-d tree stops pruning and a linear scan is faster.
pub const KD_TREE_MAX_DIMS: usize = 16;

/// Squared Euclidean distance, accumulated as `acc + diff * diff` in column order: the
/// same operations `shaders/density/common.wgsl` runs, so both backends see the same bits.
/// (Not `mul_add`: Vulkan does not promise that `fma` is fused, and lavapipe does not fuse
/// it here; Rust never contracts a separate multiply and add.)
#[inline(always)]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let diff = x - y;
        acc += diff * diff;
    }
    acc
}

/// The square of the Manhattan distance, accumulated as `acc + abs(diff)` in column order
/// and squared once: the density algorithms compare squared distances, so the same
/// comparisons, radii and spanning trees serve both metrics. `shaders/density/common.wgsl`
/// runs the same operations.
#[inline(always)]
pub fn squared_manhattan(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        acc += (x - y).abs();
    }
    acc * acc
}

/// The squared distance the density searches compare: Euclidean, or Manhattan when
/// `manhattan` (cosine runs as Euclidean on unit rows).
#[inline(always)]
pub fn searched_sq(manhattan: bool, a: &[f32], b: &[f32]) -> f32 {
    if manhattan {
        squared_manhattan(a, b)
    } else {
        squared_distance(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squared_manhattan_squares_the_sum_of_absolute_differences() {
        assert_eq!(squared_manhattan(&[0.0, 0.0], &[3.0, -4.0]), 49.0);
        assert_eq!(searched_sq(true, &[1.0, 2.0], &[2.0, 0.0]), 9.0);
        assert_eq!(searched_sq(false, &[1.0, 2.0], &[2.0, 0.0]), 5.0);
    }

    #[test]
    fn squared_distance_is_exact_on_small_integers() {
        assert_eq!(squared_distance(&[0.0, 0.0], &[3.0, 4.0]), 25.0);
        assert_eq!(squared_distance(&[1.0, -2.0, 5.0], &[1.0, 2.0, 3.0]), 20.0);
        assert_eq!(squared_distance(&[0.5], &[2.0]), 2.25);
    }
}
