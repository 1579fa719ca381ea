//! The algorithm picker and parameter widgets, generated from the registry's
//! declarations: a slider or drag value per count, a drag value per real, radio buttons or
//! a combo box per choice, a checkbox for optional parameters and alternatives. No
//! algorithm is named here.

use eframe::egui;
use serde_json::Value;

use super::ClusterscopeApp;
use crate::cluster::params::{ParamKind, ParamSpec, ParamValues, ParamsError, Presence, real};
use crate::cluster::{AlgorithmInfo, StructureKind, infos};

/// How the window names a parameter: its field name in words, with the count of clusters
/// called k as everywhere else in the window.
pub fn label_of(name: &str) -> String {
    match name {
        "n_clusters" => "k (clusters)".into(),
        "n_init" => "Restarts".into(),
        other => other.replace('_', " "),
    }
}

/// A parameter error in the window's words.
pub fn render_error(error: &ParamsError) -> String {
    error.render(|name, value, _| match value {
        Some(value) => format!("{} = {value}", label_of(name)),
        None => label_of(name),
    })
}

/// What a view of `kind` lets the user do, under the parameters.
fn structure_hint(kind: StructureKind) -> Option<&'static str> {
    match kind {
        StructureKind::Tree => Some("Or drag the cut line in the dendrogram below."),
        StructureKind::KDistance => {
            Some("Click the k-distance plot below to set eps. Moving eps re-cuts the same tree.")
        }
        StructureKind::Reachability => {
            Some("Drag the threshold line on the reachability plot below.")
        }
        StructureKind::Spectrum => Some(
            "Click the eigenvalue plot below to set k; the view can show the spectral embedding.",
        ),
        _ => None,
    }
}

impl ClusterscopeApp {
    /// A labelled picker of the clustering algorithm (tables and superpixels share the
    /// setting); `skip` leaves one id out. True when the choice changed.
    pub(super) fn algorithm_choice_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: &str,
        label: &str,
        skip: Option<&str>,
    ) -> bool {
        let mut changed = false;
        let label = ui.label(label);
        let current = self.settings.algorithm_info();
        let combo = egui::ComboBox::from_id_salt(id)
            .selected_text(current.name)
            // Every algorithm in view at once, families separated.
            .height(f32::INFINITY)
            .show_ui(ui, |ui| {
                let mut family = None;
                for info in infos().filter(|i| Some(i.id) != skip) {
                    if family.is_some_and(|f| f != info.family) {
                        ui.separator();
                    }
                    family = Some(info.family);
                    if ui
                        .selectable_label(current.id == info.id, info.name)
                        .on_hover_text(info.summary)
                        .clicked()
                        && current.id != info.id
                    {
                        self.settings.algorithm = info.id.to_string();
                        changed = true;
                    }
                }
            });
        combo.response.labelled_by(label.id);
        changed
    }

    /// The chosen algorithm's parameters; true when one changed. `structure_views`: the
    /// bottom panel shows the algorithm's tree or plot (not for superpixels of an image).
    pub(super) fn algorithm_params_ui(&mut self, ui: &mut egui::Ui, structure_views: bool) -> bool {
        let info = self.settings.algorithm_info();
        let mut values = self.settings.values(info.id);
        let changed = params_ui(ui, info.id, info.parameters, &mut values);
        if changed {
            *self.settings.values_mut(info.id) = values.clone();
        }
        let given: ParamValues = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
        let n_rows = self.prepared.as_ref().map(|p| p.points.n_rows);
        if let Some(algorithm) = crate::cluster::find(info.id)
            && let Err(error) = algorithm.prepare(&given, n_rows)
        {
            ui.colored_label(ui.visuals().error_fg_color, render_error(&error));
        }
        if structure_views {
            for hint in info.structures.iter().filter_map(|k| structure_hint(*k)) {
                ui.weak(hint);
            }
        }
        changed
    }
}

/// Every declared parameter's widget: count sliders first, full width (as the k slider
/// always was), the rest in a grid. True when a value changed.
pub(super) fn params_ui(
    ui: &mut egui::Ui,
    id: &str,
    parameters: &'static [ParamSpec],
    values: &mut ParamValues,
) -> bool {
    let mut changed = false;
    for spec in parameters {
        if let ParamKind::Count {
            slider: Some(range),
            ..
        } = spec.kind
            && !is_unset(values, spec)
        {
            changed |= slider_ui(ui, spec, range, values);
        }
    }
    egui::Grid::new(("params", id))
        .num_columns(2)
        .show(ui, |ui| {
            for spec in parameters {
                let slid = matches!(
                    spec.kind,
                    ParamKind::Count {
                        slider: Some(_),
                        ..
                    }
                ) && !is_unset(values, spec);
                if !slid {
                    changed |= param_row_ui(ui, id, parameters, spec, values);
                }
            }
        });
    changed
}

