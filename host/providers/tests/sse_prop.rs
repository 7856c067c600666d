//! Property tests for the SSE framer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use coop_providers::sse::{SseEvent, SseParser};
use proptest::prelude::*;

fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    out.extend(p.finish());
    out
}

/// A valid stream built from events with arbitrary (line-free) payloads,
/// mixed line endings, comments and multi-line data.
fn stream_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<String>)> {
    let line = "[^\r\n]{0,30}";
    let event = (
        prop::collection::vec(line, 1..4),
        0usize..3,
        any::<bool>(),
        any::<bool>(),
    );
    (prop::collection::vec(event, 0..8), any::<bool>()).prop_map(|(events, bom)| {
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut expected = Vec::new();
        for (lines, eol, comment, space) in events {
            let eol = ["\n", "\r\n", "\r"][eol];
            if comment {
                bytes.extend_from_slice(format!(": keep-alive{eol}").as_bytes());
            }
            for l in &lines {
                let sep = if space { ": " } else { ":" };
                bytes.extend_from_slice(format!("data{sep}{l}{eol}").as_bytes());
            }
            bytes.extend_from_slice(eol.as_bytes());
            // Per spec one space after the colon is stripped: with the ": "
            // separator that is the one we added, without it the payload's own.
            let parsed: Vec<&str> = lines
                .iter()
                .map(|l| {
                    if space {
                        l.as_str()
                    } else {
                        l.strip_prefix(' ').unwrap_or(l)
                    }
                })
                .collect();
            expected.push(parsed.join("\n"));
        }
        (bytes, expected)
    })
}

proptest! {
    #[test]
    fn any_split_yields_same_events((bytes, expected) in stream_strategy(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12)) {
        let whole = parse_chunks(&[&bytes]);
        prop_assert_eq!(whole.iter().map(|e| e.data.clone()).collect::<Vec<_>>(), expected);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for p in points {
            chunks.push(&bytes[prev..p]);
            prev = p;
        }
        chunks.push(&bytes[prev..]);
        prop_assert_eq!(parse_chunks(&chunks), whole.clone());
        // Byte-at-a-time is the most adversarial split.
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(parse_chunks(&singles), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512), split in 1usize..64) {
        let chunks: Vec<&[u8]> = data.chunks(split).collect();
        let a = parse_chunks(&chunks);
        let b = parse_chunks(&[&data]);
        prop_assert_eq!(a, b);
    }
}
