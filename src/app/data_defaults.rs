//! Parameters whose good values depend on the data, set from the first result on a new
//! file: DBSCAN's eps goes to the knee of the k-distance curve (a fixed eps fits one
//! scale only: 0.5 left 92.7 % of the standardised penguins as noise). Changing eps
//! re-cuts the same spanning tree, so the suggestion costs no second run of the tree.

use super::{ClusterscopeApp, Command};
use crate::cluster::{Structure, StructureKind};

/// The knee of a decreasing curve: the value farthest below the chord from its first to
/// its last point, with both axes scaled to [0, 1] (the Kneedle criterion, Satopää et al.
/// 2011). None for curves too short or flat to have one.
pub fn knee(decreasing: &[f64]) -> Option<f64> {
    let finite: Vec<f64> = decreasing
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .collect();
    let (&first, &last) = (finite.first()?, finite.last()?);
    let span = first - last;
    if finite.len() < 3 || span.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let steps = (finite.len() - 1) as f64;
    let (mut best, mut best_gap) = (None, 0.0);
    for (i, &d) in finite.iter().enumerate() {
        let x = i as f64 / steps;
        let y = (d - last) / span;
        // The chord runs from (0, 1) to (1, 0): y = 1 − x.
        let gap = (1.0 - x) - y;
        if gap > best_gap {
            best_gap = gap;
            best = Some(d);
        }
    }
    best.filter(|&d| d > 0.0)
}

impl ClusterscopeApp {
    /// After a result on a newly opened table: sets the data-dependent parameters the
    /// result lets us estimate, once per table, and re-runs (a re-cut) when they changed.
    pub(super) fn suggest_data_defaults(&mut self) {
        if !self.suggest_eps {
            return;
        }
        let Some(clustering) = &self.clustering else {
            return;
        };
        if clustering.params.algorithm != self.settings.algorithm_info().id {
            return;
        }
        let Some(Structure::KDistance {
            distances,
            neighbours,
            ..
        }) = clustering.result.structure(StructureKind::KDistance)
        else {
            return;
        };
        self.suggest_eps = false;
        let (Some(eps), neighbours) = (knee(distances), *neighbours) else {
            return;
        };
        let current = self.steered(StructureKind::KDistance);
        if current.is_some_and(|c| (c - eps).abs() <= 1e-9 * eps) {
            return;
        }
        self.steer(StructureKind::KDistance, eps);
        self.notices.info = Some(format!(
            "eps = {eps:.4}, the knee of this table's {neighbours}-NN distance curve (change it freely)"
        ));
        self.command(Command::Cluster);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_is_where_the_curve_bends_from_steep_to_flat() {
        // Five outliers far out, then a dense plateau slowly falling from 1.0 to 0.5.
        let mut curve = vec![10.0, 9.0, 8.0, 7.0, 6.0];
        curve.extend((0..95).map(|i| 1.0 - 0.5 * i as f64 / 94.0));
        let knee = knee(&curve).unwrap();
        assert!((0.9..=1.0).contains(&knee), "{knee}");
    }

    #[test]
    fn flat_short_or_empty_curves_have_no_knee() {
        assert_eq!(knee(&[]), None);
        assert_eq!(knee(&[1.0, 0.5]), None);
        assert_eq!(knee(&[2.0; 50]), None);
        assert_eq!(knee(&[f64::NAN; 10]), None);
    }
}
