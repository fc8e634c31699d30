//! Helpers the merge-law property tests share: fold ops into a replica, deliver them shuffled
//! with duplicates, and take one replica's partial view.

#![allow(dead_code)]

use proptest::prelude::*;
use sync_proto::Op;
use sync_proto::state::ReplicaState;

/// A replica that has applied `ops` in the given order.
pub fn replica_of<'a>(ops: impl IntoIterator<Item = &'a Op>) -> ReplicaState {
    let mut s = ReplicaState::new();
    for op in ops {
        s.apply(op);
    }
    s
}

/// The same ops shuffled, with some delivered twice.
pub fn delivery(ops: Vec<Op>) -> impl Strategy<Value = Vec<Op>> {
    let n = ops.len();
    (
        Just(ops),
        prop::collection::vec(0..n.max(1), 0..n.max(1) + 1),
    )
        .prop_flat_map(|(ops, dups)| {
            let mut all = ops.clone();
            for d in dups {
                if let Some(op) = ops.get(d) {
                    all.push(op.clone());
                }
            }
            Just(all).prop_shuffle()
        })
}

/// A random subset of the ops (one replica's partial view).
pub fn subset(ops: &[Op], mask: &[bool]) -> Vec<Op> {
    ops.iter()
        .zip(mask.iter().cycle())
        .filter(|(_, keep)| **keep)
        .map(|(op, _)| op.clone())
        .collect()
}
