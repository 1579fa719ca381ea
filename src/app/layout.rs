//! The window's panes in one dockable tree (egui_tiles, rerun's): drag a tab to move a
//! pane beside, above or into another one, drag an edge to resize, View ▸ Reset layout to
//! go back. The tree is saved with the settings. Which panes show follows the data: the
//! image pane only for an image, the structure pane only when the result has one, the
//! silhouette, profiles and sweep panes once there is a result (profiles, sweeps and
//! outliers for tables).

use eframe::egui;
use egui_tiles::{Container, Linear, LinearDir, SimplificationOptions, Tile, TileId, Tiles, Tree};
use serde::{Deserialize, Serialize};

/// One pane of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pane {
    Controls,
    Image,
    Scatter,
    Legend,
    Structure,
    Selection,
    Compare,
    Silhouette,
    Profiles,
    Sweep,
    Outliers,
    Graph,
}

impl Pane {
    pub const ALL: [Pane; 12] = [
        Pane::Controls,
        Pane::Image,
        Pane::Scatter,
        Pane::Legend,
        Pane::Structure,
        Pane::Selection,
        Pane::Compare,
        Pane::Silhouette,
        Pane::Profiles,
        Pane::Sweep,
        Pane::Outliers,
        Pane::Graph,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Controls => "Data & algorithm",
            Pane::Image => "Image",
            Pane::Scatter => "Scatter",
            Pane::Legend => "Clusters",
            Pane::Structure => "Structure",
            Pane::Selection => "Selection",
            Pane::Compare => "Compare",
            Pane::Silhouette => "Silhouette",
            Pane::Profiles => "Profiles",
            Pane::Sweep => "Sweep",
            Pane::Outliers => "Outliers",
            Pane::Graph => "Graph",
        }
    }
}

/// No pane is made smaller than this by a drag (points), so none can vanish by accident.
pub const MIN_PANE_SIZE: f32 = 140.0;

/// The tree id; saved trees are found by it.
const TREE_ID: &str = "clusterscope_layout";

/// The layout a new window starts with: controls left, the views in the middle with the
/// structure/selection/compare tabs under them, the cluster legend right. Shares are the
/// widths of a 1280-point window.
pub fn default_tree() -> Tree<Pane> {
    let mut tiles = Tiles::default();
    let tab = |tiles: &mut Tiles<Pane>, pane| {
        let id = tiles.insert_pane(pane);
        tiles.insert_tab_tile(vec![id])
    };
    let controls = tab(&mut tiles, Pane::Controls);
    let image = tab(&mut tiles, Pane::Image);
    let scatter_pane = tiles.insert_pane(Pane::Scatter);
    let graph_pane = tiles.insert_pane(Pane::Graph);
    let scatter = tiles.insert_tab_tile(vec![scatter_pane, graph_pane]);
    let legend = tab(&mut tiles, Pane::Legend);
    let structure = tiles.insert_pane(Pane::Structure);
    let selection = tiles.insert_pane(Pane::Selection);
    let compare = tiles.insert_pane(Pane::Compare);
    let silhouette = tiles.insert_pane(Pane::Silhouette);
    let profiles = tiles.insert_pane(Pane::Profiles);
    let sweep = tiles.insert_pane(Pane::Sweep);
    let outliers = tiles.insert_pane(Pane::Outliers);
    let bottom = tiles.insert_tab_tile(vec![
        structure, silhouette, profiles, sweep, outliers, selection, compare,
    ]);

    let views = linear(
        &mut tiles,
        LinearDir::Horizontal,
        &[(image, 0.55), (scatter, 0.45)],
    );
    let centre = linear(
        &mut tiles,
        LinearDir::Vertical,
        &[(views, 0.62), (bottom, 0.38)],
    );
    let root = linear(
        &mut tiles,
        LinearDir::Horizontal,
        &[(controls, 290.0), (centre, 760.0), (legend, 230.0)],
    );
    Tree::new(egui::Id::unique(TREE_ID), root, tiles)
}

