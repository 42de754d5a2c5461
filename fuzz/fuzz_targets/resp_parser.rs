//! The request parser must never panic, and must parse the same commands
//! whether the bytes arrive at once or split at an arbitrary point.
#![no_main]

use ferrite::resp::parse::{Limits, Parsed, RequestParser};
use libfuzzer_sys::fuzz_target;

const LIM: Limits = Limits { max_bulk_len: 1 << 20, unauthenticated: false };

fn run(chunks: &[&[u8]]) -> (Vec<Vec<Vec<u8>>>, bool) {
    let mut buf: Vec<u8> = Vec::new();
    let mut p = RequestParser::default();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match p.parse(&buf, LIM) {
                Ok(Some(Parsed::Multibulk)) => out.push(p.args().iter().map(|r| buf[r.clone()].to_vec()).collect()),
                Ok(Some(Parsed::Inline(a))) => out.push(a),
                Ok(Some(Parsed::Empty)) => out.push(Vec::new()),
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
        let consumed = p.consumed();
        buf.drain(..consumed);
        p.shift(consumed);
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = data[0] as usize % data.len();
    let body = &data[1..];
    let cut = cut.min(body.len());
    let whole = run(&[body]);
    let split = run(&[&body[..cut], &body[cut..]]);
    if !whole.1 && !split.1 {
        assert_eq!(whole.0, split.0);
    }
});
