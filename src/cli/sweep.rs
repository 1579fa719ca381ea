//! `clusterscope sweep`: run one algorithm over a range of one parameter (several seeds
//! per value) and print or write one row per (value, seed) with every internal score, the
//! cluster count, the noise share and the stabilities; the per-value means and the
//! suggested value follow (text and JSON).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::cluster::{algorithm_ids, algorithm_params, chosen_columns};
use super::flags::{ClusterFlags, flag_of, render_params_error};
use crate::cluster::{BackendChoice, ClusterError, Engine, find};
use crate::data::{self, Scaling};
use crate::metrics::summary::SilhouetteMode;
use crate::sweep::{self, ParamRange, SUGGESTION_RULE, SweepOptions, SweepPlan, value_text};

/// Scored rows up to which the silhouette is exact by default.
const EXACT_SILHOUETTE_ROWS: usize = 5_000;

#[derive(Debug, Args)]
pub struct SweepArgs {
    pub input: PathBuf,
    #[arg(long, default_value = "kmeans", value_parser = algorithm_ids())]
    pub algo: String,
    /// The parameter and its values: `k=2..12` (both ends included), `eps=0.1..1.0:0.1`
    /// (start, end, step), a list `min-points=5,10,20`, or for DBSCAN `eps=kdist[:N]`
    /// (N values, default 10, off the k-distance curve: the radii at which 50 % … 98 % of
    /// the rows are core points); by flag or parameter name.
    #[arg(long)]
    pub param: String,
    /// Runs per value, with seeds --seed, --seed + 1, … (algorithms without a seed run
    /// once).
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Feature columns, comma separated (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long, value_enum, default_value = "none")]
    pub scale: Scaling,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Above 5,000 scored rows the silhouette is estimated from this many rows (each
    /// against every row, with its 95 % interval); 0: always exact.
    #[arg(long = "silhouette-sample", default_value_t = 2_000)]
    pub silhouette_sample: usize,
    /// Print JSON (every run, the per-value means and the suggestion) instead of a table.
    #[arg(long, conflicts_with = "out")]
    pub json: bool,
    /// Write the runs as CSV here instead of printing them.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The parameters held fixed (each algorithm reads its own).
    #[command(flatten)]
    pub flags: ClusterFlags,
}

/// One row of the output.
#[derive(Serialize)]
struct RunRow {
    value: Value,
    seed: Option<u64>,
    n_clusters: usize,
    n_noise: usize,
    noise_share: f64,
    silhouette: Option<f64>,
    /// Half-width of the 95 % interval of a sampled silhouette (0: exact).
    silhouette_ci: Option<f64>,
    /// Rows the silhouette was estimated from (null: exact).
    silhouette_rows: Option<usize>,
    davies_bouldin: Option<f64>,
    calinski_harabasz: Option<f64>,
    /// The algorithm's objective (k-means: inertia; k-medoids: loss).
    objective: Option<f64>,
    ari_seeds: Option<f64>,
    ari_previous: Option<f64>,
    elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    score_error: Option<String>,
}

#[derive(Serialize)]
struct ValueRow {
    value: Value,
    silhouette: Option<f64>,
    davies_bouldin: Option<f64>,
    calinski_harabasz: Option<f64>,
    objective: Option<f64>,
    n_clusters: f64,
    noise_share: f64,
    ari_seeds: Option<f64>,
    ari_previous: Option<f64>,
}

#[derive(Serialize)]
struct SweepJson {
    input: String,
    algo: String,
    /// The flag swept (`k`), and its parameter name (`n_clusters`).
    param: String,
    parameter: &'static str,
    objective: Option<&'static str>,
    /// Where the runs ran (`cpu` or `gpu`).
    backend: String,
    n_rows: usize,
    n_used: usize,
    columns: Vec<String>,
    seeds: Vec<Option<u64>>,
    runs: Vec<RunRow>,
    per_value: Vec<ValueRow>,
    suggested: Option<Value>,
    suggestion_rule: &'static str,
}

/// A sweep's error with parameter names spelled as flags.
fn sweep_error(error: sweep::SweepError) -> anyhow::Error {
    match error.error {
        ClusterError::Params(ref e) => anyhow::anyhow!(
            "{}{}",
            error
                .at
                .as_ref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default(),
            render_params_error(e)
        ),
        _ => anyhow::Error::new(error),
    }
}

pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    if let Some(out) = &args.out {
        data::check_output(out, &["csv"])?;
        data::ensure_output_is_not_input(&args.input, out)?;
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let algorithm =
        find(&args.algo).ok_or_else(|| anyhow::anyhow!("unknown algorithm '{}'", args.algo))?;
    let info = algorithm.info();
    let range = ParamRange::parse(&args.param, info, &flag_of)
        .map_err(|e| anyhow::anyhow!("--param: {e}"))?;
    let fixed = algorithm_params(algorithm, &args.flags.0)?;
    let swept_flag = flag_of(range.spec.name);
    if fixed.values.contains_key(range.spec.name) {
        bail!("--{swept_flag} is swept by --param; leave the flag out");
    }
    let base_seed = fixed
        .values
        .get("seed")
        .and_then(Value::as_u64)
        .unwrap_or(42);
    let plan = SweepPlan::new(fixed, range, args.seeds, base_seed);
    if args.seeds > 1 && plan.seeds == [None] {
        eprintln!("warning: {} takes no seed; each value runs once", info.id);
    }
    // Every value's params are checked now, against the declared rules (the row count
    // is checked once the table is read).
    for value in &plan.range.values {
        let params = plan.params_for(value, plan.seeds[0]);
        algorithm
            .info()
            .complete(&params.values)
            .and_then(|values| algorithm.prepare(&values, None).map(|_| ()))
            .map_err(|e| {
                anyhow::anyhow!(
                    "{} = {}: {}",
                    swept_flag,
                    value_text(value),
                    render_params_error(&e)
                )
            })?;
    }

    let progress =
        super::progress::TerminalProgress::start(&format!("reading {}", args.input.display()));
    let (frame, _) = data::read_table_sheet(&args.input, args.sheet.as_deref())?;
    let columns = chosen_columns(&frame, args.columns.as_deref(), &args.input)?;
    let features = data::extract_features(&frame, &columns, args.scale)
        .with_context(|| format!("in {}", args.input.display()))?;
    if features.n_skipped() > 0 {
        eprintln!(
            "warning: {} of {} rows have a missing, NaN or infinite value in the chosen columns; \
             they are left out",
            features.n_skipped(),
            features.n_table_rows
        );
    }
    let points = Arc::new(features.matrix.clone());
    let mut engine = Engine::headless();
    let plan = if plan.range.from_kdistance.is_some() {
        progress.phase(&format!(
            "reading {swept_flag} values off the k-distance curve"
        ));
        let resolved = sweep::resolve(
            &mut engine,
            &points,
            &plan,
            args.backend,
            &progress.context(),
        )
        .map_err(sweep_error)?;
        eprintln!(
            "note: {swept_flag} = {} (kdist: where 50 % … 98 % of the rows are core points)",
            resolved.range.labels().join(", ")
        );
        resolved
    } else {
        plan
    };
    let estimated: f64 = plan
        .range
        .values
        .iter()
        .filter_map(|v| {
            plan.params_for(v, plan.seeds[0])
                .estimate(points.n_rows, points.n_cols)
                .ok()
        })
        .map(|e| e.cpu_seconds * plan.seeds.len() as f64)
        .sum();
    if estimated > 10.0 {
        eprintln!(
            "note: {} runs of {} on {} × {} are estimated to take {} on the CPU",
            plan.n_runs(),
            info.name,
            points.n_rows,
            points.n_cols,
            crate::cluster::cost::duration_text(estimated)
        );
    }
    let silhouette = if args.silhouette_sample == 0 {
        SilhouetteMode::Exact
    } else {
        SilhouetteMode::Estimate {
            exact_up_to: EXACT_SILHOUETTE_ROWS,
            sample: args.silhouette_sample,
            seed: base_seed,
        }
    };
    let options = SweepOptions {
        backend: args.backend,
        silhouette,
        keep_clusterings: false,
    };
    let context = progress.context();
    let outcome = sweep::run(
        &mut engine,
        &points,
        &plan,
        options,
        &context,
        &mut |done, total, run| {
            progress.phase(&format!(
                "{} run {done}/{total} ({swept_flag} = {})",
                info.name,
                value_text(&run.value)
            ));
            for warning in &run.warnings {
                eprintln!(
                    "warning: {swept_flag} = {}: {warning}",
                    value_text(&run.value)
                );
            }
        },
    )
    .map_err(sweep_error)?;
    drop(progress);

    let objective = outcome
        .runs
        .iter()
        .find_map(|r| r.objective.map(|o| o.name));
    let runs: Vec<RunRow> = outcome
        .runs
        .iter()
        .map(|r| {
            let scores = r.scores.as_ref().ok();
            RunRow {
                value: r.value.clone(),
                seed: r.seed,
                n_clusters: r.n_clusters,
                n_noise: r.n_noise,
                noise_share: r.noise_share(),
                silhouette: scores.map(|s| s.silhouette),
                silhouette_ci: scores.map(|s| s.silhouette_ci),
                silhouette_rows: scores.and_then(|s| s.sampled),
                davies_bouldin: scores.map(|s| s.davies_bouldin),
                calinski_harabasz: scores.map(|s| s.calinski_harabasz),
                objective: r.objective.map(|o| o.value),
                ari_seeds: r.ari_seeds,
                ari_previous: r.ari_previous,
                elapsed_ms: r.elapsed_ms,
                score_error: r.scores.as_ref().err().cloned(),
            }
        })
        .collect();
    let per_value: Vec<ValueRow> = outcome
        .values
        .iter()
        .map(|v| ValueRow {
            value: v.value.clone(),
            silhouette: v.silhouette,
            davies_bouldin: v.davies_bouldin,
            calinski_harabasz: v.calinski_harabasz,
            objective: v.objective,
            n_clusters: v.n_clusters,
            noise_share: v.noise_share,
            ari_seeds: v.ari_seeds,
            ari_previous: v.ari_previous,
        })
        .collect();
    let suggested = outcome.suggested.map(|i| outcome.values[i].value.clone());
    let report = SweepJson {
        input: args.input.display().to_string(),
        algo: info.id.to_string(),
        param: swept_flag.clone(),
        parameter: outcome.param,
        objective,
        backend: outcome
            .runs
            .first()
            .map_or("cpu", |r| r.backend.name())
            .to_string(),
        n_rows: features.n_table_rows,
        n_used: points.n_rows,
        columns: features.columns.clone(),
        seeds: plan.seeds.clone(),
        runs,
        per_value,
        suggested,
        suggestion_rule: SUGGESTION_RULE,
    };
    if let Some(out) = &args.out {
        let text = csv_text(&report);
        data::write_atomically(out, Some(&args.input), |file| {
            file.write_all(text.as_bytes()).map_err(|e| e.to_string())
        })?;
        print_suggestion(&report);
    } else if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table_text(&report));
        print_suggestion(&report);
    }
    Ok(())
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// The runs as CSV: one row per (value, seed), the swept flag naming the first column.
fn csv_text(report: &SweepJson) -> String {
    let objective = report.objective.unwrap_or("objective");
    let mut text = format!(
        "{},seed,n_clusters,n_noise,noise_share,silhouette,silhouette_ci,silhouette_rows,\
         davies_bouldin,calinski_harabasz,{objective},ari_seeds,ari_previous,elapsed_ms\n",
        report.param
    );
    for r in &report.runs {
        text.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3}\n",
            value_text(&r.value),
            r.seed.map(|s| s.to_string()).unwrap_or_default(),
            r.n_clusters,
            r.n_noise,
            r.noise_share,
            number(r.silhouette),
            number(r.silhouette_ci),
            r.silhouette_rows.map(|s| s.to_string()).unwrap_or_default(),
            number(r.davies_bouldin),
            number(r.calinski_harabasz),
            number(r.objective),
            number(r.ari_seeds),
            number(r.ari_previous),
            r.elapsed_ms
        ));
    }
    text
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

