//! Just enough MessagePack walking to find the byte range of each op inside
//! a `Push` frame, so the hub can store and forward the op exactly as the
//! till encoded it instead of encoding it again (which cost as much CPU as
//! decoding). The frame has already been decoded by `sync_proto::wire::decode`
//! when this runs; the ranges are used only if they match the decoded ops
//! one for one, otherwise the hub falls back to re-encoding.

use std::ops::Range;

/// Deepest nesting walked (a decoded op is far shallower).
const MAX_DEPTH: usize = 64;

fn be(b: &[u8], at: usize, n: usize) -> Option<usize> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x)),
    )
}

/// The position after the value starting at `i`.
fn skip(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let t = *b.get(i)?;
    let next = match t {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => i + 1,
        0x80..=0x8f => return skip_n(b, i + 1, 2 * usize::from(t & 0x0f), depth),
        0x90..=0x9f => return skip_n(b, i + 1, usize::from(t & 0x0f), depth),
        0xa0..=0xbf => i + 1 + usize::from(t & 0x1f),
        0xc4 | 0xd9 => i + 2 + be(b, i + 1, 1)?,
        0xc5 | 0xda => i + 3 + be(b, i + 1, 2)?,
        0xc6 | 0xdb => i + 5 + be(b, i + 1, 4)?,
        0xc7 => i + 3 + be(b, i + 1, 1)?,
        0xc8 => i + 4 + be(b, i + 1, 2)?,
        0xc9 => i + 6 + be(b, i + 1, 4)?,
        0xca => i + 5,
        0xcb => i + 9,
        0xcc | 0xd0 => i + 2,
        0xcd | 0xd1 => i + 3,
        0xce | 0xd2 => i + 5,
        0xcf | 0xd3 => i + 9,
        0xd4 => i + 3,
        0xd5 => i + 4,
        0xd6 => i + 6,
        0xd7 => i + 10,
        0xd8 => i + 18,
        0xdc => return skip_n(b, i + 3, be(b, i + 1, 2)?, depth),
        0xdd => return skip_n(b, i + 5, be(b, i + 1, 4)?, depth),
        0xde => return skip_n(b, i + 3, 2 * be(b, i + 1, 2)?, depth),
        0xdf => return skip_n(b, i + 5, 2 * be(b, i + 1, 4)?, depth),
        0xc1 => return None,
    };
    (next <= b.len()).then_some(next)
}

fn skip_n(b: &[u8], mut i: usize, n: usize, depth: usize) -> Option<usize> {
    for _ in 0..n {
        i = skip(b, i, depth + 1)?;
    }
    Some(i)
}

/// A map header at `i`: (entries, position of the first key).
fn map_header(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let t = *b.get(i)?;
    match t {
        0x80..=0x8f => Some((usize::from(t & 0x0f), i + 1)),
        0xde => Some((be(b, i + 1, 2)?, i + 3)),
        0xdf => Some((be(b, i + 1, 4)?, i + 5)),
        _ => None,
    }
}

/// An array header at `i`: (elements, position of the first).
fn array_header(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let t = *b.get(i)?;
    match t {
        0x90..=0x9f => Some((usize::from(t & 0x0f), i + 1)),
        0xdc => Some((be(b, i + 1, 2)?, i + 3)),
        0xdd => Some((be(b, i + 1, 4)?, i + 5)),
        _ => None,
    }
}

/// A string at `i`, if it is one.
fn str_at(b: &[u8], i: usize) -> Option<&[u8]> {
    let t = *b.get(i)?;
    let (len, start) = match t {
        0xa0..=0xbf => (usize::from(t & 0x1f), i + 1),
        0xd9 => (be(b, i + 1, 1)?, i + 2),
        0xda => (be(b, i + 1, 2)?, i + 3),
        0xdb => (be(b, i + 1, 4)?, i + 5),
        _ => return None,
    };
    b.get(start..start.checked_add(len)?)
}

