//! Graphs: modularity against networkx, Leiden against leidenalg (modularity, NMI against
//! the planted truth, connected communities), Louvain and label propagation, the layout's
//! GPU pass against its CPU twin, and `clusterscope graph` end to end with its refusals.
//! References: tests/fixtures/graphs.json (scripts/make_fixtures.py graphs).

mod common;

use clusterscope::cluster::RunContext;
use clusterscope::cluster::community::network::Network;
use clusterscope::cluster::community::{self, Method, Objective, Quality, split_disconnected};
use clusterscope::graph::Graph;
use clusterscope::graph::layout::{COOLING, Layout, LayoutGraph, StepParams, step_cpu};
use clusterscope::metrics::external::{Contingency, normalized_mutual_information};
use common::{clusterscope, expect_error, fixture};

fn labels_of(value: &serde_json::Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

fn graph_of(case: &serde_json::Value) -> Graph {
    let n = case["n_nodes"].as_u64().unwrap() as usize;
    let edges: Vec<(u32, u32, f64)> = case["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_u64().unwrap() as u32,
                e[1].as_u64().unwrap() as u32,
                e[2].as_f64().unwrap(),
            )
        })
        .collect();
    Graph::from_edges((0..n).map(|i| i.to_string()).collect(), &edges).unwrap()
}

fn leiden() -> Method {
    Method::Leiden {
        objective: Objective::Modularity,
        resolution: 1.0,
        n_iterations: 0,
    }
}

fn nmi(a: &[u32], b: &[u32]) -> f64 {
    normalized_mutual_information(&Contingency::from_labels(a, b))
}

#[test]
fn modularity_of_given_partitions_equals_networkx() {
    for case in fixture("graphs")["cases"].as_array().unwrap() {
        let graph = graph_of(case);
        let truth = labels_of(&case["truth"]);
        let random = labels_of(&case["random_labels"]);
        for (labels, resolution, key) in [
            (&truth, 1.0, "modularity_truth"),
            (&truth, 0.5, "modularity_truth_half"),
            (&random, 1.0, "modularity_random"),
        ] {
            let ours = community::modularity(&graph, labels, resolution);
            let reference = case[key].as_f64().unwrap();
            assert!(
                (ours - reference).abs() < 1e-9,
                "{} {key}: {ours} vs networkx {reference}",
                case["name"]
            );
        }
    }
}

#[test]
fn leiden_matches_leidenalg_and_keeps_every_community_connected() {
    for case in fixture("graphs")["cases"].as_array().unwrap() {
        let graph = graph_of(case);
        let truth = labels_of(&case["truth"]);
        let found = community::detect(&graph, &leiden(), 42, &RunContext::default()).unwrap();
        let reference = case["leiden_modularity"].as_f64().unwrap();
        assert!(
            found.modularity >= reference - 0.005,
            "{}: modularity {} vs leidenalg {reference}",
            case["name"],
            found.modularity
        );
        let ours = nmi(&truth, &found.labels);
        let theirs = case["leiden_nmi"].as_f64().unwrap();
        assert!(
            ours >= theirs - 0.02,
            "{}: NMI {ours} vs leidenalg {theirs}",
            case["name"]
        );
        assert_eq!(
            split_disconnected(&graph, &found.labels).1,
            0,
            "{}",
            case["name"]
        );
        assert_eq!(found.sizes.iter().sum::<usize>(), graph.n_nodes());
        assert!(found.sizes.windows(2).all(|w| w[0] >= w[1]));
    }
}

#[test]
fn leiden_under_cpm_reaches_leidenalgs_quality() {
    for case in fixture("graphs")["cases"].as_array().unwrap() {
        let graph = graph_of(case);
        let resolution = case["cpm_resolution"].as_f64().unwrap();
        let method = Method::Leiden {
            objective: Objective::Cpm,
            resolution,
            n_iterations: 0,
        };
        let found = community::detect(&graph, &method, 42, &RunContext::default()).unwrap();
        let reference = case["cpm_quality"].as_f64().unwrap();
        let ours = found.quality.unwrap();
        assert!(
            ours >= reference - 0.005 * reference.abs(),
            "{}: CPM {ours} vs leidenalg {reference}",
            case["name"]
        );
        // The reported quality is CPM's H of the labels, recomputed here.
        let network = Network::of_graph(&graph);
        let h = Quality::new(Objective::Cpm, resolution, &network).value(&network, &found.labels);
        assert!((h - ours).abs() < 1e-9);
    }
}

