//! Stops a streamed reply that has fallen into a loop.
//!
//! Small local models at temperature 0 sometimes repeat the same line or
//! block until the output-token limit: a live Qwen2.5-Coder-1.5B run spent
//! ten minutes writing one test-table row over and over. The tokens after the
//! second copy carry nothing, so the client stops reading once the tail of
//! the reply is the same unit many times in a row, keeps one copy, and ends
//! the reply with [`crate::FinishReason::Repetition`] (plugins see it as a
//! cut-off reply, like one that hit the token limit).
//!
//! The test is exact periodicity of the reply's tail: the last `span` bytes
//! equal themselves shifted by `p` bytes. Real code does not repeat a
//! non-trivial unit byte for byte many times in a row (identical test cases
//! or functions would not even compile), so the thresholds are set where
//! only a loop reaches them: a unit of `p` bytes must cover at least
//! [`MIN_SPAN`] bytes and repeat at least [`MIN_REPEATS`] times.

/// Longest unit looked for, in bytes (a block of a few dozen lines).
const MAX_PERIOD: usize = 2048;
/// A loop must cover at least this many bytes before the reply is stopped.
const MIN_SPAN: usize = 1536;
/// ... and repeat its unit at least this many times.
const MIN_REPEATS: usize = 4;
/// The tail is checked again after this many new bytes (the check costs
/// about `MAX_PERIOD` comparisons when nothing repeats).
const CHECK_EVERY: usize = 32;

/// Incremental loop detector over a growing reply text.
#[derive(Debug, Default)]
pub(crate) struct RepetitionGuard {
    checked_len: usize,
}

/// A loop found at the end of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loop {
    /// Length of the repeated unit in bytes.
    pub period: usize,
    /// Bytes of the reply to keep: everything before the loop plus one copy
    /// of its unit (a char boundary).
    pub keep: usize,
}

impl RepetitionGuard {
    /// Looks at `text` (the whole reply so far) and reports a loop at its end.
    pub fn check(&mut self, text: &str) -> Option<Loop> {
        if text.len() < self.checked_len + CHECK_EVERY {
            return None;
        }
        self.checked_len = text.len();
        find_loop(text.as_bytes()).map(|l| {
            // The periodic stretch may start a few bytes into the line
            // before the loop (a row ending in "\n" after a line ending in
            // "\n"), so one period from its start can end mid-line: the
            // kept copy runs on to the end of that line.
            let mut keep = l.keep;
            if let Some(off) = text.as_bytes()[keep.saturating_sub(1)..]
                .iter()
                .position(|&b| b == b'\n')
                && off <= l.period
            {
                keep = keep.saturating_sub(1) + off + 1;
            }
            Loop {
                period: l.period,
                keep: floor_char_boundary(text, keep),
            }
        })
    }
}

/// The shortest period whose repetition at the end of `b` is long enough.
fn find_loop(b: &[u8]) -> Option<Loop> {
    let n = b.len();
    for p in 1..=MAX_PERIOD.min(n / MIN_REPEATS) {
        // Length of the longest suffix with period p.
        let mut k = 0;
        while k + p < n && b[n - 1 - k] == b[n - 1 - k - p] {
            k += 1;
        }
        let span = k + p;
        if span >= MIN_SPAN.max(MIN_REPEATS * p) {
            return Some(Loop {
                period: p,
                keep: n - span + p,
            });
        }
    }
    None
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str]) -> Option<(String, Loop)> {
        let mut g = RepetitionGuard::default();
        let mut text = String::new();
        for c in chunks {
            text.push_str(c);
            if let Some(l) = g.check(&text) {
                text.truncate(l.keep);
                return Some((text, l));
            }
        }
        None
    }

    fn tokens(s: &str) -> Vec<&str> {
        // Split into small pieces like a token stream.
        let mut out = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let mut end = rest.len().min(5);
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
        out
    }

    #[test]
    fn a_repeated_line_is_stopped_and_one_copy_kept() {
        let head = "```go\nfunc TestX(t *testing.T) {\n\tcases := []struct{ in, want string }{\n";
        let row = "\t\t{\"hello, world\", \"dlrow ,olleh\"},\n";
        let reply = format!("{head}{}", row.repeat(200));
        let (kept, l) = run(&tokens(&reply)).expect("loop found");
        assert_eq!(l.period, row.len());
        assert!(kept.starts_with(head), "{kept}");
        assert!(kept.ends_with(row));
        // Stopped well before the 200 copies were read.
        assert!(kept.len() < head.len() + 3 * row.len(), "{}", kept.len());
    }

    #[test]
    fn a_repeated_paragraph_is_stopped() {
        let para = "This change ensures that the email validation and trimming logic is centralized and reusable, making the code more maintainable.\n\n";
        let reply = format!("Done.\n\n{}", para.repeat(30));
        let (kept, l) = run(&tokens(&reply)).expect("loop found");
        assert_eq!(l.period, para.len());
        assert_eq!(kept.trim_end(), format!("Done.\n\n{para}").trim_end());
    }

    #[test]
    fn runs_of_one_character_are_stopped() {
        let reply = format!("text{}", " ".repeat(5000));
        let (kept, l) = run(&tokens(&reply)).expect("loop found");
        assert_eq!((l.period, kept.as_str()), (1, "text "));
    }

    #[test]
    fn multibyte_units_cut_on_a_char_boundary() {
        let reply = format!("x{}", "→ü".repeat(2000));
        let (kept, _) = run(&tokens(&reply)).expect("loop found");
        assert!(kept.starts_with('x'));
        assert!(kept.chars().count() < 10);
    }

    #[test]
    fn ordinary_go_code_is_not_a_loop() {
        // Tables with similar rows, repeated braces, blank lines.
        let mut code = String::from(
            "package x\n\nfunc TestT(t *testing.T) {\n\ttests := []struct{ in, want int }{\n",
        );
        for i in 0..400 {
            code.push_str(&format!("\t\t{{{i}, {}}},\n", i * 2));
        }
        code.push_str("\t}\n");
        for i in 0..60 {
            code.push_str(&format!("\tif f({i}) != {i} {{\n\t\tt.Fatal()\n\t}}\n\n"));
        }
        code.push_str("}\n");
        assert_eq!(run(&tokens(&code)), None);
    }

    #[test]
    fn three_identical_blocks_are_not_enough() {
        let block = "\tif err != nil {\n\t\treturn err\n\t}\n";
        let reply = format!("func f() error {{\n{}}}\n", block.repeat(3));
        assert_eq!(run(&tokens(&reply)), None);
    }

    #[test]
    fn short_text_is_never_a_loop() {
        assert_eq!(run(&["ab".repeat(100).as_str()]), None);
    }
}