fn linear(tiles: &mut Tiles<Pane>, dir: LinearDir, children: &[(TileId, f32)]) -> TileId {
    let mut linear = Linear::new(dir, children.iter().map(|(id, _)| *id).collect());
    for &(id, share) in children {
        linear.shares.set_share(id, share);
    }
    tiles.insert_container(Container::Linear(linear))
}

/// A saved tree is used only if it holds every pane exactly once (a tree from another
/// version, or a damaged one, falls back to the default).
pub fn is_complete(tree: &Tree<Pane>) -> bool {
    let panes: Vec<Pane> = tree
        .tiles
        .iter()
        .filter_map(|(_, tile)| match tile {
            Tile::Pane(pane) => Some(*pane),
            Tile::Container(_) => None,
        })
        .collect();
    tree.root.is_some()
        && panes.len() == Pane::ALL.len()
        && Pane::ALL.iter().all(|pane| panes.contains(pane))
}

/// Shows or hides `pane` (its tile keeps its place for when it comes back).
pub fn set_visible(tree: &mut Tree<Pane>, pane: Pane, visible: bool) {
    if let Some(id) = tree.tiles.find_pane(&pane)
        && tree.tiles.is_visible(id) != visible
    {
        tree.tiles.set_visible(id, visible);
    }
}

/// Brings `pane` to the front of its tab group.
pub fn bring_to_front(tree: &mut Tree<Pane>, pane: Pane) {
    tree.make_active(|_, tile| matches!(tile, Tile::Pane(p) if *p == pane));
}

/// The screen rectangle `pane` was last laid out in (None when hidden).
pub fn pane_rect(tree: &Tree<Pane>, pane: Pane) -> Option<egui::Rect> {
    let id = tree.tiles.find_pane(&pane)?;
    tree.tiles.is_visible(id).then(|| tree.tiles.rect(id))?
}

/// How the tree looks and behaves; panes are drawn by `draw`.
pub struct PaneBehavior<'a> {
    pub draw: &'a mut dyn FnMut(&mut egui::Ui, Pane),
}

impl egui_tiles::Behavior<Pane> for PaneBehavior<'_> {
    fn pane_ui(
        &mut self,
        ui: &mut egui::Ui,
        _tile_id: TileId,
        pane: &mut Pane,
    ) -> egui_tiles::UiResponse {
        let pane = *pane;
        egui::Frame::new()
            .inner_margin(egui::Margin::same(6))
            .show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                (self.draw)(ui, pane);
            });
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, pane: &Pane) -> egui::WidgetText {
        pane.title().into()
    }

    fn min_size(&self) -> f32 {
        MIN_PANE_SIZE
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        3.0
    }

    fn simplification_options(&self) -> SimplificationOptions {
        // Every pane keeps a tab (its title, and the handle to drag it by).
        SimplificationOptions {
            all_panes_must_have_tabs: true,
            prune_single_child_tabs: false,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tree_holds_every_pane_once() {
        assert!(is_complete(&default_tree()));
    }

    #[test]
    fn a_tree_missing_a_pane_is_not_used() {
        let mut tree = default_tree();
        let id = tree.tiles.find_pane(&Pane::Compare).unwrap();
        tree.remove_recursively(id);
        assert!(!is_complete(&tree));
    }

    #[test]
    fn a_saved_tree_round_trips() {
        let tree = default_tree();
        let text = serde_json::to_string(&tree).unwrap();
        let back: Tree<Pane> = serde_json::from_str(&text).unwrap();
        assert!(is_complete(&back));
        assert_eq!(back.tiles.len(), tree.tiles.len());
    }

    #[test]
    fn hidden_panes_come_back_where_they_were() {
        let mut tree = default_tree();
        let before = tree
            .tiles
            .parent_of(tree.tiles.find_pane(&Pane::Image).unwrap());
        set_visible(&mut tree, Pane::Image, false);
        set_visible(&mut tree, Pane::Image, true);
        let id = tree.tiles.find_pane(&Pane::Image).unwrap();
        assert!(tree.tiles.is_visible(id));
        assert_eq!(tree.tiles.parent_of(id), before);
    }
}
