//! Colouring the scatter by any column instead of by cluster: a numeric column through a
//! continuous map (viridis, with a colour bar in the legend), a text, boolean or
//! few-valued integer column by category (the most frequent ones, the rest as "other").
//! The result is one code per drawn row and a colour per code, so both point renderers
//! draw it exactly as they draw cluster labels.

use eframe::egui::{self, Color32};
use polars::prelude::*;

use super::palette;

/// The name the outlier-score colouring goes by.
pub const SCORE_COLOURING: &str = "outlier score";

/// Continuous maps are drawn in this many steps.
pub const RAMP_STEPS: usize = 64;
/// Categories shown by name at most; rarer ones share "other".
pub const MAX_CATEGORIES: usize = 24;
/// An integer column with at most this many distinct values is coloured by category.
const CATEGORICAL_INTEGERS: usize = 12;

/// What the scatter is coloured by.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColourBy {
    #[default]
    Cluster,
    Column(String),
    /// The Outliers pane's scores (a continuous map; rows not scored grey).
    OutlierScore,
}

/// The legend of a column colouring.
#[derive(Clone, Debug, PartialEq)]
pub enum ColourKey {
    Continuous {
        min: f64,
        max: f64,
    },
    /// Names and row counts by code; the last entry is "other" when there is one.
    Categorical {
        names: Vec<String>,
        counts: Vec<usize>,
    },
}

/// One code per matrix row (an index into `colours`; `colours.len()` for a missing value,
/// drawn grey) and the colours.
#[derive(Clone, Debug)]
pub struct ColumnColours {
    pub column: String,
    pub codes: Vec<u32>,
    pub colours: Vec<Color32>,
    pub key: ColourKey,
    /// Rows with no value in the column.
    pub missing: usize,
}

impl ColumnColours {
    /// The code's colour (missing values grey).
    pub fn colour(&self, code: u32) -> Color32 {
        self.colours
            .get(code as usize)
            .copied()
            .unwrap_or(palette::LEFT_OUT)
    }

    /// What a code stands for, for series names and hover text.
    pub fn describe(&self, code: u32) -> String {
        match &self.key {
            _ if code as usize >= self.colours.len() => "missing".into(),
            ColourKey::Continuous { min, max } => {
                let step = (max - min) / RAMP_STEPS as f64;
                let low = min + step * code as f64;
                format!("{} {:.4} – {:.4}", self.column, low, low + step)
            }
            ColourKey::Categorical { names, .. } => names[code as usize].clone(),
        }
    }
}

/// Colours the rows `table_rows` (matrix row → table row) of `frame` by `column`.
pub fn column_colours(
    frame: &DataFrame,
    column: &str,
    table_rows: &[u32],
) -> Result<ColumnColours, String> {
    let values = frame
        .column(column)
        .map_err(|_| format!("the table has no column \u{201c}{column}\u{201d}"))?;
    let dtype = values.dtype().clone();
    let few_integers = dtype.is_integer()
        && values
            .n_unique()
            .is_ok_and(|n| n <= CATEGORICAL_INTEGERS + 1);
    if dtype.is_primitive_numeric() && !few_integers {
        continuous(values, column, table_rows)
    } else {
        categorical(values, column, table_rows)
    }
}

fn continuous(values: &Column, column: &str, table_rows: &[u32]) -> Result<ColumnColours, String> {
    let cast = values
        .cast(&DataType::Float64)
        .map_err(|e| format!("column \u{201c}{column}\u{201d}: {e}"))?;
    let all = cast
        .f64()
        .map_err(|e| format!("column \u{201c}{column}\u{201d}: {e}"))?;
    let per_row: Vec<Option<f64>> = table_rows
        .iter()
        .map(|&row| all.get(row as usize))
        .collect();
    continuous_values(column, &per_row)
}

