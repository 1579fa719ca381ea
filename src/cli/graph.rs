//! `clusterscope graph`: communities of an edge list (CSV/TSV/Parquet/JSON/IPC tables,
//! whitespace edge lists, GraphML), written one row per node (`node`, `community`, then
//! the node table's columns), with an optional layout (`node,x,y`) and a JSON summary.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::{Args, ValueEnum};
use polars::prelude::{Column, DataFrame, DataType, NamedFrom, Series};
use serde::Serialize;
use serde_json::Value;

use super::cluster::cli_error;
use super::progress::TerminalProgress;
use crate::cluster::community::{self, Method, Objective};
use crate::cluster::{BackendChoice, Engine, ParamValues};
use crate::data;
use crate::graph::layout::{Layout, LayoutGraph};
use crate::graph::read::{EdgeColumns, read_graph};

/// The community searches `--algo` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphAlgorithm {
    Leiden,
    Louvain,
    #[value(name = "label-propagation")]
    LabelPropagation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObjectiveFlag {
    Modularity,
    Cpm,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The edge list: a table (.csv, .tsv, .parquet, .json, .arrow…) with a source and a
    /// target column (and optionally a weight), a whitespace edge list (.edges, .el,
    /// .txt) or GraphML (.graphml).
    pub edges: PathBuf,
    #[arg(long, value_enum)]
    pub algo: GraphAlgorithm,
    /// Higher: more, smaller communities (modularity's γ; CPM's density). Leiden, Louvain.
    #[arg(long, default_value_t = 1.0)]
    pub resolution: f64,
    /// What Leiden and Louvain maximise.
    #[arg(long, value_enum, default_value = "modularity")]
    pub objective: ObjectiveFlag,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Leiden passes, each from the last one's result; 0 = until the quality stops rising.
    #[arg(long = "n-iterations", default_value_t = 0)]
    pub n_iterations: usize,
    /// Label propagation: sweeps at most.
    #[arg(long = "max-iterations", default_value_t = 100)]
    pub max_iterations: usize,
    /// The source column (default: source, src, from… or the first column).
    #[arg(long = "source-column")]
    pub source_column: Option<String>,
    /// The target column (default: target, dst, to… or the second column).
    #[arg(long = "target-column")]
    pub target_column: Option<String>,
    /// The weight column (default: weight, w or value when there is one; else every
    /// edge weighs 1). In GraphML, the edge data key's name.
    #[arg(long = "weight-column")]
    pub weight_column: Option<String>,
    /// A node table joined by id: its columns follow `community` in the output, and its
    /// nodes without edges are kept (each its own community).
    #[arg(long)]
    pub nodes: Option<PathBuf>,
    /// The node table's id column (default: node, id, name or the first column).
    #[arg(long = "node-column")]
    pub node_column: Option<String>,
    /// One row per node: node, community (.csv, .tsv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write a force-directed layout, `node,x,y` per node (.csv).
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// Layout steps at most (it stops earlier once settled).
    #[arg(long = "layout-steps", default_value_t = 500)]
    pub layout_steps: usize,
    /// Where the layout's steps run.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Print one JSON line describing the run on stdout.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
}

#[derive(Serialize)]
struct GraphSummary {
    algo: &'static str,
    n_nodes: usize,
    n_edges: usize,
    /// Edge lines read, before duplicates were merged.
    input_edges: usize,
    n_communities: usize,
    /// Modularity at resolution 1 (networkx's `modularity`).
    modularity: f64,
    /// The objective maximised at the resolution asked (CPM's H, or modularity at γ).
    quality: Option<f64>,
    objective: Option<&'static str>,
    resolution: Option<f64>,
    community_sizes: Vec<usize>,
    /// Connected components of the graph.
    components: usize,
    /// Communities in several disconnected pieces in the search's own result (Leiden
    /// splits them; its output has none).
    disconnected: usize,
    iterations: usize,
    converged: bool,
    columns: String,
    layout_steps: Option<usize>,
    layout_backend: Option<String>,
    elapsed_ms: f64,
}

impl GraphArgs {
    fn method(&self) -> Method {
        let objective = match self.objective {
            ObjectiveFlag::Modularity => Objective::Modularity,
            ObjectiveFlag::Cpm => Objective::Cpm,
        };
        match self.algo {
            GraphAlgorithm::Leiden => Method::Leiden {
                objective,
                resolution: self.resolution,
                n_iterations: self.n_iterations,
            },
            GraphAlgorithm::Louvain => Method::Louvain {
                objective,
                resolution: self.resolution,
            },
            GraphAlgorithm::LabelPropagation => Method::LabelPropagation {
                max_iterations: self.max_iterations,
            },
        }
    }
}

