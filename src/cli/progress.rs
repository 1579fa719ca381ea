//! A progress line on stderr for long command-line runs: the phase, a bar when the phase
//! knows its length, and the elapsed time. Shown only when stderr is a terminal, so pipes,
//! logs and tests see the same output as before.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cluster::RunContext;

pub struct TerminalProgress {
    bar: Option<ProgressBar>,
}

impl TerminalProgress {
    /// A spinner showing `phase`, or nothing when stderr is not a terminal.
    pub fn start(phase: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(spinner_style());
        bar.set_message(phase.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar: Some(bar) }
    }

    /// Shows `phase` (a step the engine does not report itself: reading, writing).
    pub fn phase(&self, phase: &str) {
        if let Some(bar) = &self.bar {
            bar.set_style(spinner_style());
            bar.set_message(phase.to_string());
        }
    }

    /// A run context whose progress reports move the bar.
    pub fn context(&self) -> RunContext {
        let context = RunContext::default();
        let Some(bar) = self.bar.clone() else {
            return context;
        };
        context.with_progress(move |progress| {
            if progress.max_iterations > 0 {
                if bar.length() != Some(progress.max_iterations as u64) {
                    bar.set_style(bar_style());
                    bar.set_length(progress.max_iterations as u64);
                }
                bar.set_position(progress.iteration.min(progress.max_iterations) as u64);
            }
            if bar.message() != progress.phase {
                bar.set_message(progress.phase);
            }
        })
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
