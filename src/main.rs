use clap::Parser;

use clusterscope::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // A bug must still end in a readable message, not a Rust backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        // A reader's panic on a damaged file comes back as an error naming the file.
        if clusterscope::data::reader_panics_contained() {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{place}: {message}; please report it");
    }));
    let cli = Cli::parse();
    // Ctrl+C or a kill during an export leaves no temporary file behind.
    clusterscope::data::remove_temporaries_on_signals();
    if cli.command.is_some() {
        quiet_headless_vulkan();
    }
    let outcome = match cli.command {
        Some(command) => cli::run(command),
        None => clusterscope::app::run_window(cli.path, cli.attach),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// With no display session (no XDG_RUNTIME_DIR), Mesa's device-select Vulkan layer tries
/// Wayland anyway and prints "XDG_RUNTIME_DIR is invalid" on every adapter probe. The
/// command line picks its adapter itself, so the layer is turned off there.
fn quiet_headless_vulkan() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none()
        && std::env::var_os("NODEVICE_SELECT").is_none()
    {
        // SAFETY: called at the start of `main`, before any other thread exists.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}