/// In the map at `i`, the position of the value of string key `key`.
fn find_key(b: &[u8], i: usize, key: &[u8]) -> Option<usize> {
    let (n, mut at) = map_header(b, i)?;
    for _ in 0..n {
        let is_key = str_at(b, at) == Some(key);
        let value = skip(b, at, 0)?;
        if is_key {
            return Some(value);
        }
        at = skip(b, value, 0)?;
    }
    None
}

/// Byte ranges of the ops of an encoded `Push` frame
/// (`{v, frame: {Push: {ops: [...]}}}`), or `None` if it is not laid out so.
pub fn push_op_ranges(b: &[u8]) -> Option<Vec<Range<usize>>> {
    let frame = find_key(b, 0, b"frame")?;
    let push = find_key(b, frame, b"Push")?;
    let ops = find_key(b, push, b"ops")?;
    let (n, mut at) = array_header(b, ops)?;
    let mut ranges = Vec::with_capacity(n);
    for _ in 0..n {
        let end = skip(b, at, 0)?;
        ranges.push(at..end);
        at = end;
    }
    Some(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use sync_proto::wire::{self, Frame, Push};
    use sync_proto::{ActorId, CatalogField, CatalogSet, Hlc, Op, OpBody, Scope};

    fn op(seq: u64) -> Op {
        let a = ActorId(uuid::Uuid::from_bytes([9; 16]));
        Op {
            actor: a,
            seq,
            hlc: Hlc {
                wall_ms: 1_700_000_000_000,
                counter: seq as u32,
                actor: a,
            },
            scope: Scope::Catalog,
            body: OpBody::CatalogSet(CatalogSet {
                sku: "A-1".parse().expect("sku"),
                field: CatalogField::Name("x".repeat(seq as usize * 40)),
            }),
        }
    }

    #[test]
    fn finds_each_op_of_a_push_frame() {
        for n in [0u64, 1, 3, 20, 70_000 / 1_000] {
            let ops: Vec<Op> = (1..=n).map(op).collect();
            let bytes = wire::encode(&Frame::Push(Push { ops: ops.clone() })).expect("enc");
            let ranges = push_op_ranges(&bytes).expect("ranges");
            assert_eq!(ranges.len(), ops.len());
            for (r, o) in ranges.iter().zip(&ops) {
                let alone = rmp_serde::to_vec_named(o).expect("enc");
                assert_eq!(&bytes[r.clone()], alone.as_slice());
                assert_eq!(
                    rmp_serde::from_slice::<Op>(&bytes[r.clone()]).expect("dec"),
                    *o
                );
            }
        }
    }

    #[test]
    fn tolerates_reordered_and_unknown_fields_and_refuses_garbage() {
        #[derive(Serialize)]
        struct PushX {
            extra: Vec<u32>,
            ops: Vec<Op>,
        }
        #[derive(Serialize)]
        enum FrameX {
            Push(PushX),
        }
        #[derive(Serialize)]
        struct Env {
            frame: FrameX,
            junk: &'static str,
            v: u16,
        }
        let ops = vec![op(1), op(2)];
        let bytes = rmp_serde::to_vec_named(&Env {
            frame: FrameX::Push(PushX {
                extra: vec![1, 2, 3],
                ops: ops.clone(),
            }),
            junk: "ignored",
            v: 1,
        })
        .expect("enc");
        assert!(matches!(wire::decode(&bytes), Ok(Frame::Push(_))));
        let ranges = push_op_ranges(&bytes).expect("ranges");
        assert_eq!(ranges.len(), 2);
        assert_eq!(
            rmp_serde::from_slice::<Op>(&bytes[ranges[1].clone()]).expect("dec"),
            ops[1]
        );
        assert!(push_op_ranges(b"\xc1").is_none());
        let hello = wire::encode(&Frame::Ping(wire::Ping { nonce: 3 })).expect("enc");
        assert!(push_op_ranges(&hello).is_none());
        for cut in 0..bytes.len() {
            let _ = push_op_ranges(&bytes[..cut]); // never panics
        }
    }
}
