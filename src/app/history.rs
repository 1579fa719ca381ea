//! Undo and redo of the choices a run depends on: feature columns, scaling, algorithm,
//! its parameters and the backend. A step is recorded when the choices differ from the
//! last recorded ones and no pointer button is held, so a slider drag is one step.

use super::{ClusterscopeApp, Command};
use crate::cluster::{BackendChoice, ParamValues};
use crate::data::Scaling;

/// Steps kept; older ones are forgotten.
const MAX_STEPS: usize = 200;

/// Everything undo restores.
#[derive(Clone, Debug, PartialEq)]
pub struct Choices {
    pub columns: Vec<String>,
    pub scaling: Scaling,
    pub algorithm: String,
    pub params: ParamValues,
    pub backend: BackendChoice,
}

#[derive(Default)]
pub struct History {
    past: Vec<Choices>,
    future: Vec<Choices>,
    current: Option<Choices>,
}

impl History {
    /// Forgets every step (a new table).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Records `now` as a step when it differs from the last recorded choices.
    pub fn record(&mut self, now: Choices) {
        match &self.current {
            Some(current) if *current == now => {}
            Some(_) => {
                let previous = self.current.replace(now).expect("checked");
                self.past.push(previous);
                if self.past.len() > MAX_STEPS {
                    self.past.remove(0);
                }
                self.future.clear();
            }
            None => self.current = Some(now),
        }
    }

    /// The choices before the current ones, which become current.
    pub fn undo(&mut self) -> Option<Choices> {
        let previous = self.past.pop()?;
        let current = self.current.replace(previous.clone())?;
        self.future.push(current);
        Some(previous)
    }

    /// The choices undone last, which become current again.
    pub fn redo(&mut self) -> Option<Choices> {
        let next = self.future.pop()?;
        if let Some(current) = self.current.replace(next.clone()) {
            self.past.push(current);
        }
        Some(next)
    }

    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }
}

impl ClusterscopeApp {
    /// The choices shown now.
    pub(super) fn choices(&self) -> Choices {
        let algorithm = self.settings.algorithm_info().id;
        Choices {
            columns: self.selected_columns.clone(),
            scaling: self.settings.scaling,
            algorithm: algorithm.into(),
            params: self.settings.values(algorithm),
            backend: self.settings.backend,
        }
    }

    /// Records the frame's choices as a step (see [`History::record`]).
    pub(super) fn record_history(&mut self, pointer_held: bool) {
        if self.table.is_some() && self.restoring.is_none() && !pointer_held {
            let choices = self.choices();
            self.history.record(choices);
        }
    }

    pub(super) fn undo(&mut self) {
        if let Some(choices) = self.history.undo() {
            self.apply_choices(choices, "Undone");
        }
    }

    pub(super) fn redo(&mut self) {
        if let Some(choices) = self.history.redo() {
            self.apply_choices(choices, "Redone");
        }
    }

    /// Puts `choices` back and re-runs what they change: the features when columns or
    /// scaling differ, else the clustering.
    fn apply_choices(&mut self, choices: Choices, verb: &str) {
        let features_change =
            choices.columns != self.selected_columns || choices.scaling != self.settings.scaling;
        self.selected_columns = choices.columns;
        self.settings.scaling = choices.scaling;
        self.settings.algorithm = choices.algorithm.clone();
        self.settings
            .params
            .insert(choices.algorithm, choices.params);
        self.settings.backend = choices.backend;
        self.notices.info = Some(format!("{verb}: {}", self.settings.algorithm_info().name));
        if features_change && !self.selected_columns.is_empty() {
            self.prepared = None;
            self.command(Command::Prepare);
        } else if !features_change {
            self.command(Command::Cluster);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(k: u64) -> Choices {
        Choices {
            columns: vec!["a".into()],
            scaling: Scaling::Standardize,
            algorithm: "kmeans".into(),
            params: [("n_clusters".to_string(), k.into())].into_iter().collect(),
            backend: BackendChoice::Auto,
        }
    }

    #[test]
    fn undo_and_redo_walk_the_recorded_steps() {
        let mut history = History::default();
        for k in [3, 3, 4, 5] {
            history.record(choices(k));
        }
        assert_eq!(history.undo(), Some(choices(4)));
        assert_eq!(history.undo(), Some(choices(3)));
        assert_eq!(history.undo(), None);
        assert_eq!(history.redo(), Some(choices(4)));
        // A new step after an undo drops what could be redone.
        history.record(choices(9));
        assert!(!history.can_redo());
        assert_eq!(history.undo(), Some(choices(4)));
        assert_eq!(history.redo(), Some(choices(9)));
        assert_eq!(history.redo(), None);
    }

    #[test]
    fn old_steps_are_forgotten_past_the_limit() {
        let mut history = History::default();
        for k in 0..(MAX_STEPS as u64 + 50) {
            history.record(choices(k));
        }
        let mut undone = 0;
        while history.undo().is_some() {
            undone += 1;
        }
        assert_eq!(undone, MAX_STEPS);
    }
}
