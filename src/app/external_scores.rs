//! The shown result against a column the user picks (a known class, say): adjusted Rand,
//! adjusted and normalised mutual information, Fowlkes–Mallows and the contingency table,
//! with scikit-learn's definitions (`metrics::external`), over the clustered rows that
//! have a value in the column; noise counts as one more cluster, as in scikit-learn.

use std::sync::Arc;

use eframe::egui;
use polars::prelude::{DataFrame, DataType};

use super::ClusterscopeApp;
use crate::metrics::external::{self, Contingency};

/// The scores against one column.
pub struct ExternalScores {
    pub column: String,
    pub rows: usize,
    pub classes: Vec<String>,
    pub adjusted_rand: f64,
    pub adjusted_mutual_info: f64,
    pub normalized_mutual_info: f64,
    pub fowlkes_mallows: f64,
    /// `counts[class][cluster id]`, the last cluster being noise when there is any.
    pub counts: Vec<Vec<u64>>,
    pub noise: bool,
}

/// `labels` (per matrix row; `table_rows[i]` is row i's table row) against `column`.
pub fn compute(
    frame: &DataFrame,
    column: &str,
    table_rows: &[u32],
    labels: &[u32],
    n_clusters: usize,
) -> Result<ExternalScores, String> {
    let values = frame
        .column(column)
        .map_err(|_| format!("no column '{column}'"))?
        .cast(&DataType::String)
        .map_err(|e| format!("reading column '{column}': {e}"))?;
    let values = values
        .str()
        .map_err(|e| format!("reading column '{column}': {e}"))?
        .clone();
    let noise = labels.contains(&crate::cluster::NOISE);
    let mut texts: Vec<&str> = Vec::new();
    let mut predicted = Vec::new();
    for (&row, &label) in table_rows.iter().zip(labels) {
        let Some(value) = values.get(row as usize) else {
            continue;
        };
        texts.push(value);
        predicted.push(if label == crate::cluster::NOISE {
            n_clusters as u32
        } else {
            label
        });
    }
    // Classes numbered as `clusterscope score --truth` numbers them (numbers in order,
    // other texts alphabetically).
    let (truth, classes) = external::dense_ids(&texts);
    if truth.is_empty() {
        return Err(format!("no clustered row has a value in '{column}'"));
    }
    let n_predicted = n_clusters + usize::from(noise);
    let table = Contingency::new(&truth, &predicted, classes.len(), n_predicted);
    Ok(ExternalScores {
        column: column.to_string(),
        rows: truth.len(),
        adjusted_rand: external::adjusted_rand(&table),
        adjusted_mutual_info: external::adjusted_mutual_information(&table),
        normalized_mutual_info: external::normalized_mutual_information(&table),
        fowlkes_mallows: external::fowlkes_mallows(&table),
        counts: table.counts,
        classes,
        noise,
    })
}

/// The picked column and its scores for one result.
#[derive(Default)]
pub struct ExternalState {
    pub column: Option<String>,
    /// (generation, revision, column) scored or being scored.
    key: Option<(u64, u64, String)>,
    pub result: Option<Result<Arc<ExternalScores>, String>>,
}

impl ClusterscopeApp {
    /// Starts scoring against the picked column when the result or the column changed.
    fn request_external(&mut self) {
        let (Some(column), Some(clustering), Some(table), Some(prepared)) = (
            self.external.column.clone(),
            &self.clustering,
            &self.table,
            &self.prepared,
        ) else {
            return;
        };
        if !Arc::ptr_eq(&prepared.points, &clustering.points) {
            return;
        }
        let key = (clustering.generation, clustering.revision, column);
        if self.external.key.as_ref() == Some(&key) {
            return;
        }
        self.external.key = Some(key.clone());
        self.external.result = None;
        self.jobs.external_scores(
            key,
            Arc::clone(table),
            Arc::clone(prepared),
            clustering.result.labels.clone(),
            clustering.n_clusters(),
        );
    }

    /// Scores against a column arrived (kept only if still wanted).
    pub(super) fn external_scored(
        &mut self,
        key: (u64, u64, String),
        result: Result<ExternalScores, String>,
    ) {
        if self.external.key.as_ref() == Some(&key) {
            self.external.result = Some(result.map(Arc::new));
        }
    }

