//! `clusterscope profile`: what each cluster of a labelled table is (`crate::profile`):
//! sizes and shares, every column's summary per cluster, columns ordered by how much they
//! separate the clusters, and each cluster's most distinguishing columns.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::labels::{is_noise, label_texts};
use crate::data;
use crate::metrics::external::dense_ids;
use crate::profile::{ColumnStats, Groups, Profile, profile};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    pub input: PathBuf,
    /// The column holding the cluster labels (noise: -1).
    #[arg(long)]
    pub labels: String,
    /// The columns to profile (default: every column but the labels).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// The sheet of a workbook to read.
    #[arg(long)]
    pub sheet: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "out")]
    pub json: bool,
    /// Write one row per (column, cluster) as CSV here instead of printing.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ProfileArgs) -> anyhow::Result<()> {
    if let Some(out) = &args.out {
        data::check_output(out, &["csv"])?;
        data::ensure_output_is_not_input(&args.input, out)?;
    }
    let (frame, _) = data::read_table_sheet(&args.input, args.sheet.as_deref())?;
    let labels = label_texts(&frame, &args.labels, &args.input)?;
    let frame = match &args.columns {
        None => frame,
        Some(columns) => {
            let mut chosen: Vec<String> = columns.iter().map(|c| c.trim().to_string()).collect();
            for c in &chosen {
                if frame.column(c).is_err() {
                    bail!("{} has no column '{c}'", args.input.display());
                }
            }
            chosen.retain(|c| c != &args.labels);
            frame.select(chosen)?
        }
    };
    let present: Vec<&str> = labels.iter().flatten().map(String::as_str).collect();
    if present.is_empty() {
        bail!(
            "{}: column '{}' has no labels",
            args.input.display(),
            args.labels
        );
    }
    let (present_ids, names) = dense_ids(&present);
    let mut next = present_ids.into_iter();
    let of_row = labels
        .iter()
        .map(|l| l.as_ref().map(|_| next.next().expect("one id per label")))
        .collect();
    let noise = names.iter().position(|n| is_noise(n)).map(|i| i as u32);
    let groups = Groups {
        of_row,
        names,
        noise,
    };
    let profile = profile(&frame, &groups, &[args.labels.as_str()])
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.input.display()))?;
    if let Some(out) = &args.out {
        let text = csv_text(&profile);
        data::write_atomically(out, Some(&args.input), |file| {
            file.write_all(text.as_bytes()).map_err(|e| e.to_string())
        })?;
    } else if args.json {
        println!("{}", serde_json::to_string_pretty(&profile)?);
    } else {
        print!("{}", text(&profile, &args.labels));
    }
    Ok(())
}

fn number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per (column, cluster), columns most separating first.
fn csv_text(p: &Profile) -> String {
    let mut out = String::from(
        "column,kind,cluster,size,share,count,mean,std,min,q1,median,q3,max,top_categories,\
         statistic,statistic_value,separation\n",
    );
    for column in &p.columns {
        for (g, cluster) in p.clusters.iter().enumerate() {
            let (kind, stats, top, statistic, value) = match &column.stats {
                ColumnStats::Numeric { f, groups, .. } => {
                    let s = &groups[g];
                    (
                        "numeric",
                        format!(
                            "{},{},{},{},{},{},{},{}",
                            s.count,
                            number(s.mean),
                            number(s.std),
                            number(s.min),
                            number(s.q1),
                            number(s.median),
                            number(s.q3),
                            number(s.max)
                        ),
                        String::new(),
                        "anova_f",
                        *f,
                    )
                }
                ColumnStats::Categorical {
                    chi_squared,
                    groups,
                    ..
                } => {
                    let count: usize = groups[g].iter().map(|c| c.count).sum();
                    let top = groups[g]
                        .iter()
                        .map(|c| format!("{} ({})", c.value, c.count))
                        .collect::<Vec<_>>()
                        .join("; ");
                    (
                        "categorical",
                        format!("{count},,,,,,,"),
                        top,
                        "chi_squared",
                        *chi_squared,
                    )
                }
            };
            out.push_str(&format!(
                "{},{kind},{},{},{},{stats},{},{statistic},{},{}\n",
                field(&column.name),
                field(&cluster.name),
                cluster.size,
                cluster.share,
                field(&top),
                number(value),
                number(column.separation())
            ));
        }
    }
    out
}

fn fixed(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into())
}

fn text(p: &Profile, labels: &str) -> String {
    let mut out = format!(
        "{} rows, {} labelled by '{labels}', {} clusters\n",
        p.rows,
        p.labelled,
        p.clusters.iter().filter(|c| !c.noise).count()
    );
    for c in &p.clusters {
        out.push_str(&format!(
            "  {} {}: {} rows ({:.1} %)",
            if c.noise { "noise" } else { "cluster" },
            c.name,
            c.size,
            100.0 * c.share
        ));
        let apart: Vec<String> = c
            .distinguishing
            .iter()
            .map(|d| format!("{} {:+.2} sd", d.column, d.standardised_difference))
            .collect();
        if !apart.is_empty() {
            out.push_str(&format!("; set apart by {}", apart.join(", ")));
        }
        out.push('\n');
    }
    for column in &p.columns {
        match &column.stats {
            ColumnStats::Numeric {
                f,
                eta_squared,
                groups,
            } => {
                out.push_str(&format!(
                    "\n{} (numeric; ANOVA F {}, eta² {})\n",
                    column.name,
                    fixed(*f),
                    fixed(*eta_squared)
                ));
                out.push_str(&format!(
                    "  {:>12} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
                    "cluster", "count", "mean", "std", "min", "q1", "median", "q3", "max"
                ));
                for (c, s) in p.clusters.iter().zip(groups) {
                    out.push_str(&format!(
                        "  {:>12} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
                        c.name,
                        s.count,
                        fixed(s.mean),
                        fixed(s.std),
                        fixed(s.min),
                        fixed(s.q1),
                        fixed(s.median),
                        fixed(s.q3),
                        fixed(s.max)
                    ));
                }
            }
            ColumnStats::Categorical {
                chi_squared,
                cramers_v,
                n_categories,
                groups,
            } => {
                out.push_str(&format!(
                    "\n{} (categorical, {n_categories} values; chi² {}, Cramér's V {})\n",
                    column.name,
                    fixed(*chi_squared),
                    fixed(*cramers_v)
                ));
                for (c, top) in p.clusters.iter().zip(groups) {
                    let top: Vec<String> = top
                        .iter()
                        .map(|t| format!("{} {:.0} %", t.value, 100.0 * t.share))
                        .collect();
                    out.push_str(&format!("  {:>12} {}\n", c.name, top.join(", ")));
                }
            }
        }
        if column.missing > 0 {
            out.push_str(&format!(
                "  ({} labelled rows have no value)\n",
                column.missing
            ));
        }
    }
    out
}
