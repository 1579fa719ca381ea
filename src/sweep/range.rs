//! The values a sweep tries, parsed from `NAME=SPEC` against the algorithm's declared
//! parameter: `2..12` (whole numbers, both ends included), `0.1..0.5:0.1` (a start, an end
//! and a step), a list `0.1,0.2,0.5` (`ward,average` for a choice), or, for the
//! radius a k-distance plot steers (DBSCAN's eps), `kdist` / `kdist:N`: N values read off
//! the data's own k-distance curve once the points are known ([`KDistanceQuantiles`]).

use serde_json::Value;

use crate::cluster::params::{ParamKind, ParamSpec, real};
use crate::cluster::{AlgorithmInfo, StructureKind};

/// Most values one sweep may try (each is a full run per seed).
pub const MAX_VALUES: usize = 1_000;

/// Values from `kdist` taken by default.
pub const KDIST_VALUES: usize = 10;
/// The shares of rows that are core points at the first and the last `kdist` value.
pub const KDIST_CORE_SHARES: (f64, f64) = (0.5, 0.98);

/// Values still to be read off the k-distance curve (each row's distance to its
/// `min_points`-th neighbour, itself counted): `count` radii at which 50 % … 98 % of the
/// rows are core points, evenly spaced in that share. Below half the rows are noise; the
/// knee an analyst looks for on the plot sits in this span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KDistanceQuantiles {
    pub count: usize,
}

/// One parameter and the values to try, in order.
#[derive(Clone, Debug)]
pub struct ParamRange {
    pub spec: &'static ParamSpec,
    /// As stored in `ParamValues`; empty until resolved when `from_kdistance` is set.
    pub values: Vec<Value>,
    /// `kdist[:N]`: the values come from the data (see `crate::sweep::resolve`).
    pub from_kdistance: Option<KDistanceQuantiles>,
}

impl ParamRange {
    /// `text` is `NAME=SPEC`; NAME is the parameter's name or its flag (`k` or
    /// `n_clusters`). `flag_of` spells a parameter name as the caller shows it.
    pub fn parse(
        text: &str,
        algorithm: &'static AlgorithmInfo,
        flag_of: &dyn Fn(&str) -> String,
    ) -> Result<Self, String> {
        let (name, spec_text) = text.split_once('=').ok_or_else(|| {
            format!("'{text}' is not NAME=VALUES (for example k=2..12 or eps=0.1..1.0:0.1)")
        })?;
        let name = name.trim().trim_start_matches("--");
        let spec = algorithm
            .parameters
            .iter()
            .find(|s| s.name == name || flag_of(s.name) == name || s.name == name.replace('-', "_"))
            .ok_or_else(|| {
                let names: Vec<String> = algorithm
                    .parameters
                    .iter()
                    .filter(|s| sweepable(s))
                    .map(|s| flag_of(s.name))
                    .collect();
                format!(
                    "{} has no parameter '{name}' to sweep (it has {})",
                    algorithm.id,
                    names.join(", ")
                )
            })?;
        if !sweepable(spec) {
            return Err(format!(
                "'{name}' cannot be swept: sweep a number or a choice (seeds are set by --seeds)"
            ));
        }
        if let Some(count) = kdist_count(spec_text.trim()) {
            let count = count.map_err(|e| format!("{name}: {e}"))?;
            let steered = algorithm
                .structures
                .iter()
                .any(|s| *s == StructureKind::KDistance && s.steers() == Some(spec.name));
            if !steered {
                return Err(format!(
                    "{name}: 'kdist' reads a k-distance curve, which {} does not draw for '{name}'; give START..END:STEP or a list",
                    algorithm.id
                ));
            }
            return Ok(Self {
                spec,
                values: Vec::new(),
                from_kdistance: Some(KDistanceQuantiles { count }),
            });
        }
        let values = parse_values(spec_text.trim(), spec).map_err(|e| format!("{name}: {e}"))?;
        if values.is_empty() {
            return Err(format!("{name}: the range '{spec_text}' holds no value"));
        }
        if values.len() > MAX_VALUES {
            return Err(format!(
                "{name}: the range '{spec_text}' holds {} values; at most {MAX_VALUES}",
                values.len()
            ));
        }
        for value in &values {
            spec.check_value(value).map_err(|e| {
                e.render(|n, v, _| match v {
                    Some(v) => format!("--{} {v}", flag_of(n)),
                    None => format!("--{}", flag_of(n)),
                })
            })?;
        }
        Ok(Self {
            spec,
            values,
            from_kdistance: None,
        })
    }