/// A continuous colouring of one value per matrix row (None or non-finite: missing).
pub fn continuous_values(column: &str, per_row: &[Option<f64>]) -> Result<ColumnColours, String> {
    let row_value = |i: usize| per_row[i].filter(|v| v.is_finite());
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..per_row.len() {
        if let Some(v) = row_value(i) {
            min = min.min(v);
            max = max.max(v);
        }
    }
    let mut missing = 0;
    let span = max - min;
    let codes = (0..per_row.len())
        .map(|i| match row_value(i) {
            Some(v) if span > 0.0 => {
                (((v - min) / span * RAMP_STEPS as f64) as usize).min(RAMP_STEPS - 1) as u32
            }
            Some(_) => (RAMP_STEPS / 2) as u32,
            None => {
                missing += 1;
                RAMP_STEPS as u32
            }
        })
        .collect();
    if missing == per_row.len() {
        return Err(format!(
            "column \u{201c}{column}\u{201d} has no finite values"
        ));
    }
    Ok(ColumnColours {
        column: column.into(),
        codes,
        colours: (0..RAMP_STEPS)
            .map(|i| viridis((i as f32 + 0.5) / RAMP_STEPS as f32))
            .collect(),
        key: ColourKey::Continuous { min, max },
        missing,
    })
}

fn categorical(values: &Column, column: &str, table_rows: &[u32]) -> Result<ColumnColours, String> {
    let text = values
        .cast(&DataType::String)
        .map_err(|e| format!("column \u{201c}{column}\u{201d}: {e}"))?;
    let text = text
        .str()
        .map_err(|e| format!("column \u{201c}{column}\u{201d}: {e}"))?
        .clone();
    // Categories by frequency among the drawn rows (ties by name, so the order is stable).
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for &row in table_rows {
        if let Some(value) = text.get(row as usize) {
            *counts.entry(value).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return Err(format!("column \u{201c}{column}\u{201d} has no values"));
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let has_other = ranked.len() > MAX_CATEGORIES;
    let named = if has_other {
        MAX_CATEGORIES - 1
    } else {
        ranked.len()
    };
    let code_of: std::collections::HashMap<&str, u32> = ranked
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, (i.min(named)) as u32))
        .collect();
    let mut names: Vec<String> = ranked[..named].iter().map(|(n, _)| n.to_string()).collect();
    let mut sizes: Vec<usize> = ranked[..named].iter().map(|(_, c)| *c).collect();
    if has_other {
        names.push(format!("other ({} values)", ranked.len() - named));
        sizes.push(ranked[named..].iter().map(|(_, c)| c).sum());
    }
    let n_codes = names.len() as u32;
    let mut missing = 0;
    let codes = table_rows
        .iter()
        .map(|&row| match text.get(row as usize) {
            Some(value) => code_of[value],
            None => {
                missing += 1;
                n_codes
            }
        })
        .collect();
    let colours = (0..names.len())
        .map(|i| {
            if has_other && i == names.len() - 1 {
                palette::NOISE
            } else {
                palette::cluster_color(i)
            }
        })
        .collect();
    Ok(ColumnColours {
        column: column.into(),
        codes,
        colours,
        key: ColourKey::Categorical {
            names,
            counts: sizes,
        },
        missing,
    })
}

/// The table's column names with the chosen features last: an embedding's labels and
/// text come before its hundreds of dimensions wherever a column is picked to show or to
/// compare against.
pub fn features_last(info: &crate::data::TableInfo, features: &[String]) -> Vec<String> {
    let (chosen, others): (Vec<_>, Vec<_>) = info
        .columns
        .iter()
        .map(|c| c.name.clone())
        .partition(|name| features.contains(name));
    others.into_iter().chain(chosen).collect()
}

/// Viridis (matplotlib's perceptually uniform map), interpolated between 9 of its stops.
pub fn viridis(t: f32) -> Color32 {
    const STOPS: [[u8; 3]; 9] = [
        [68, 1, 84],
        [71, 44, 122],
        [59, 81, 139],
        [44, 113, 142],
        [33, 144, 141],
        [39, 173, 129],
        [92, 200, 99],
        [170, 220, 50],
        [253, 231, 37],
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (x as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let mix = |c: usize| {
        (STOPS[i][c] as f32 + (STOPS[i + 1][c] as f32 - STOPS[i][c] as f32) * f).round() as u8
    };
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// The colour bar of a continuous map: the ramp with its ends labelled.
pub fn colour_bar_ui(ui: &mut egui::Ui, colours: &ColumnColours) {
    match &colours.key {
        ColourKey::Continuous { min, max } => {
            let width = ui.available_width().clamp(80.0, 240.0);
            let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 14.0), egui::Sense::hover());
            let step = rect.width() / colours.colours.len() as f32;
            for (i, colour) in colours.colours.iter().enumerate() {
                let x = rect.left() + step * i as f32;
                let cell = egui::Rect::from_min_max(
                    egui::pos2(x, rect.top()),
                    egui::pos2(x + step + 0.5, rect.bottom()),
                );
                ui.painter().rect_filled(cell, 0.0, *colour);
            }
            ui.horizontal(|ui| {
                ui.label(format!("{min:.4}"));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(format!("{max:.4}"));
                });
            });
        }
        ColourKey::Categorical { names, counts } => {
            for (i, (name, count)) in names.iter().zip(counts).enumerate() {
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, colours.colours[i]);
                    ui.label(format!("{name} ({count})"));
                });
            }
        }
    }
    if colours.missing > 0 {
        ui.weak(format!("{} rows with no value are grey", colours.missing));
    }
}