#[test]
fn louvain_comes_near_networkx_and_label_propagation_finds_planted_blocks() {
    for case in fixture("graphs")["cases"].as_array().unwrap() {
        let graph = graph_of(case);
        let method = Method::Louvain {
            objective: Objective::Modularity,
            resolution: 1.0,
        };
        let found = community::detect(&graph, &method, 42, &RunContext::default()).unwrap();
        let reference = case["louvain_modularity"].as_f64().unwrap();
        assert!(
            found.modularity >= reference - 0.01,
            "{}: Louvain {} vs networkx {reference}",
            case["name"],
            found.modularity
        );
    }
    let planted = &fixture("graphs")["cases"][0];
    let graph = graph_of(planted);
    let found = community::detect(
        &graph,
        &Method::LabelPropagation {
            max_iterations: 100,
        },
        42,
        &RunContext::default(),
    )
    .unwrap();
    assert!(found.converged);
    let score = nmi(&labels_of(&planted["truth"]), &found.labels);
    assert!(score > 0.9, "label propagation NMI {score}");
}

#[test]
fn higher_resolution_gives_more_communities() {
    let case = &fixture("graphs")["cases"][2];
    let graph = graph_of(case);
    let count = |resolution| {
        let method = Method::Leiden {
            objective: Objective::Modularity,
            resolution,
            n_iterations: 0,
        };
        community::detect(&graph, &method, 42, &RunContext::default())
            .unwrap()
            .n_communities
    };
    assert!(count(4.0) > count(1.0));
    assert!(count(1.0) > count(0.1));
}

#[test]
fn the_layout_pass_on_the_gpu_moves_nodes_as_its_cpu_twin() {
    let mut engine = common::gpu_engine();
    let gpu = engine.gpu().unwrap();
    let case = &fixture("graphs")["cases"][3];
    let graph = graph_of(case);
    let layout_graph = LayoutGraph::new(&graph);
    let mut on_gpu = Layout::new(layout_graph.clone(), 7, Some(&gpu));
    assert!(
        on_gpu.backend_name().starts_with("GPU"),
        "{}",
        on_gpu.backend_name()
    );
    let start = on_gpu.positions.clone();
    // The CPU twin from the same start, on the same grid, at the same temperatures, for
    // three steps: past that, float differences (the shader's log against Rust's ln) start
    // to move a node into another grid cell and the two drift apart as any two runs of a
    // chaotic system do (0.0008 of the layout's width after 3 steps, 0.0022 after 4).
    let params = StepParams::around(&start, on_gpu.temperature, on_gpu.gravity);
    let mut expected = start.clone();
    let mut t = on_gpu.temperature;
    for _ in 0..3 {
        expected = step_cpu(
            &StepParams {
                temperature: t,
                ..params
            },
            &layout_graph,
            &expected,
        );
        t *= COOLING;
    }
    on_gpu.run(3).unwrap();
    let scale = params.side;
    let worst = on_gpu
        .positions
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-3 * scale,
        "worst difference {worst} on a layout {scale} wide"
    );
    let moved = start
        .iter()
        .zip(&on_gpu.positions)
        .filter(|(a, b)| a != b)
        .count();
    assert!(moved > graph.n_nodes() / 2, "only {moved} nodes moved");
}

#[test]
fn the_layout_draws_communities_apart() {
    // Planted blocks: after the layout settles, nodes sit nearer their own block's centre
    // than the other blocks' centres.
    let case = &fixture("graphs")["cases"][0];
    let graph = graph_of(case);
    let truth = labels_of(&case["truth"]);
    let mut layout = Layout::new(LayoutGraph::new(&graph), 3, None);
    while !layout.settled() && layout.steps < 600 {
        layout.run(50).unwrap();
    }
    let nearest_own = share_nearest_own_centre(&layout.positions, &truth);
    assert!(
        nearest_own > 0.9,
        "{nearest_own:.3} of nodes nearest their block"
    );
}

/// The demo network (LFR, mixing 0.25, 43 planted communities) lays out with its
/// communities apart: 0.88 of nodes nearest their own community's centre (0.30 with the
/// linear springs and strong gravity this layout had before).
#[test]
fn the_demo_network_lays_out_in_communities() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let input = clusterscope::graph::read::read_graph(
        &assets.join("social_network.edges"),
        &Default::default(),
        Some((&assets.join("social_network_communities.csv"), None)),
    )
    .unwrap();
    let truth: Vec<u32> = input
        .attributes
        .as_ref()
        .unwrap()
        .column("planted_community")
        .unwrap()
        .cast(&polars::prelude::DataType::UInt32)
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let mut layout = Layout::new(LayoutGraph::new(&input.graph), 42, None);
    while !layout.settled() && layout.steps < 1000 {
        layout.run(50).unwrap();
    }
    assert!(layout.settled(), "settled in {} steps", layout.steps);
    let nearest_own = share_nearest_own_centre(&layout.positions, &truth);
    assert!(
        nearest_own > 0.8,
        "{nearest_own:.3} of nodes nearest their community"
    );
}

