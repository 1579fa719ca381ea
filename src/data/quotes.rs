//! A check on delimited text before polars parses it: a file that ends inside a quoted
//! field. polars 0.55 reads past its buffer when the last byte opens a field with `"`
//! (debug builds abort on the bounds check; release builds read out of bounds), and it
//! silently drops the last row when the file ends inside a longer quoted field. Either way
//! the file is damaged, so it is refused with the line the quote opened on.

use std::io::Read;
use std::path::Path;

use super::DataError;

/// Quote-state scanner following RFC 4180 as polars reads it: `"` opens a quoted field only
/// at the start of a field; inside one, `""` is a literal quote and `"` closes it.
#[derive(Default)]
struct QuoteScanner {
    in_quotes: bool,
    /// Inside quotes, the previous byte was a `"`: closing, unless another follows.
    quote_pending: bool,
    at_field_start: bool,
    line: u64,
    opened_on: u64,
}

impl QuoteScanner {
    fn new() -> Self {
        Self {
            at_field_start: true,
            line: 1,
            ..Self::default()
        }
    }

    fn feed(&mut self, bytes: &[u8], separator: u8) {
        for &byte in bytes {
            if self.in_quotes {
                if self.quote_pending {
                    self.quote_pending = false;
                    if byte == b'"' {
                        continue;
                    }
                    self.in_quotes = false;
                } else {
                    match byte {
                        b'"' => self.quote_pending = true,
                        b'\n' => self.line += 1,
                        _ => {}
                    }
                    continue;
                }
            }
            match byte {
                b'\n' => {
                    self.line += 1;
                    self.at_field_start = true;
                }
                b'"' if self.at_field_start => {
                    self.in_quotes = true;
                    self.opened_on = self.line;
                    self.at_field_start = false;
                }
                b'\r' => {}
                _ => self.at_field_start = byte == separator,
            }
        }
    }

    /// The line of the quote still open at the end, if one is.
    fn unterminated(&self) -> Option<u64> {
        (self.in_quotes && !self.quote_pending).then_some(self.opened_on)
    }
}

/// Refuses a delimited file that ends inside a quoted field (one read of the file).
pub fn check_quotes(path: &Path, separator: u8) -> Result<(), DataError> {
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut scanner = QuoteScanner::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(io_error)?;
        if read == 0 {
            break;
        }
        scanner.feed(&buffer[..read], separator);
    }
    match scanner.unterminated() {
        None => Ok(()),
        Some(line) => Err(DataError::Parse {
            message: format!(
                "the quoted field opened on line {line} is never closed (an unmatched \" runs \
                 to the end of the file)"
            ),
            path: path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_quote(text: &str, separator: u8) -> Option<u64> {
        let mut scanner = QuoteScanner::new();
        // Fed in pieces: the state carries across reads.
        for piece in text.as_bytes().chunks(3) {
            scanner.feed(piece, separator);
        }
        scanner.unterminated()
    }

    #[test]
    fn quotes_left_open_at_the_end_are_found_with_their_line() {
        assert_eq!(open_quote("a,b\n1,2\n\"", b','), Some(3));
        assert_eq!(open_quote("a,b\n1,2\n3,\"", b','), Some(3));
        assert_eq!(open_quote("a,b\n1,2\n3,\"4", b','), Some(3));
        assert_eq!(open_quote("a,b\n\"x,2\n3,4\n", b','), Some(2));
        assert_eq!(open_quote("a\tb\n1\t\"", b'\t'), Some(2));
    }

    #[test]
    fn closed_escaped_and_mid_field_quotes_pass() {
        assert_eq!(open_quote("a,b\n\"x, \"\"y\"\"\",2\n", b','), None);
        assert_eq!(open_quote("a,b\n\"two\nlines\",2\n3,4\n", b','), None);
        assert_eq!(open_quote("a,b\n3,4\"\n5\"6,7\n", b','), None);
        assert_eq!(open_quote("a,b\n1,\"\"", b','), None);
        assert_eq!(open_quote("a,b\r\n1,\"x\"\r\n", b','), None);
        // A comma is no separator in a TSV: the quote there is mid-field.
        assert_eq!(open_quote("a\tb\n1,\"2\t3\n", b'\t'), None);
    }
}