/// True when the parameter has no value (optional, or replaced by its alternative).
fn is_unset(values: &ParamValues, spec: &ParamSpec) -> bool {
    values.get(spec.name).is_none_or(Value::is_null)
}

/// Sets `spec` to `value`, clearing its alternatives (and restoring the one it replaced
/// when it is cleared).
pub(super) fn set(info: &AlgorithmInfo, values: &mut ParamValues, spec: &ParamSpec, value: Value) {
    set_among(info.parameters, values, spec, value);
}

/// [`set`] among any declared parameters (an outlier detector's too).
pub(super) fn set_among(
    parameters: &[ParamSpec],
    values: &mut ParamValues,
    spec: &ParamSpec,
    value: Value,
) {
    let clearing = value.is_null();
    values.insert(spec.name.to_string(), value);
    for other in parameters {
        let alternative = other.replaces == Some(spec.name) || spec.replaces == Some(other.name);
        if !alternative {
            continue;
        }
        if clearing {
            // Something must stand in for a cleared required parameter.
            let needed = matches!(other.presence, Presence::Required(_) | Presence::Default(_))
                || matches!(spec.presence, Presence::Required(_) | Presence::Default(_));
            if needed && is_unset(values, other) {
                values.insert(other.name.to_string(), other.start_value());
            }
        } else {
            values.insert(other.name.to_string(), Value::Null);
        }
    }
}

fn slider_ui(
    ui: &mut egui::Ui,
    spec: &ParamSpec,
    (low, high): (u64, u64),
    values: &mut ParamValues,
) -> bool {
    let mut value = values.get(spec.name).and_then(Value::as_u64).unwrap_or(low);
    value = value.clamp(low, high);
    // Wide ranges on a log scale, so small counts (where each step matters) get most of
    // the track; the value box beside it takes a typed number.
    let logarithmic = high >= low.max(1).saturating_mul(20);
    let changed = ui
        .add(
            egui::Slider::new(&mut value, low..=high)
                .logarithmic(logarithmic)
                .text(label_of(spec.name)),
        )
        .on_hover_text(spec.help)
        .changed();
    if changed {
        values.insert(spec.name.to_string(), Value::from(value));
    }
    changed
}

/// One grid row: the label (a checkbox for parameters that may be unset) and its widget.
fn param_row_ui(
    ui: &mut egui::Ui,
    id: &str,
    parameters: &'static [ParamSpec],
    spec: &'static ParamSpec,
    values: &mut ParamValues,
) -> bool {
    let mut changed = false;
    let can_unset = matches!(spec.presence, Presence::Optional(_))
        || parameters.iter().any(|p| p.replaces == Some(spec.name));
    let label = if can_unset {
        let mut on = !is_unset(values, spec);
        let response = ui
            .checkbox(&mut on, label_of(spec.name))
            .on_hover_text(spec.help);
        if response.changed() {
            let value = if on { spec.start_value() } else { Value::Null };
            set_among(parameters, values, spec, value);
            changed = true;
        }
        response
    } else {
        ui.label(label_of(spec.name)).on_hover_text(spec.help)
    };
    if is_unset(values, spec) {
        ui.weak(match spec.presence {
            Presence::Optional(_) => "default",
            _ => "—",
        })
        .on_hover_text(spec.help);
        ui.end_row();
        return changed;
    }
    let value = values.get(spec.name).cloned().unwrap_or(Value::Null);
    let edited = match spec.kind {
        ParamKind::Count { min, max, .. } => {
            let mut v = value.as_u64().unwrap_or(min);
            let response = ui
                .add(
                    egui::DragValue::new(&mut v)
                        .range(min..=max.min(1 << 53))
                        .speed(0.2),
                )
                .labelled_by(label.id);
            response.changed().then(|| Value::from(v))
        }
        ParamKind::Seed => {
            let mut v = value.as_u64().unwrap_or(0);
            let response = ui
                .add(egui::DragValue::new(&mut v).speed(1.0))
                .labelled_by(label.id);
            response.changed().then(|| Value::from(v))
        }
        ParamKind::Real { range } => {
            let mut v = real::from_value(&value).unwrap_or(range.min);
            let low = if range.min_inclusive {
                range.min
            } else {
                range.min + f64::EPSILON.max(range.min.abs() * 1e-9).min(1e-6)
            };
            let high = if range.max.is_finite() {
                range.max
            } else {
                1e12
            };
            let speed = if v != 0.0 { v.abs() * 0.01 } else { 1e-5 };
            let response = ui
                .add(
                    egui::DragValue::new(&mut v)
                        .range(low..=high)
                        .speed(speed)
                        .max_decimals(6)
                        // Small values (a regularisation of 1e-6) would read as 0.00000.
                        .custom_formatter(|n, _| real_text(n))
                        .custom_parser(|text| text.trim().parse::<f64>().ok()),
                )
                .labelled_by(label.id);
            response.changed().then(|| real::to_value(v))
        }
        ParamKind::Choice { choices } => {
            let mut chosen = value.as_str().unwrap_or_default().to_string();
            let before = chosen.clone();
            let letters: usize = choices.iter().map(|c| c.value.len()).sum();
            if choices.len() <= 4 {
                // One line when they fit the 290-point pane, else one per line: a wrapped
                // row inside the grid overlaps the next row.
                let radios = |ui: &mut egui::Ui| {
                    for choice in choices {
                        ui.radio_value(&mut chosen, choice.value.to_string(), choice.value)
                            .on_hover_text(choice.help);
                    }
                };
                if letters <= 18 {
                    ui.horizontal(radios);
                } else {
                    ui.vertical(radios);
                }
            } else {
                egui::ComboBox::from_id_salt((id, spec.name))
                    .selected_text(chosen.clone())
                    .show_ui(ui, |ui| {
                        for choice in choices {
                            ui.selectable_value(
                                &mut chosen,
                                choice.value.to_string(),
                                choice.value,
                            )
                            .on_hover_text(choice.help);
                        }
                    });
            }
            (chosen != before).then(|| Value::from(chosen))
        }
        ParamKind::Switch => {
            let mut on = value.as_bool().unwrap_or(false);
            let response = ui.checkbox(&mut on, "").labelled_by(label.id);
            response.changed().then(|| Value::from(on))
        }
    };
    ui.end_row();
    if let Some(value) = edited {
        set_among(parameters, values, spec, value);
        changed = true;
    }
    changed
}