/// The per-value means as an aligned table.
fn table_text(report: &SweepJson) -> String {
    let mut text = format!(
        "{}: {} over {} ({} rows, {} seed{} per value)\n",
        report.input,
        report.algo,
        report.param,
        report.n_used,
        report.seeds.len(),
        if report.seeds.len() == 1 { "" } else { "s" }
    );
    text.push_str(&format!(
        "{:>10} {:>9} {:>7} {:>11} {:>11} {:>14} {:>14} {:>9} {:>9}\n",
        report.param,
        "clusters",
        "noise",
        "silhouette",
        "davies_b",
        "calinski_h",
        report.objective.unwrap_or("objective"),
        "ari_seeds",
        "ari_prev"
    ));
    for v in &report.per_value {
        text.push_str(&format!(
            "{:>10} {:>9} {:>7} {:>11} {:>11} {:>14} {:>14} {:>9} {:>9}\n",
            value_text(&v.value),
            format!("{:.1}", v.n_clusters),
            format!("{:.3}", v.noise_share),
            fixed(v.silhouette, 4),
            fixed(v.davies_bouldin, 4),
            fixed(v.calinski_harabasz, 1),
            fixed(v.objective, 2),
            fixed(v.ari_seeds, 3),
            fixed(v.ari_previous, 3)
        ));
    }
    text
}

fn print_suggestion(report: &SweepJson) {
    match &report.suggested {
        Some(value) => eprintln!(
            "suggested: {} = {} ({SUGGESTION_RULE})",
            report.param,
            value_text(value)
        ),
        None => eprintln!("no suggestion: no value gave 2 or more clusters to score"),
    }
}