/// The column colouring of the current features, computed once per (features, column)
/// and uploaded for the GPU renderer off the UI thread.
#[derive(Default)]
pub struct ColourByState {
    key: Option<(usize, String)>,
    generation: u64,
    pub result: Option<Result<std::sync::Arc<ColumnColours>, String>>,
    /// The codes on the render device, once their upload has arrived.
    pub gpu_codes: Option<(u64, crate::gpu::RowChunks)>,
}

impl ColourByState {
    /// Forgets the colouring so the next frame makes it again (new outlier scores).
    pub fn invalidate(&mut self) {
        self.key = None;
    }
}

impl super::ClusterscopeApp {
    /// The colouring the scatter uses now: None when it colours by cluster (or the column
    /// cannot colour; the legend then says why).
    pub(super) fn column_colours(&mut self) -> Option<std::sync::Arc<ColumnColours>> {
        let (table, prepared) = (self.table.as_ref()?, self.prepared.as_ref()?);
        let column = match &self.colour_by {
            ColourBy::Cluster => return None,
            ColourBy::Column(column) => column.clone(),
            ColourBy::OutlierScore => SCORE_COLOURING.to_string(),
        };
        let key = (
            std::sync::Arc::as_ptr(&prepared.points) as usize,
            column.clone(),
        );
        if self.colour_by_state.key.as_ref() != Some(&key) {
            let result = match self.colour_by {
                ColourBy::OutlierScore => match self.current_outliers() {
                    Some(scored) => {
                        // A few extreme scores (LOF of repeated rows reaches 10¹⁰) would
                        // leave every other row one colour: the top half-percent share
                        // the top colour.
                        let top = crate::outliers::cutoff::percentile(&scored.scores.scores, 99.5);
                        let values: Vec<Option<f64>> = scored
                            .scores
                            .scores
                            .iter()
                            .map(|&s| Some(s.min(top)))
                            .collect();
                        continuous_values(&column, &values)
                    }
                    None => {
                        Err("no outlier scores for these rows yet (see the Outliers pane)".into())
                    }
                },
                _ => column_colours(&table.frame, &column, &prepared.features.table_rows),
            }
            .map(std::sync::Arc::new);
            let state = &mut self.colour_by_state;
            state.key = Some(key);
            state.generation += 1;
            state.gpu_codes = None;
            if let Ok(colours) = &result
                && self.render_device.is_some()
            {
                self.jobs
                    .upload_colour_codes(state.generation, colours.codes.clone());
            }
            state.result = Some(result);
        }
        self.colour_by_state.result.as_ref()?.as_ref().ok().cloned()
    }

    /// The GPU copy of the current codes arrived.
    pub(super) fn colour_codes_uploaded(&mut self, key: u64, chunks: crate::gpu::RowChunks) {
        if self.colour_by_state.generation == key {
            self.colour_by_state.gpu_codes = Some((key, chunks));
        }
    }

    /// The "Colour by" picker: clusters, or any column of the table.
    pub(super) fn colour_by_ui(&mut self, ui: &mut egui::Ui) {
        let Some(table) = self.table.clone() else {
            return;
        };
        let label = ui.label("Colour by:");
        let shown = match &self.colour_by {
            ColourBy::Cluster => "Cluster".to_string(),
            ColourBy::Column(name) => name.clone(),
            ColourBy::OutlierScore => SCORE_COLOURING.to_string(),
        };
        egui::ComboBox::from_id_salt("colour_by")
            .selected_text(shown)
            .height(320.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.colour_by, ColourBy::Cluster, "Cluster");
                if self.current_outliers().is_some() {
                    ui.selectable_value(
                        &mut self.colour_by,
                        ColourBy::OutlierScore,
                        SCORE_COLOURING,
                    );
                }
                for name in features_last(&table.info, &self.selected_columns) {
                    let choice = ColourBy::Column(name.clone());
                    ui.selectable_value(&mut self.colour_by, choice, &name);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "Colour the points by a column: numbers on a continuous map, text and \
                 few-valued integers by category",
            );
    }

