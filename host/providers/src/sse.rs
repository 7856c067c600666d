//! A small incremental Server-Sent Events framer.
//!
//! Follows the WHATWG event-stream rules that matter for model APIs: lines end
//! in LF, CRLF or CR (a CRLF split across two chunks counts once); lines
//! starting with `:` are comments (keep-alives); `data:` lines of one event are
//! joined with `\n`; a blank line dispatches the event; an event with no data
//! is dropped; one optional space after the colon is removed; a leading UTF-8
//! BOM is ignored. Bytes are buffered per line, so chunk boundaries may fall
//! anywhere, including inside a multi-byte UTF-8 character.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if any (OpenAI-compat servers send none; Anthropic does).
    pub event: Option<String>,
    /// All `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
}

/// Incremental parser: feed chunks with [`SseParser::push`], collect events.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR; a LF at the start of the next one
    /// belongs to the same line ending.
    skip_lf: bool,
    /// Past the possible leading BOM.
    started: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds one chunk and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in chunk {
            if !self.started {
                // Hold back a possible BOM prefix until we know.
                self.line.push(b);
                if BOM.starts_with(&self.line) {
                    if self.line.len() == BOM.len() {
                        self.line.clear();
                        self.started = true;
                    }
                    continue;
                }
                self.started = true;
                let held = std::mem::take(&mut self.line);
                for hb in held {
                    self.byte(hb, &mut out);
                }
                continue;
            }
            self.byte(b, &mut out);
        }
        out
    }

    fn byte(&mut self, b: u8, out: &mut Vec<SseEvent>) {
        if self.skip_lf {
            self.skip_lf = false;
            if b == b'\n' {
                return;
            }
        }
        match b {
            b'\n' => self.end_line(out),
            b'\r' => {
                self.end_line(out);
                self.skip_lf = true;
            }
            _ => self.line.push(b),
        }
    }

    /// Ends the stream. An event whose lines were all terminated but that
    /// lacks the final blank line is still dispatched (some servers close the
    /// connection right after `data: [DONE]\n`); a partial last line is
    /// dropped, because it may be a truncated payload.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.line.clear();
        if !self.started {
            self.started = true;
        }
        self.take_event()
    }

    /// Bytes of an unterminated line currently buffered.
    pub fn pending_line_len(&self) -> usize {
        self.line.len()
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if let Some(ev) = self.take_event() {
                out.push(ev);
            }
            return;
        }
        if line[0] == b':' {
            return; // comment / keep-alive
        }
        let text = String::from_utf8_lossy(&line);
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_string()),
            // Per spec an id containing NUL is ignored.
            "id" if !value.contains('\0') => self.id = Some(value.to_string()),
            _ => {} // `retry:` and unknown fields are ignored
        }
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let id = self.id.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.push(c));
        }
        out.extend(p.finish());
        out
    }

    #[test]
    fn basic_multiline_comments_crlf() {
        let evs = parse_all(&[b"\xEF\xBB\xBF: keep-alive\r\ndata: a\r\ndata:b\r\n\r\nevent: error\ndata: {\"x\":1}\n\n"]);
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].data, "a\nb");
        assert_eq!(evs[1].event.as_deref(), Some("error"));
        assert_eq!(evs[1].data, "{\"x\":1}");
    }

    #[test]
    fn split_crlf_counts_once() {
        let evs = parse_all(&[b"data: a\r", b"\n\r", b"\ndata: b\r\r"]);
        assert_eq!(
            evs.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
    }

    #[test]
    fn unterminated_last_line_dropped_terminated_event_flushed() {
        assert_eq!(parse_all(&[b"data: [DONE]\n"]).len(), 1);
        assert!(parse_all(&[b"data: {\"trunc"]).is_empty());
    }
}