    /// "Against column …" under the internal scores.
    pub(super) fn external_scores_ui(&mut self, ui: &mut egui::Ui) {
        let Some(table) = &self.table else {
            return;
        };
        // Known classes are usually a label or text column, not a feature: those first.
        let names = super::colour_by::features_last(&table.info, &self.selected_columns);
        ui.horizontal(|ui| {
            let label = ui.label("Against");
            let mut picked = self.external.column.clone();
            egui::ComboBox::from_id_salt("external-column")
                .selected_text(picked.clone().unwrap_or_else(|| "a column…".into()))
                .width(120.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut picked, None, "none");
                    for name in &names {
                        ui.selectable_value(&mut picked, Some(name.clone()), name);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Score the clusters against a column of known classes");
            if picked != self.external.column {
                self.external.column = picked;
                self.external.result = None;
                self.external.key = None;
            }
        });
        if self.external.column.is_none() {
            return;
        }
        self.request_external();
        match &self.external.result {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Comparing…");
                });
            }
            Some(Err(error)) => {
                ui.weak(error.clone());
            }
            Some(Ok(scores)) => {
                let scores = Arc::clone(scores);
                ui.label(format!("ARI {:.4}", scores.adjusted_rand))
                    .on_hover_text(
                        "Adjusted Rand index: 1 for the same partition, about 0 by chance",
                    );
                ui.label(format!("AMI {:.4}", scores.adjusted_mutual_info))
                    .on_hover_text("Adjusted mutual information (arithmetic normalisation)");
                ui.label(format!("NMI {:.4}", scores.normalized_mutual_info));
                ui.label(format!("Fowlkes–Mallows {:.4}", scores.fowlkes_mallows));
                egui::CollapsingHeader::new(format!(
                    "{} classes × clusters, {} rows",
                    scores.classes.len(),
                    scores.rows
                ))
                .id_salt("contingency")
                .show(ui, |ui| self.contingency_ui(ui, &scores));
            }
        }
    }

    fn contingency_ui(&self, ui: &mut egui::Ui, scores: &ExternalScores) {
        let n_clusters = scores.counts.first().map_or(0, Vec::len);
        egui::ScrollArea::horizontal()
            .id_salt("contingency-scroll")
            .show(ui, |ui| {
                egui::Grid::new("contingency-grid")
                    .striped(true)
                    .show(ui, |ui| {
                        ui.label("");
                        for c in 0..n_clusters {
                            let id = if scores.noise && c + 1 == n_clusters {
                                crate::cluster::NOISE
                            } else {
                                c as u32
                            };
                            ui.colored_label(self.styles.color(id), self.styles.name(id));
                        }
                        ui.end_row();
                        for (class, row) in scores.classes.iter().zip(&scores.counts) {
                            ui.label(class);
                            for count in row {
                                ui.label(count.to_string());
                            }
                            ui.end_row();
                        }
                    });
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn scores_follow_the_table_rows_and_match_the_metrics() {
        let frame =
            df!("kind" => [Some("a"), Some("a"), Some("b"), None, Some("b"), Some("c")]).unwrap();
        // Matrix rows are table rows 0, 1, 2, 3, 5 (row 4 left out); row 3 has no class.
        let labels = [0, 0, 1, 1, crate::cluster::NOISE];
        let scores = compute(&frame, "kind", &[0, 1, 2, 3, 5], &labels, 2).unwrap();
        assert_eq!(scores.rows, 4);
        assert_eq!(scores.classes, vec!["a", "b", "c"]);
        // a → cluster 0 twice, b → cluster 1, c → noise.
        assert_eq!(
            scores.counts,
            vec![vec![2, 0, 0], vec![0, 1, 0], vec![0, 0, 1]]
        );
        assert_eq!(scores.adjusted_rand, 1.0);
        let error = compute(&frame, "nope", &[0], &[0], 1).err().unwrap();
        assert!(error.contains("no column 'nope'"), "{error}");
    }
}