pub fn run(args: &GraphArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    data::check_output(&args.out, &["csv", "tsv", "parquet"])?;
    data::ensure_output_is_not_input(&args.edges, &args.out)?;
    if let Some(layout) = &args.layout {
        data::check_output(layout, &["csv"])?;
        data::ensure_output_is_not_input(&args.edges, layout)?;
        if *layout == args.out {
            bail!(
                "--layout and --out name the same file: {}",
                layout.display()
            );
        }
    }
    let method = args.method();
    method
        .check()
        .map_err(|e| anyhow::anyhow!(super::flags::render_params_error(&e)))?;
    let progress = TerminalProgress::start("reading the graph");
    let columns = EdgeColumns {
        source: args.source_column.clone(),
        target: args.target_column.clone(),
        weight: args.weight_column.clone(),
    };
    let nodes = args
        .nodes
        .as_deref()
        .map(|path| (path, args.node_column.as_deref()));
    let input = read_graph(&args.edges, &columns, nodes)?;
    let graph = &input.graph;
    graph
        .check_clusterable()
        .map_err(|e| anyhow::anyhow!("{e}: {}", args.edges.display()))?;
    let context = progress.context();
    let found = community::detect(graph, &method, args.seed, &context).map_err(cli_error)?;
    for warning in &found.warnings {
        eprintln!("warning: {warning}");
    }
    let (_, components) = graph.components();

    let mut layout_run = None;
    if let Some(path) = &args.layout {
        progress.phase("laying the graph out");
        let mut engine = Engine::headless();
        let gpu = match engine.resolve(args.backend).map_err(cli_error)? {
            crate::cluster::Backend::Gpu => Some(engine.gpu().map_err(cli_error)?),
            crate::cluster::Backend::Cpu => None,
        };
        let mut layout = Layout::new(LayoutGraph::new(graph), args.seed, gpu.as_ref());
        while layout.steps < args.layout_steps && !layout.settled() {
            let batch = (args.layout_steps - layout.steps).min(50);
            layout.run(batch)?;
        }
        let text = layout.to_csv(graph);
        data::write_atomically(path, Some(&args.edges), |file| {
            use std::io::Write;
            file.write_all(text.as_bytes()).map_err(|e| e.to_string())
        })?;
        layout_run = Some((layout.steps, layout.backend_name()));
    }

    progress.phase("writing the communities");
    let frame = node_frame(&graph.nodes);
    let mut added = vec![Column::new(
        "community".into(),
        found.labels.iter().map(|&l| l as i64).collect::<Vec<_>>(),
    )];
    if let Some(attributes) = &input.attributes {
        // The node table's columns in node order (its id column is `node` already).
        let id_column = attributes
            .get_column_names()
            .first()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let id_column = args.node_column.clone().unwrap_or(id_column);
        for column in attributes.columns() {
            let name = column.name().to_string();
            if name == id_column || name == "node" || name == "community" {
                continue;
            }
            added.push(column.clone());
        }
    }
    let provenance = provenance(args, &input.columns_used, &found)?;
    data::write_with_columns(&frame, added, None, Some(&provenance), &args.out)?;
    drop(progress);
    if args.summary_json {
        let (objective, resolution) = match method {
            Method::Leiden {
                objective,
                resolution,
                ..
            }
            | Method::Louvain {
                objective,
                resolution,
            } => (
                Some(match objective {
                    Objective::Modularity => "modularity",
                    Objective::Cpm => "cpm",
                }),
                Some(resolution),
            ),
            Method::LabelPropagation { .. } => (None, None),
        };
        let summary = GraphSummary {
            algo: method.id(),
            n_nodes: graph.n_nodes(),
            n_edges: graph.n_edges(),
            input_edges: graph.input_edges,
            n_communities: found.n_communities,
            modularity: found.modularity,
            quality: found.quality,
            objective,
            resolution,
            community_sizes: found.sizes.clone(),
            components,
            disconnected: found.disconnected,
            iterations: found.iterations,
            converged: found.converged,
            columns: input.columns_used.clone(),
            layout_steps: layout_run.as_ref().map(|(steps, _)| *steps),
            layout_backend: layout_run.map(|(_, backend)| backend),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

/// The `node` column: integers when every id is one (as the input spelled them), text
/// otherwise.
fn node_frame(nodes: &[String]) -> DataFrame {
    let integers: Option<Vec<i64>> = nodes
        .iter()
        .map(|id| id.parse::<i64>().ok().filter(|v| v.to_string() == *id))
        .collect();
    let column = match integers {
        Some(values) => Series::new("node".into(), values),
        None => Series::new("node".into(), nodes.to_vec()),
    };
    debug_assert!(matches!(column.dtype(), DataType::Int64 | DataType::String));
    DataFrame::new(nodes.len(), vec![column.into()]).expect("one column of the nodes' length")
}

fn provenance(
    args: &GraphArgs,
    columns_used: &str,
    found: &community::Communities,
) -> anyhow::Result<data::Provenance> {
    let mut params = ParamValues::new();
    let method = args.method();
    match method {
        Method::Leiden { n_iterations, .. } => {
            params.insert("n_iterations".into(), Value::from(n_iterations));
        }
        Method::Louvain { .. } => {}
        Method::LabelPropagation { max_iterations } => {
            params.insert("max_iterations".into(), Value::from(max_iterations));
        }
    }
    if !matches!(method, Method::LabelPropagation { .. }) {
        params.insert("resolution".into(), Value::from(args.resolution));
        params.insert(
            "objective".into(),
            Value::from(match args.objective {
                ObjectiveFlag::Modularity => "modularity",
                ObjectiveFlag::Cpm => "cpm",
            }),
        );
    }
    params.insert("seed".into(), Value::from(args.seed));
    Ok(data::Provenance {
        clusterscope: env!("CARGO_PKG_VERSION").into(),
        made_by: "graph".into(),
        algorithm: method.id().into(),
        seed: Some(args.seed),
        params,
        backend_choice: BackendChoice::Cpu,
        backend: "cpu".into(),
        adapter: crate::cluster::cpu_name(),
        input: data::InputRecord::of(&args.edges)?,
        columns: vec![columns_used.to_string()],
        sheet: None,
        scaling: data::Scaling::None,
        rows: found.labels.len(),
        rows_used: found.labels.len(),
        label_column: "community".into(),
        scores: false,
        rows_exported: None,
        clustered_rows: None,
        cutoff: None,
        labels_from: None,
        created: data::provenance::now_utc(),
    })
}