/// A real parameter as the widget shows it: up to 6 decimals, trailing zeros dropped, and
/// scientific notation below 10⁻³ so small values never read as 0.
fn real_text(n: f64) -> String {
    if n != 0.0 && n.abs() < 1e-3 {
        return format!("{n:e}");
    }
    let fixed = format!("{n:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() || trimmed == "-" {
        "0".into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The non-ASCII characters inside string literals of the window's source (comments
    /// skipped): each must have a glyph, or showing that text panics.
    fn literal_characters() -> std::collections::BTreeMap<char, String> {
        let mut found = std::collections::BTreeMap::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
        let mut folders = vec![root];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (number, line) in text.lines().enumerate() {
                    let code = line.trim_start();
                    if code.starts_with("//") || code.starts_with("#[") {
                        continue;
                    }
                    let mut inside = false;
                    let mut previous = ' ';
                    for c in line.chars() {
                        if c == '"' && previous != '\\' {
                            inside = !inside;
                        } else if inside && !c.is_ascii() {
                            found
                                .entry(c)
                                .or_insert_with(|| format!("{}:{}", path.display(), number + 1));
                        }
                        previous = c;
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_character_the_window_writes_has_a_glyph() {
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(Default::default(), |_| {});
        output.textures_delta.clear();
        let characters = literal_characters();
        assert!(characters.contains_key(&'…'), "the scan finds literals");
        for font in [
            egui::FontId::proportional(14.0),
            egui::FontId::monospace(14.0),
        ] {
            for (c, place) in &characters {
                let drawable = ctx.fonts_mut(|f| f.has_glyphs(&font, &c.to_string()));
                assert!(drawable, "no glyph for {c:?} (first used at {place})");
            }
        }
    }

    /// Every text the window shows from the declarations can be drawn by egui's fonts (a
    /// missing glyph is a panic when the tooltip first opens).
    #[test]
    fn declared_texts_have_glyphs_in_the_window_font() {
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(Default::default(), |_| {});
        output.textures_delta.clear();
        let font = egui::FontId::proportional(14.0);
        assert!(
            // (A CJK character: none of the bundled fonts has one.)
            !ctx.fonts_mut(|f| f.has_glyphs(&font, &char::from_u32(0x4E2D).unwrap().to_string())),
            "the check sees missing glyphs"
        );
        for info in infos() {
            let mut texts = vec![info.name.to_string(), info.summary.to_string()];
            for spec in info.parameters {
                texts.push(label_of(spec.name));
                texts.push(spec.help.to_string());
                if let ParamKind::Choice { choices } = spec.kind {
                    for choice in choices {
                        texts.push(choice.value.to_string());
                        texts.push(choice.help.to_string());
                    }
                }
            }
            for text in texts {
                let drawable = ctx.fonts_mut(|f| f.has_glyphs(&font, &text));
                assert!(
                    drawable,
                    "{}: no glyph for some character of {text:?}",
                    info.id
                );
            }
        }
    }
}