/// The share of nodes nearer their own group's centre than any other group's.
fn share_nearest_own_centre(positions: &[[f32; 2]], truth: &[u32]) -> f64 {
    let k = *truth.iter().max().unwrap() as usize + 1;
    let mut centres = vec![[0.0f64; 3]; k];
    for (p, &c) in positions.iter().zip(truth) {
        centres[c as usize][0] += p[0] as f64;
        centres[c as usize][1] += p[1] as f64;
        centres[c as usize][2] += 1.0;
    }
    let nearest_own = positions
        .iter()
        .zip(truth)
        .filter(|(p, c)| {
            let d = |q: &[f64; 3]| {
                let (x, y) = (q[0] / q[2], q[1] / q[2]);
                (p[0] as f64 - x).powi(2) + (p[1] as f64 - y).powi(2)
            };
            let own = d(&centres[**c as usize]);
            centres.iter().filter(|q| q[2] > 0.0).all(|q| d(q) >= own)
        })
        .count();
    nearest_own as f64 / positions.len() as f64
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Two cliques of four joined by one edge, with text ids.
const TWO_CLIQUES: &str = "from,to,strength\n\
a,b,1\na,c,1\na,d,1\nb,c,1\nb,d,1\nc,d,1\n\
e,f,1\ne,g,1\ne,h,1\nf,g,1\nf,h,1\ng,h,1\nd,e,0.5\n";

#[test]
fn the_graph_command_writes_one_row_per_node_with_its_community() {
    let dir = tempfile::tempdir().unwrap();
    let edges = write(dir.path(), "edges.csv", TWO_CLIQUES);
    let out = dir.path().join("nodes.csv");
    let layout = dir.path().join("layout.csv");
    let output = clusterscope(&[
        "graph",
        &edges,
        "--algo",
        "leiden",
        "--weight-column",
        "strength",
        "--out",
        out.to_str().unwrap(),
        "--layout",
        layout.to_str().unwrap(),
        "--backend",
        "cpu",
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_nodes"], 8);
    assert_eq!(summary["n_edges"], 13);
    assert_eq!(summary["n_communities"], 2);
    // m = 12.5; each side: L = 6 (+0.25 of nothing), K = 12.5: Q = 2·(6/12.5 − 1/4).
    let q = summary["modularity"].as_f64().unwrap();
    assert!((q - 2.0 * (6.0 / 12.5 - 0.25)).abs() < 1e-12, "{q}");
    assert!(summary["elapsed_ms"].as_f64().unwrap() >= 0.0);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("node,community"));
    let rows: Vec<(String, String)> = lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect();
    assert_eq!(rows.len(), 8);
    let community = |node: &str| rows.iter().find(|(n, _)| n == node).unwrap().1.clone();
    assert_eq!(community("a"), community("d"));
    assert_eq!(community("e"), community("h"));
    assert_ne!(community("a"), community("e"));
    let layout_text = std::fs::read_to_string(&layout).unwrap();
    assert!(layout_text.starts_with("node,x,y\n"));
    assert_eq!(layout_text.lines().count(), 9);
}

#[test]
fn louvain_and_label_propagation_run_from_the_command_line_on_plain_edge_lists() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = TWO_CLIQUES
        .lines()
        .skip(1)
        .map(|l| l.replace(',', " ") + "\n")
        .collect();
    let edges = write(dir.path(), "edges.txt", &format!("# a comment\n{text}"));
    for algo in ["louvain", "label-propagation"] {
        let out = dir.path().join(format!("{algo}.parquet"));
        let output = clusterscope(&[
            "graph",
            &edges,
            "--algo",
            algo,
            "--out",
            out.to_str().unwrap(),
            "--summary-json",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["n_nodes"], 8, "{algo}");
        assert_eq!(summary["n_communities"], 2, "{algo}");
        assert!(out.exists());
    }
}

#[test]
fn graphml_edges_weights_and_node_attributes_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d0" for="node" attr.name="club" attr.type="string"/>
  <key id="d1" for="edge" attr.name="weight" attr.type="double"/>
  <graph edgedefault="undirected">
"#,
    );
    for i in 0..8 {
        let club = if i < 4 { "Mr Hi" } else { "Officer &amp; co" };
        xml += &format!("    <node id=\"n{i}\"><data key=\"d0\">{club}</data></node>\n");
    }
    for line in TWO_CLIQUES.lines().skip(1) {
        let parts: Vec<&str> = line.split(',').collect();
        let index = |s: &str| (s.as_bytes()[0] - b'a').to_string();
        xml += &format!(
            "    <edge source=\"n{}\" target=\"n{}\"><data key=\"d1\">{}</data></edge>\n",
            index(parts[0]),
            index(parts[1]),
            parts[2]
        );
    }
    xml += "  </graph>\n</graphml>\n";
    let path = write(dir.path(), "clubs.graphml", &xml);
    let out = dir.path().join("nodes.csv");
    let output = clusterscope(&[
        "graph",
        &path,
        "--algo",
        "leiden",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_communities"], 2);
    let q = summary["modularity"].as_f64().unwrap();
    assert!(
        (q - 2.0 * (6.0 / 12.5 - 0.25)).abs() < 1e-12,
        "{q}: weights were not read"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("node,community,club\n"), "{text}");
    assert!(
        text.contains("n7,1,Officer & co") || text.contains("n7,0,Officer & co"),
        "{text}"
    );
}

#[test]
fn bad_graphs_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nodes.csv");
    let out = out.to_str().unwrap();
    let run = |name: &str, text: &str, extra: &[&str]| {
        let path = write(dir.path(), name, text);
        let mut args = vec!["graph", &path, "--algo", "leiden", "--out", out];
        args.extend_from_slice(extra);
        expect_error(&args)
    };
    let empty = run("empty.csv", "source,target\n", &[]);
    assert!(
        empty.contains("no rows") || empty.contains("no edges"),
        "{empty}"
    );
    assert!(run("one.csv", "source,target\na,a\n", &[]).contains("1 node"));
    assert!(
        run("cols.csv", "s,t\na,b\n", &["--source-column", "src"]).contains("unknown column 'src'")
    );
    assert!(run("neg.csv", "source,target,weight\na,b,1\nb,c,-2\n", &[]).contains("edge 1"));
    assert!(
        run("nan.csv", "source,target,weight\na,b,NaN\nb,c,1\n", &[])
            .contains("weights must be finite")
    );
    let nodes = write(dir.path(), "nodes_table.csv", "id,age\na,30\nb,40\n");
    let stderr = run(
        "edges.csv",
        "source,target\na,b\nb,z\n",
        &["--nodes", &nodes],
    );
    assert!(
        stderr.contains("'z'") && stderr.contains("not in the node table"),
        "{stderr}"
    );
    assert!(
        run(
            "res.csv",
            "source,target\na,b\nb,c\n",
            &["--resolution", "0"]
        )
        .contains("--resolution")
    );
    assert!(!std::path::Path::new(out).exists());
}

#[test]
fn the_node_table_adds_attributes_and_isolated_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let edges = write(dir.path(), "edges.csv", TWO_CLIQUES);
    let nodes = write(
        dir.path(),
        "people.csv",
        "id,age\na,31\nb,32\nc,33\nd,34\ne,35\nf,36\ng,37\nh,38\nloner,99\n",
    );
    let out = dir.path().join("nodes.csv");
    let output = clusterscope(&[
        "graph",
        &edges,
        "--algo",
        "leiden",
        "--nodes",
        &nodes,
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["n_nodes"], 9);
    assert_eq!(summary["n_communities"], 3);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("node,community,age\n"), "{text}");
    assert!(text.contains("loner,2,99"), "{text}");
}

