//! Counting exit notifications that a full receive queue dropped, from the gaps in a CPU's
//! notification counter. Pure state machine; [`super::ExitListener`] feeds it.

/// Counts notifications lost on one per-CPU socket from the gaps in that CPU's counter.
///
/// The kernel numbers a CPU's exit notifications 0, 1, 2, …; when the queue overflows, the next
/// receive reports ENOBUFS once, then the notifications still queued, then the newer ones:
///
/// ```text
/// kernel sends:  10 11 12 13 14 15 16 17 18
/// queue:                  13 queued, full for 14 and 15 (dropped), room again from 16
/// recv returns:  10 11 12 ENOBUFS 13 16 17 18
/// lost:          numbers missing from 10..=18: 14, 15 → 2
/// ```
///
/// Missing numbers count only once an overrun has been reported: without one, a gap or a
/// number out of order comes from a task preempted or migrated between taking its number and
/// sending, not from a drop. Each overrun is at least one lost notification, even before a
/// newer one reveals the gap. A number far (2^20) from the window is another CPU's counter (a
/// task migrated while exiting) and is ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LossTracker {
    base: Option<u32>,
    /// Highest offset from `base` seen.
    max_off: u64,
    /// Numbers seen in `base..=base + max_off`.
    seen: u64,
    /// Missing numbers carried over when the window moved.
    carried_missing: u64,
    overruns: u64,
    reported: u64,
}

const FOREIGN_JUMP: u64 = 1 << 20;

impl LossTracker {
    /// A notification with CPU counter `seq` arrived.
    pub fn observe(&mut self, seq: u32) {
        let Some(base) = self.base else {
            self.base = Some(seq);
            self.seen = 1;
            return;
        };
        let off = u64::from(seq.wrapping_sub(base));
        if off >= 1 << 31 || off > self.max_off + FOREIGN_JUMP {
            return; // Before the window (late) or another CPU's counter.
        }
        self.max_off = self.max_off.max(off);
        self.seen += 1;
        if self.max_off >= 1 << 30 {
            // Move the window before the u32 offsets get ambiguous.
            self.carried_missing += (self.max_off + 1).saturating_sub(self.seen);
            self.base = Some(base.wrapping_add(self.max_off as u32));
            self.max_off = 0;
            self.seen = 1;
        }
    }

    /// recv reported ENOBUFS.
    pub fn overrun(&mut self) {
        self.overruns += 1;
    }

    /// Notifications lost so far.
    pub fn lost(&self) -> u64 {
        if self.overruns == 0 {
            return 0;
        }
        let missing = self.carried_missing + (self.max_off + 1).saturating_sub(self.seen);
        missing.max(self.overruns)
    }

    /// Lost notifications not reported by an earlier call.
    pub fn take_lost(&mut self) -> u64 {
        let total = self.lost();
        let new = total.saturating_sub(self.reported);
        self.reported = self.reported.max(total);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(events: &str) -> LossTracker {
        let mut t = LossTracker::default();
        for e in events.split_whitespace() {
            match e {
                "ENOBUFS" => t.overrun(),
                n => t.observe(n.parse().unwrap()),
            }
        }
        t
    }

    /// ```text
    /// recv:  10 11 12 ENOBUFS 13 16 17 18   → 14, 15 lost
    /// ```
    #[test]
    fn gaps_after_an_overrun_are_counted_exactly() {
        assert_eq!(run("10 11 12 ENOBUFS 13 16 17 18").lost(), 2);
    }

    /// ```text
    /// recv:  10 12 11 13   (no ENOBUFS: 12 overtook 11, nothing lost)
    /// recv:  10 11 ENOBUFS (overrun, no newer message yet: at least 1)
    /// recv:  5 6 90000000 7 ENOBUFS 8 10  (90000000: another CPU's counter, ignored: 9 lost)
    /// ```
    #[test]
    fn reordering_foreign_numbers_and_unrevealed_overruns() {
        assert_eq!(run("10 12 11 13").lost(), 0);
        assert_eq!(run("10 11 ENOBUFS").lost(), 1);
        assert_eq!(run("5 6 90000000 7 ENOBUFS 8 10").lost(), 1);
        // The counter wraps: 4294967295 → 0 is no gap.
        assert_eq!(run("4294967294 4294967295 0 1 ENOBUFS 2").lost(), 1);
        assert_eq!(run("4294967294 ENOBUFS 0 1 2").lost(), 1);
    }

    /// ```text
    /// drain 1: 1 2 ENOBUFS 3        → reports 1 (the overrun, gap not yet seen)
    /// drain 2: 7 8                  → reports 2 more (4, 5, 6 missing: 3 in all)
    /// drain 3: 9                    → reports 0
    /// ```
    #[test]
    fn each_loss_is_reported_once() {
        let mut t = run("1 2 ENOBUFS 3");
        assert_eq!(t.take_lost(), 1);
        t.observe(7);
        t.observe(8);
        assert_eq!(t.take_lost(), 2);
        t.observe(9);
        assert_eq!(t.take_lost(), 0);
    }

    /// Numbers 2^19 apart (each step: 2^19 - 1 missing) run the window past 2^30 and the u32
    /// counter past its wrap; the count survives both.
    #[test]
    fn window_moves_without_losing_count() {
        let mut t = LossTracker::default();
        t.overrun();
        let n: u64 = 10_000;
        for k in 0..n {
            t.observe((k << 19) as u32);
        }
        assert_eq!(t.lost(), (n - 1) * ((1 << 19) - 1));
    }
}
