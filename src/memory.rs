//! How much memory the machine can give, so that work sized by the user (a distance matrix,
//! a synthetic benchmark) is refused with an estimate instead of aborting on allocation.

/// Bytes the system can still give without swapping (Linux `MemAvailable`); None where it
/// cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// "1.5 GiB" style.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Refuses `needed` bytes for `what` when the machine has less available, with both
/// figures; passes when the amount cannot be read.
pub fn ensure_available(needed: u64, what: &str) -> Result<(), String> {
    match available_bytes() {
        Some(available) if needed > available => Err(format!(
            "{what} needs {}, more than the {} this machine has available",
            human_bytes(needed),
            human_bytes(available)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_words() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(34 * 1024 * 1024 + 200 * 1024), "34.2 MiB");
        assert_eq!(human_bytes(3 << 40), "3.0 TiB");
    }

    #[test]
    fn an_absurd_amount_is_refused_with_the_figures() {
        if available_bytes().is_some() {
            let error = ensure_available(u64::MAX / 2, "the test").unwrap_err();
            assert!(
                error.contains("the test needs") && error.contains("available"),
                "{error}"
            );
        }
        assert!(ensure_available(1, "one byte").is_ok());
    }
}