#[test]
fn leiden_clusters_a_tables_rows_through_their_neighbour_graph() {
    let dir = tempfile::tempdir().unwrap();
    // Three tight blobs of 100 rows.
    let mut text = String::from("x,y,class\n");
    for c in 0..3 {
        for i in 0..100 {
            let angle = i as f64 * 2.399;
            let r = (i as f64 / 100.0).sqrt() * 0.5;
            text += &format!(
                "{},{},{c}\n",
                c as f64 * 5.0 + r * angle.cos(),
                r * angle.sin()
            );
        }
    }
    let table = write(dir.path(), "blobs.csv", &text);
    let out = dir.path().join("out.csv");
    let output = clusterscope(&[
        "cluster",
        &table,
        "--algo",
        "leiden",
        "--n-neighbors",
        "15",
        "--columns",
        "x,y",
        "--out",
        out.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["algo"], "leiden");
    // Three parts of the neighbour graph; Leiden may split a blob, never join two.
    let k = summary["n_clusters"].as_u64().unwrap();
    assert!((3..=12).contains(&k), "{k} communities");
    assert!(summary["modularity"].as_f64().unwrap() > 0.6);
    let exported = std::fs::read_to_string(&out).unwrap();
    let mut by_cluster =
        std::collections::HashMap::<String, std::collections::HashSet<String>>::new();
    for line in exported.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        by_cluster
            .entry(fields[3].to_string())
            .or_default()
            .insert(fields[2].to_string());
    }
    assert!(by_cluster.values().all(|classes| classes.len() == 1));
}