    /// Values in the range: the resolved ones, or as many as `kdist:N` will give at most.
    pub fn len(&self) -> usize {
        match self.from_kdistance {
            Some(q) if self.values.is_empty() => q.count,
            _ => self.values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as text, for tables and plots.
    pub fn labels(&self) -> Vec<String> {
        self.values.iter().map(value_text).collect()
    }
}

/// A parameter value as text: numbers as written, choices bare.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `kdist` or `kdist:N` (2 ≤ N ≤ 100); None for any other text.
fn kdist_count(text: &str) -> Option<Result<usize, String>> {
    let rest = text.strip_prefix("kdist")?;
    if rest.is_empty() {
        return Some(Ok(KDIST_VALUES));
    }
    let count = rest.strip_prefix(':')?;
    Some(
        count
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|c| (2..=100).contains(c))
            .ok_or_else(|| format!("'kdist:{count}': give 2 to 100 values (kdist:10)")),
    )
}

/// `count` radii off a k-distance curve (any order): at core shares evenly spaced over
/// [`KDIST_CORE_SHARES`], rounded to 3 significant digits, positive, ascending, distinct.
pub fn kdistance_values(curve: &[f64], count: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = curve.iter().copied().filter(|d| d.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return Vec::new();
    }
    let (low, high) = KDIST_CORE_SHARES;
    let mut values: Vec<f64> = (0..count)
        .map(|i| {
            let share = low + (high - low) * i as f64 / (count.max(2) - 1) as f64;
            // The smallest radius that makes `share` of the rows core: the row at that rank.
            let rank =
                ((share * sorted.len() as f64 - 1e-9).ceil() as usize).clamp(1, sorted.len());
            significant(sorted[rank - 1], 3)
        })
        .filter(|&v| v > 0.0)
        .collect();
    values.dedup();
    values
}

/// `v` to `digits` significant digits, rounded up so the row at the rank stays core.
fn significant(v: f64, digits: i32) -> f64 {
    if v <= 0.0 {
        return v;
    }
    let scale = 10f64.powi(digits - v.log10().floor() as i32 - 1);
    round((v * scale * (1.0 - 1e-12)).ceil() / scale)
}

fn sweepable(spec: &ParamSpec) -> bool {
    matches!(
        spec.kind,
        ParamKind::Count { .. } | ParamKind::Real { .. } | ParamKind::Choice { .. }
    )
}

fn parse_values(text: &str, spec: &ParamSpec) -> Result<Vec<Value>, String> {
    if let Some((start, rest)) = text.split_once("..") {
        let (end, step) = match rest.split_once(':') {
            Some((end, step)) => (end, Some(step)),
            None => (rest, None),
        };
        return match spec.kind {
            ParamKind::Count { .. } => {
                let whole = |t: &str| {
                    t.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("'{t}' is not a whole number"))
                };
                let (start, end) = (whole(start)?, whole(end)?);
                let step = step.map(whole).transpose()?.unwrap_or(1);
                if step == 0 {
                    return Err("the step cannot be 0".into());
                }
                if end < start {
                    return Err(format!("the range ends ({end}) before it starts ({start})"));
                }
                let count = (end - start) / step + 1;
                if count > MAX_VALUES as u64 {
                    return Err(format!(
                        "the range holds {count} values; at most {MAX_VALUES}"
                    ));
                }
                Ok((0..count).map(|i| Value::from(start + i * step)).collect())
            }
            ParamKind::Real { .. } => {
                let number = |t: &str| {
                    t.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| format!("'{t}' is not a finite number"))
                };
                let (start, end) = (number(start)?, number(end)?);
                let step = step
                    .ok_or("give a step for a range of real numbers: START..END:STEP")
                    .and_then(|s| number(s).map_err(|_| "the step is not a finite number"))?;
                if step <= 0.0 {
                    return Err("the step must be positive".into());
                }
                if end < start {
                    return Err(format!("the range ends ({end}) before it starts ({start})"));
                }
                // Counted, not accumulated, so 0.1..0.5:0.1 ends at 0.5, not 0.4999….
                let count = ((end - start) / step + 1e-9).floor() + 1.0;
                if count > MAX_VALUES as f64 {
                    return Err(format!(
                        "the range holds {count} values; at most {MAX_VALUES}"
                    ));
                }
                Ok((0..count as usize)
                    .map(|i| real::to_value(round(start + i as f64 * step)))
                    .collect())
            }
            _ => Err("a choice is swept over a list: a,b,c".into()),
        };
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            match spec.kind {
                ParamKind::Count { .. } => item
                    .parse::<u64>()
                    .map(Value::from)
                    .map_err(|_| format!("'{item}' is not a whole number")),
                ParamKind::Real { .. } => item
                    .parse::<f64>()
                    .map(real::to_value)
                    .map_err(|_| format!("'{item}' is not a number")),
                _ => Ok(Value::from(item)),
            }
        })
        .collect()
}

