//! What the window remembers between sessions (eframe persistence).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::BackendChoice;
use crate::cluster::kmeans::KMeansParams;
use crate::data::Scaling;

const MAX_RECENT: usize = 10;

/// Persisted user choices.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub recent_files: Vec<PathBuf>,
    pub kmeans: KMeansParams,
    pub scaling: Scaling,
    pub backend: BackendChoice,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            recent_files: Vec::new(),
            kmeans: KMeansParams::new(5),
            scaling: Scaling::Standardize,
            backend: BackendChoice::Auto,
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent files, once.
    pub fn remember(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent_files.retain(|p| p != &path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut settings = Settings::default();
        for i in 0..12 {
            settings.remember(Path::new(&format!("/nonexistent/{i}.csv")));
        }
        settings.remember(Path::new("/nonexistent/5.csv"));
        assert_eq!(settings.recent_files.len(), MAX_RECENT);
        assert_eq!(
            settings.recent_files[0],
            PathBuf::from("/nonexistent/5.csv")
        );
        assert_eq!(
            settings
                .recent_files
                .iter()
                .filter(|p| p.ends_with("5.csv"))
                .count(),
            1
        );
    }
}
