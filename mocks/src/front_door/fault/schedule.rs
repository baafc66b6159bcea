//! Which of the requests a rule matches it actually hits. A schedule is data
//! (comparable, printable, part of the rule's text); [`ScheduleState`] holds
//! the counters, the seeded generator and the start instant of one added
//! rule. Decisions depend only on the order of matching requests (and, for
//! windows, on the time since the rule was added), never on wall-clock
//! randomness, so a seed reproduces a run's decisions.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// When a rule hits. Composed schedules ([`Schedule::All`]) are filters
/// applied left to right: each term sees only the requests every term before
/// it let through, so `window:5s+20s,first:3` hits the first three requests
/// inside the window, while `first:3,window:5s+20s` hits those of the first
/// three matching requests that fall inside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Schedule {
    /// Every matching request.
    #[default]
    Always,
    /// The first `n` matching requests.
    First(u64),
    /// Every `k`-th matching request (the k-th, 2k-th, ...); `k >= 1`.
    Every(u64),
    /// Each matching request with probability `p` (0..=1), drawn from a
    /// generator seeded with `seed`: the same seed and request order give
    /// the same decisions.
    Probability { p: f64, seed: u64 },
    /// Requests arriving from `start` after the rule was added, for `length`.
    Window { start: Duration, length: Duration },
    /// Every term must hit, checked left to right.
    All(Vec<Schedule>),
}

impl Schedule {
    /// `self` then `next`, as a flat [`Schedule::All`].
    pub fn and(self, next: Schedule) -> Schedule {
        let mut terms = match self {
            Schedule::Always => Vec::new(),
            Schedule::All(terms) => terms,
            term => vec![term],
        };
        match next {
            Schedule::Always => {}
            Schedule::All(more) => terms.extend(more),
            term => terms.push(term),
        }
        match terms.len() {
            0 => Schedule::Always,
            1 => terms.remove(0),
            _ => Schedule::All(terms),
        }
    }

    /// The seed of the first probability term, for reports.
    pub fn seed(&self) -> Option<u64> {
        match self {
            Schedule::Probability { seed, .. } => Some(*seed),
            Schedule::All(terms) => terms.iter().find_map(Schedule::seed),
            _ => None,
        }
    }
}

/// The running state of one rule's schedule: the front door keeps one per
/// added rule; tests and tools can run one to preview a schedule's decisions.
#[derive(Debug)]
pub struct ScheduleState {
    added: Instant,
    term: TermState,
}

#[derive(Debug)]
enum TermState {
    Always,
    First { n: u64, seen: u64 },
    Every { k: u64, seen: u64 },
    Probability { p: f64, rng: Box<StdRng> },
    Window { start: Duration, length: Duration },
    All(Vec<TermState>),
}

impl ScheduleState {
    /// Starts `schedule` now: windows count from here.
    pub fn new(schedule: &Schedule, added: Instant) -> Self {
        Self {
            added,
            term: TermState::new(schedule),
        }
    }

    /// Whether the next matching request, arriving at `now`, is hit.
    pub fn decide(&mut self, now: Instant) -> bool {
        let since = now.saturating_duration_since(self.added);
        self.term.decide(since)
    }
}

impl TermState {
    fn new(schedule: &Schedule) -> Self {
        match schedule {
            Schedule::Always => Self::Always,
            Schedule::First(n) => Self::First { n: *n, seen: 0 },
            Schedule::Every(k) => Self::Every {
                k: (*k).max(1),
                seen: 0,
            },
            Schedule::Probability { p, seed } => Self::Probability {
                p: p.clamp(0.0, 1.0),
                rng: Box::new(StdRng::seed_from_u64(*seed)),
            },
            Schedule::Window { start, length } => Self::Window {
                start: *start,
                length: *length,
            },
            Schedule::All(terms) => Self::All(terms.iter().map(Self::new).collect()),
        }
    }

    fn decide(&mut self, since: Duration) -> bool {
        match self {
            Self::Always => true,
            Self::First { n, seen } => {
                *seen = seen.saturating_add(1);
                *seen <= *n
            }
            Self::Every { k, seen } => {
                *seen = seen.saturating_add(1);
                *seen % *k == 0
            }
            // One draw per request that reaches this term, hit or not, so the
            // sequence depends only on the seed and the request order.
            Self::Probability { p, rng } => rng.gen::<f64>() < *p,
            Self::Window { start, length } => since >= *start && since - *start < *length,
            // `all` stops at the first miss: later terms only count requests
            // the earlier ones let through.
            Self::All(terms) => terms.iter_mut().all(|term| term.decide(since)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(schedule: &Schedule, requests: usize) -> Vec<bool> {
        let start = Instant::now();
        let mut state = ScheduleState::new(schedule, start);
        (0..requests).map(|_| state.decide(start)).collect()
    }

    #[test]
    fn first_and_every_count_matching_requests() {
        assert_eq!(run(&Schedule::First(2), 4), [true, true, false, false]);
        assert_eq!(
            run(&Schedule::Every(3), 6),
            [false, false, true, false, false, true]
        );
    }

    #[test]
    fn a_window_opens_and_closes_relative_to_the_rule() {
        let added = Instant::now();
        let schedule = Schedule::Window {
            start: Duration::from_secs(5),
            length: Duration::from_secs(20),
        };
        let mut state = ScheduleState::new(&schedule, added);
        let at = |secs| added + Duration::from_secs(secs);
        assert!(!state.decide(at(4)));
        assert!(state.decide(at(5)));
        assert!(state.decide(at(24)));
        assert!(!state.decide(at(25)));
    }

    #[test]
    fn composed_terms_filter_left_to_right() {
        let schedule = Schedule::Every(2).and(Schedule::First(2));
        assert_eq!(
            run(&schedule, 8),
            [false, true, false, true, false, false, false, false]
        );
        assert_eq!(Schedule::Always.and(Schedule::First(1)), Schedule::First(1));
    }
}
