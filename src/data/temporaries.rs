//! The temporary files of exports in flight: named with the writing process's id, listed
//! while they exist so a SIGINT/SIGTERM handler can remove them, and cleared from a folder
//! by the next export there once their process is gone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

const PREFIX: &str = ".clusterscope-export-";
pub const SUFFIX: &str = ".tmp";
/// Temporary files with no process id in their name (older versions) or on systems
/// without `/proc` are stale after this long.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// `.clusterscope-export-<pid>-`.
pub fn prefix() -> String {
    format!("{PREFIX}{}-", std::process::id())
}

/// Lists `path` (for the signal handler) until [`unregister`].
pub fn register(path: &Path) {
    lock().push(path.to_path_buf());
}

pub fn unregister(path: &Path) {
    lock().retain(|p| p != path);
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes this folder's export temporaries whose process has exited (or, without a
/// process id to check, that are older than a day).
pub fn remove_stale(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let proc_available = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        if !name.ends_with(SUFFIX) {
            continue;
        }
        let pid = rest
            .split('-')
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|_| rest.contains('-'));
        let stale = match pid {
            Some(pid) if proc_available => {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            }
            _ => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_AFTER),
        };
        if stale {
            let path = entry.path();
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!("removed a killed export's {}", path.display()),
                Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
            }
        }
    }
}

#[cfg(unix)]
pub fn on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(signals) => signals,
            Err(e) => {
                tracing::warn!("cannot watch for SIGINT/SIGTERM: {e}");
                return;
            }
        };
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    for path in lock().drain(..) {
                        let _ = std::fs::remove_file(path);
                    }
                    // Die of the signal, as without the handler (exit status 130 / 143).
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            })
            .ok();
    });
}

#[cfg(not(unix))]
pub fn on_signals() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_temporaries_of_exited_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // Process ids above the kernel's maximum (4194304) never run.
        let dead = dir.path().join(format!("{PREFIX}99999999-abc{SUFFIX}"));
        let alive = dir.path().join(format!("{}abc{SUFFIX}", prefix()));
        let other = dir.path().join("notes.tmp");
        for path in [&dead, &alive, &other] {
            std::fs::write(path, b"x").unwrap();
        }
        remove_stale(dir.path());
        assert!(!dead.exists(), "a dead process's temporary is removed");
        assert!(alive.exists(), "this process's own is kept");
        assert!(other.exists(), "other files are never touched");
    }
}
