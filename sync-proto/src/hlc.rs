//! Hybrid logical clock (Kulkarni et al., 2014).
//!
//! An [`Hlc`] timestamp is `(wall_ms, counter, actor)`: close to real time,
//! always increasing on one replica, and consistent with causality across
//! replicas (a replica that has seen an op stamps its next op later). The
//! actor breaks ties, so two distinct ops never share a timestamp — which is
//! what lets last-writer-wins registers merge deterministically.
//!
//! Till clocks drift. [`HlcClock::observe`] refuses to be dragged forward by a
//! remote timestamp more than [`MAX_FORWARD_DRIFT_MS`] ahead of local time, so
//! one till with a clock set to next year cannot poison everyone's clock.

use serde::{Deserialize, Serialize};

use crate::ids::ActorId;

/// How far ahead of the local wall clock a remote timestamp may be before it
/// is treated as a broken clock rather than a causal predecessor (5 minutes).
pub const MAX_FORWARD_DRIFT_MS: u64 = 5 * 60 * 1000;

/// One hybrid logical clock timestamp. Ordered by wall time, then counter,
/// then actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the physical part).
    pub wall_ms: u64,
    /// Logical counter within one millisecond.
    pub counter: u32,
    /// The replica that issued the timestamp (tie breaker).
    pub actor: ActorId,
}

/// A remote timestamp too far in the future to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("clock of {actor} is {ahead_ms} ms ahead of ours (limit {MAX_FORWARD_DRIFT_MS} ms)")]
pub struct ClockDrift {
    /// Who sent the timestamp.
    pub actor: ActorId,
    /// How far ahead of local time it was.
    pub ahead_ms: u64,
}

/// The clock of one replica. Persist [`HlcClock::last`] with the ops it
/// stamped so that a restart never goes back in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlcClock {
    actor: ActorId,
    wall_ms: u64,
    counter: u32,
}

impl HlcClock {
    /// A clock for `actor` that has issued nothing yet.
    pub fn new(actor: ActorId) -> Self {
        Self {
            actor,
            wall_ms: 0,
            counter: 0,
        }
    }

    /// A clock resumed from the last timestamp it issued or observed.
    pub fn resume(actor: ActorId, last: Option<Hlc>) -> Self {
        let mut clock = Self::new(actor);
        if let Some(last) = last {
            clock.wall_ms = last.wall_ms;
            clock.counter = last.counter;
        }
        clock
    }

    /// The replica this clock belongs to.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// The latest timestamp issued or observed (to persist).
    pub fn last(&self) -> Hlc {
        Hlc {
            wall_ms: self.wall_ms,
            counter: self.counter,
            actor: self.actor,
        }
    }

    /// Issue a timestamp for a local event, given the wall clock now.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            self.wall_ms = now_ms;
            self.counter = 0;
        } else {
            self.bump_counter();
        }
        self.last()
    }

    /// Take a remote timestamp into account (on receiving an op), so that
    /// later local events are ordered after it.
    pub fn observe(&mut self, remote: &Hlc, now_ms: u64) -> Result<(), ClockDrift> {
        if remote.wall_ms > now_ms.saturating_add(MAX_FORWARD_DRIFT_MS) {
            return Err(ClockDrift {
                actor: remote.actor,
                ahead_ms: remote.wall_ms - now_ms,
            });
        }
        let wall = self.wall_ms.max(remote.wall_ms).max(now_ms);
        if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter = self.counter.max(remote.counter);
            self.bump_counter();
        } else if wall == self.wall_ms {
            self.bump_counter();
        } else if wall == remote.wall_ms {
            self.wall_ms = wall;
            self.counter = remote.counter;
            self.bump_counter();
        } else {
            self.wall_ms = wall;
            self.counter = 0;
        }
        Ok(())
    }

    fn bump_counter(&mut self) {
        match self.counter.checked_add(1) {
            Some(c) => self.counter = c,
            None => {
                // 4 billion events in one millisecond: move the physical part on.
                self.wall_ms += 1;
                self.counter = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(n: u8) -> ActorId {
        ActorId(uuid::Uuid::from_bytes([n; 16]))
    }

    #[test]
    fn ticks_are_strictly_increasing_even_when_wall_clock_goes_back() {
        let mut c = HlcClock::new(actor(1));
        let a = c.tick(1_000);
        let b = c.tick(999);
        let d = c.tick(1_000);
        assert!(a < b && b < d);
    }

    #[test]
    fn observing_a_later_remote_orders_next_tick_after_it() {
        let mut c = HlcClock::new(actor(1));
        c.tick(1_000);
        let remote = Hlc {
            wall_ms: 5_000,
            counter: 7,
            actor: actor(2),
        };
        c.observe(&remote, 1_001).expect("within drift");
        let next = c.tick(1_002);
        assert!(next > remote);
    }

    #[test]
    fn far_future_remote_is_refused() {
        let mut c = HlcClock::new(actor(1));
        let remote = Hlc {
            wall_ms: 10_000_000,
            counter: 0,
            actor: actor(2),
        };
        assert!(c.observe(&remote, 1_000).is_err());
        assert!(c.tick(1_000).wall_ms < 10_000_000);
    }
}
