//! `clusterscope algorithms`: every registered algorithm with its declared parameters
//! and GPU passes, as text or JSON.

use serde::Serialize;
use serde_json::Value;

use super::flags::flag_of;
use crate::cluster::params::{ParamKind, ParamSpec, Presence, value_name};
use crate::cluster::{AlgorithmInfo, Family, StructureKind, infos};

/// One algorithm in the listing.
#[derive(Serialize)]
struct Listed {
    id: &'static str,
    name: &'static str,
    family: Family,
    summary: &'static str,
    parameters: Vec<ListedParameter>,
    gpu_passes: Vec<&'static str>,
    structures: &'static [StructureKind],
}

#[derive(Serialize)]
struct ListedParameter {
    flag: String,
    #[serde(flatten)]
    spec: &'static ParamSpec,
    /// The value used when the flag is not given (null: the algorithm decides, or the
    /// flag is required).
    default: Value,
    required: bool,
}

fn listed(info: &'static AlgorithmInfo) -> Listed {
    Listed {
        id: info.id,
        name: info.name,
        family: info.family,
        summary: info.summary,
        parameters: info
            .parameters
            .iter()
            .map(|spec| ListedParameter {
                flag: format!("--{}", flag_of(spec.name)),
                spec,
                default: spec.default_value(),
                required: matches!(spec.presence, Presence::Required(_)),
            })
            .collect(),
        gpu_passes: info.gpu_passes.iter().map(|p| p.label).collect(),
        structures: info.structures,
    }
}

/// "count ≥ 1", "real in (0, inf)", "one of a|b".
fn kind_text(spec: &ParamSpec) -> String {
    match spec.kind {
        ParamKind::Count { min, max, .. } if max == u64::MAX => format!("count >= {min}"),
        ParamKind::Count { min, max, .. } => format!("count in {min}..={max}"),
        ParamKind::Real { range } => format!(
            "real in {}{}, {}{}",
            if range.min_inclusive { "[" } else { "(" },
            range.min,
            range.max,
            if range.max_inclusive { "]" } else { ")" }
        ),
        ParamKind::Choice { .. } => format!("one of {}", value_name(spec)),
        ParamKind::Seed => "seed".into(),
        ParamKind::Switch => "switch".into(),
    }
}

fn default_text(spec: &ParamSpec) -> String {
    match spec.presence {
        Presence::Default(_) => match spec.default_value() {
            Value::String(text) => format!("default {text}"),
            other => format!("default {other}"),
        },
        Presence::Optional(_) => "optional".into(),
        Presence::Required(_) => "required".into(),
    }
}

pub fn run(json: bool) -> anyhow::Result<()> {
    let all: Vec<Listed> = infos().map(listed).collect();
    if json {
        println!("{}", serde_json::to_string(&all)?);
        return Ok(());
    }
    for algorithm in &all {
        println!(
            "{} — {} ({}): {}",
            algorithm.id,
            algorithm.name,
            algorithm.family.name(),
            algorithm.summary
        );
        for p in &algorithm.parameters {
            println!(
                "    {:<22} {:<26} {:<14} {}",
                p.flag,
                kind_text(p.spec),
                default_text(p.spec),
                p.spec.help
            );
        }
        if algorithm.gpu_passes.is_empty() {
            println!("    GPU passes: none (CPU only)");
        } else {
            println!("    GPU passes: {}", algorithm.gpu_passes.join(", "));
        }
        println!();
    }
    Ok(())
}