    /// The legend's colour key when the points show a column.
    pub(super) fn colour_key_ui(&mut self, ui: &mut egui::Ui) {
        let column = match &self.colour_by {
            ColourBy::Cluster => return,
            ColourBy::Column(column) => column.clone(),
            ColourBy::OutlierScore => SCORE_COLOURING.to_string(),
        };
        ui.strong(format!("Points coloured by {column}"));
        match self.colour_by_state.result.clone() {
            Some(Ok(colours)) => colour_bar_ui(ui, &colours),
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            None => {}
        }
        if ui.small_button("Colour by cluster").clicked() {
            self.colour_by = ColourBy::Cluster;
        }
        ui.separator();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df! {
            "size" => [1.0, 2.0, 3.0, f64::NAN, 5.0],
            "kind" => [Some("a"), Some("b"), Some("a"), None, Some("a")],
            "class" => [0i64, 1, 0, 1, 2],
        }
        .unwrap()
    }

    #[test]
    fn columns_are_offered_with_the_features_last() {
        let info = crate::data::table_info(&frame());
        let features = ["size".to_string()];
        assert_eq!(
            features_last(&info, &features),
            vec!["kind".to_string(), "class".to_string(), "size".to_string()]
        );
    }

    #[test]
    fn a_numeric_column_maps_its_range_onto_the_ramp() {
        let colours = column_colours(&frame(), "size", &[0, 1, 3, 4]).unwrap();
        assert_eq!(colours.key, ColourKey::Continuous { min: 1.0, max: 5.0 });
        // 1 → first step, 2 → a quarter of the way, NaN → missing, 5 → last step.
        assert_eq!(colours.codes, vec![0, 16, RAMP_STEPS as u32, 63]);
        assert_eq!(colours.missing, 1);
        assert_eq!(colours.colour(RAMP_STEPS as u32), palette::LEFT_OUT);
    }

    #[test]
    fn a_text_column_is_coloured_by_category_most_frequent_first() {
        let colours = column_colours(&frame(), "kind", &[0, 1, 2, 3, 4]).unwrap();
        assert_eq!(
            colours.key,
            ColourKey::Categorical {
                names: vec!["a".into(), "b".into()],
                counts: vec![3, 1]
            }
        );
        assert_eq!(colours.codes, vec![0, 1, 0, 2, 0]);
        assert_eq!(colours.missing, 1);
    }

    #[test]
    fn a_few_valued_integer_column_is_categorical() {
        let colours = column_colours(&frame(), "class", &[0, 1, 2, 3, 4]).unwrap();
        let ColourKey::Categorical { names, counts } = &colours.key else {
            panic!("expected categories, got {:?}", colours.key);
        };
        assert_eq!(names, &["0", "1", "2"]);
        assert_eq!(counts, &[2, 2, 1]);
    }

    #[test]
    fn rare_categories_share_other() {
        let values: Vec<String> = (0..40).map(|i| format!("v{}", i % 30)).collect();
        let frame = df! { "many" => values }.unwrap();
        let rows: Vec<u32> = (0..40).collect();
        let colours = column_colours(&frame, "many", &rows).unwrap();
        let ColourKey::Categorical { names, counts } = &colours.key else {
            panic!()
        };
        assert_eq!(names.len(), MAX_CATEGORIES);
        assert_eq!(names.last().unwrap(), "other (7 values)");
        assert_eq!(counts.iter().sum::<usize>(), 40);
    }

    #[test]
    fn an_unknown_or_empty_column_is_a_clear_error() {
        let error = column_colours(&frame(), "nope", &[0]).unwrap_err();
        assert!(error.contains("nope"), "{error}");
        let error = column_colours(&frame(), "size", &[3]).unwrap_err();
        assert!(error.contains("no finite values"), "{error}");
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), Color32::from_rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Color32::from_rgb(253, 231, 37));
    }
}