/// Drops the float noise of `start + i·step` (12 significant digits).
fn round(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::find;

    fn flag(name: &str) -> String {
        crate::cli::flag_of(name)
    }

    fn parse(algo: &str, text: &str) -> Result<ParamRange, String> {
        ParamRange::parse(text, find(algo).unwrap().info(), &flag)
    }

    #[test]
    fn whole_ranges_include_both_ends() {
        let range = parse("kmeans", "k=2..5").unwrap();
        assert_eq!(range.spec.name, "n_clusters");
        assert_eq!(range.labels(), ["2", "3", "4", "5"]);
        let by_name = parse("kmeans", "n_clusters=2..10:4").unwrap();
        assert_eq!(by_name.labels(), ["2", "6", "10"]);
    }

    #[test]
    fn real_ranges_need_a_step_and_end_where_they_say() {
        let range = parse("dbscan", "eps=0.1..0.5:0.1").unwrap();
        assert_eq!(range.labels(), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
        let error = parse("dbscan", "eps=0.1..0.5").unwrap_err();
        assert!(error.contains("START..END:STEP"), "{error}");
        assert_eq!(parse("dbscan", "eps=0.5,1,2").unwrap().values.len(), 3);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        assert!(
            parse("kmeans", "k=5..2")
                .unwrap_err()
                .contains("before it starts")
        );
        assert!(
            parse("kmeans", "k=2..x")
                .unwrap_err()
                .contains("'x' is not a whole number")
        );
        assert!(parse("kmeans", "k=0..3").unwrap_err().contains("k"));
        assert!(
            parse("kmeans", "eps=1..2")
                .unwrap_err()
                .contains("no parameter 'eps'")
        );
        assert!(
            parse("kmeans", "seed=1..3")
                .unwrap_err()
                .contains("--seeds")
        );
        assert!(parse("kmeans", "k").unwrap_err().contains("NAME=VALUES"));
        assert!(
            parse("kmeans", "k=1..100000")
                .unwrap_err()
                .contains("at most")
        );
    }

    #[test]
    fn kdist_is_for_the_radius_a_kdistance_plot_steers() {
        let range = parse("dbscan", "eps=kdist").unwrap();
        assert_eq!(range.from_kdistance, Some(KDistanceQuantiles { count: 10 }));
        assert_eq!(range.len(), 10);
        assert_eq!(parse("dbscan", "eps=kdist:4").unwrap().len(), 4);
        assert!(
            parse("dbscan", "eps=kdist:1")
                .unwrap_err()
                .contains("2 to 100")
        );
        assert!(
            parse("dbscan", "eps=kdist:x")
                .unwrap_err()
                .contains("2 to 100")
        );
        let error = parse("optics", "xi=kdist").unwrap_err();
        assert!(error.contains("does not draw"), "{error}");
        assert!(parse("kmeans", "k=kdist").is_err());
    }

    #[test]
    fn kdistance_values_are_the_curve_at_evenly_spaced_core_shares() {
        // 100 rows at distances 0.01, 0.02, …, 1.00: the share s makes rank ⌈100 s⌉ core.
        let curve: Vec<f64> = (1..=100).rev().map(|i| i as f64 / 100.0).collect();
        assert_eq!(kdistance_values(&curve, 2), [0.5, 0.98]);
        assert_eq!(kdistance_values(&curve, 5), [0.5, 0.62, 0.74, 0.86, 0.98]);
        // Ties and zeros (duplicate rows) are dropped, not repeated.
        let flat = vec![0.0, 0.0, 0.25, 0.25, 0.25, 0.25];
        assert_eq!(kdistance_values(&flat, 4), [0.25]);
        // Rounded up to 3 digits, so the rank's own row stays a core point.
        assert_eq!(kdistance_values(&[0.123_41, 0.123_41], 2), [0.124]);
        assert!(kdistance_values(&[], 3).is_empty());
    }

    #[test]
    fn choices_are_swept_over_lists_of_declared_words() {
        let range = parse("agglomerative", "linkage=ward,average").unwrap();
        assert_eq!(range.labels(), ["ward", "average"]);
        assert!(parse("agglomerative", "linkage=ward,nearest").is_err());
    }
}
