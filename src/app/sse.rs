//! Server-Sent Events, as the HTML standard's event-stream format says,
//! platform-free: a parser of what Upstash streams (for the `/admin/events`
//! relay) and the framing of what the relay sends.
//!
//! Lines end with `\r\n`, `\n` or `\r`; an empty line ends an event; each
//! `data:` field of an event is one line of its data, joined with `\n`
//! (so a payload published with line breaks arrives as one event); the one
//! space after a field's colon is dropped; lines starting with `:` are
//! comments; an event without data is not dispatched.

/// Longest event the parser keeps, in bytes: a longer one is dropped whole
/// (and counted), so an endless line cannot grow the buffer without bound.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// A dispatched event: its `event:` type, if any, and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, when one was sent.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// An incremental event-stream parser: feed it chunks as they come.
#[derive(Debug, Default)]
pub struct Parser {
    /// The incomplete line.
    line: Vec<u8>,
    /// A `\r` ended the last line: a `\n` right after it belongs to it.
    after_cr: bool,
    /// The event being read.
    event: Option<String>,
    data: Vec<String>,
    /// Bytes of the event being read.
    size: usize,
    /// The event being read grew past [`MAX_EVENT_BYTES`]: it is dropped.
    oversized: bool,
    /// The current line was cut for its size (so its end is not an empty line).
    line_cut: bool,
    /// Events dropped for their size.
    pub dropped: u64,
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Parser::default()
    }

    /// Reads `chunk` and answers the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_ended(&line) {
                        events.push(event);
                    }
                }
                _ => {
                    self.after_cr = false;
                    self.size += 1;
                    if self.size > MAX_EVENT_BYTES {
                        self.oversized = true;
                        self.line_cut = true;
                        self.line.clear();
                    } else {
                        self.line.push(byte);
                    }
                }
            }
        }
        events
    }

    fn line_ended(&mut self, line: &[u8]) -> Option<Event> {
        let cut = std::mem::take(&mut self.line_cut);
        if line.is_empty() && !cut {
            return self.dispatch();
        }
        if self.oversized {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => self.data.push(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let event = self.event.take();
        let data = std::mem::take(&mut self.data);
        let oversized = std::mem::take(&mut self.oversized);
        self.size = 0;
        if oversized {
            self.dropped += 1;
            return None;
        }
        if data.is_empty() {
            return None;
        }
        Some(Event { event, data: data.join("\n") })
    }
}

/// One event to send: its type, then a `data:` line per line of `data`
/// (split at `\r\n`, `\n` or `\r`, so no line break in it can end the event
/// early or start a field), then the empty line.
pub fn frame(event: &str, data: &str) -> Vec<u8> {
    let mut out = String::with_capacity(data.len() + event.len() + 16);
    let event: String = event.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    out.push_str("event: ");
    out.push_str(&event);
    out.push('\n');
    for line in data.split("\r\n").flat_map(|part| part.split(['\n', '\r'])) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(stream: &[u8]) -> Vec<Event> {
        Parser::new().feed(stream)
    }

    fn data(text: &str) -> Event {
        Event { event: None, data: text.to_owned() }
    }

    #[test]
    fn data_lines_of_one_event_join_with_a_line_feed() {
        let stream = b"data: message,ch,{\ndata:  \"a\": 1\ndata:}\n\n";
        assert_eq!(parse_all(stream), vec![data("message,ch,{\n \"a\": 1\n}")]);
    }

    #[test]
    fn any_line_ending_ends_a_line_and_comments_and_empty_events_are_skipped() {
        let stream = b": keep-alive\r\n\r\nevent: x\rdata: one\r\rdata: two\r\n\r\nretry: 5\n\n";
        assert_eq!(
            parse_all(stream),
            vec![Event { event: Some("x".into()), data: "one".into() }, data("two")],
            "a comment, a CR-ended event, a CRLF-ended one, and one without data"
        );
    }

    #[test]
    fn chunks_may_split_anywhere_even_a_crlf() {
        let stream = b"data: a\r\ndata: b\r\n\r\ndata: c\n\n";
        let whole = parse_all(stream);
        for cut in 0..stream.len() {
            let mut parser = Parser::new();
            let mut events = parser.feed(&stream[..cut]);
            events.extend(parser.feed(&stream[cut..]));
            assert_eq!(events, whole, "cut at {cut}");
        }
        assert_eq!(whole, vec![data("a\nb"), data("c")]);
    }

    #[test]
    fn an_oversized_event_is_dropped_and_the_stream_goes_on() {
        let mut parser = Parser::new();
        let mut stream = b"data: ".to_vec();
        stream.extend(std::iter::repeat_n(b'x', MAX_EVENT_BYTES + 10));
        stream.extend(b"\n\ndata: after\n\n");
        assert_eq!(parser.feed(&stream), vec![data("after")]);
        assert_eq!(parser.dropped, 1);
    }

    #[test]
    fn frames_split_data_lines_so_nothing_can_inject_a_field() {
        assert_eq!(frame("ready", "{}"), b"event: ready\ndata: {}\n\n");
        let framed = frame("invalidate", "a\nevent: evil\r\nb\rc");
        assert_eq!(framed, b"event: invalidate\ndata: a\ndata: event: evil\ndata: b\ndata: c\n\n");
        assert_eq!(
            parse_all(&framed),
            vec![Event { event: Some("invalidate".into()), data: "a\nevent: evil\nb\nc".into() }]
        );
    }

    proptest! {
        /// Whatever the payload, framing then parsing gives it back (line
        /// breaks as \n), in one event; any chunking of a stream parses the same.
        #[test]
        fn framing_round_trips(payload in ".{0,200}", cut in 0usize..400) {
            let framed = frame("invalidate", &payload);
            let expected = payload.replace("\r\n", "\n").replace('\r', "\n");
            let mut parser = Parser::new();
            let cut = cut.min(framed.len());
            let mut events = parser.feed(&framed[..cut]);
            events.extend(parser.feed(&framed[cut..]));
            prop_assert_eq!(events, vec![Event { event: Some("invalidate".into()), data: expected }]);
        }

        /// Arbitrary bytes never panic the parser, and its buffers stay bounded.
        #[test]
        fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..512), 0..8)) {
            let mut parser = Parser::new();
            for chunk in &chunks {
                for event in parser.feed(chunk) {
                    prop_assert!(event.data.len() <= MAX_EVENT_BYTES);
                }
                prop_assert!(parser.line.len() <= MAX_EVENT_BYTES);
            }
        }
    }
}
