//! The values a sweep tries, parsed from `NAME=SPEC` against the algorithm's declared
//! parameter: `2..12` (whole numbers, both ends included), `0.1..0.5:0.1` (a start, an end
//! and a step), or a list `0.1,0.2,0.5` (`ward,average` for a choice).

use serde_json::Value;

use crate::cluster::AlgorithmInfo;
use crate::cluster::params::{ParamKind, ParamSpec, real};

/// Most values one sweep may try (each is a full run per seed).
pub const MAX_VALUES: usize = 1_000;

/// One parameter and the values to try, in order.
#[derive(Clone, Debug)]
pub struct ParamRange {
    pub spec: &'static ParamSpec,
    /// As stored in `ParamValues`.
    pub values: Vec<Value>,
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
        Ok(Self { spec, values })
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
    fn choices_are_swept_over_lists_of_declared_words() {
        let range = parse("agglomerative", "linkage=ward,average").unwrap();
        assert_eq!(range.labels(), ["ward", "average"]);
        assert!(parse("agglomerative", "linkage=ward,nearest").is_err());
    }
}
