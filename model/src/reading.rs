//! How a cell reads to a person: the word for its outcome and the tone that
//! colours it. A scenario that checks a refusal (an attack, a token without
//! the right) reads `refused` where its outcome is `pass`, and `accepted`
//! where it is `security`; the tone comes from the outcome against the
//! expectation and from severity, never from pass/fail alone.
//!
//! Every renderer (Markdown, HTML, JUnit, the terminal table, upgrade-check,
//! `token inspect`) reads cells through [`Reading`]; none keeps a table of
//! its own. `matrix.json` keeps the outcome strings machines read and gets
//! nothing from here.

use crate::matrix::Cell;
use crate::outcome::Outcome;

/// What a cell's colour says, loudest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tone {
    /// `security` or `data-loss`, expected or not.
    Alarm,
    /// The harness could not run the cell (`error`): it says nothing about
    /// the registry, and nothing about it is as expected.
    HarnessError,
    /// Not the expected outcome, and worse than it (by [`Outcome::severity`]).
    Regression,
    /// Not the expected outcome, and better than it: the expectation is out
    /// of date.
    Improvement,
    /// As expected, and a failure the scenario documents (its `because`):
    /// `fail`, `flaky` or `no-recovery`.
    Known,
    /// As expected: the version cannot express the scenario (`unsupported`).
    Muted,
    /// As expected, and what the scenario wants: it passed, or the registry
    /// refused what it must refuse.
    Good,
}

impl Tone {
    /// Every tone, loudest first (legend order).
    pub const ALL: [Tone; 7] = [
        Tone::Alarm,
        Tone::HarnessError,
        Tone::Regression,
        Tone::Improvement,
        Tone::Known,
        Tone::Muted,
        Tone::Good,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Alarm => "alarm",
            Tone::HarnessError => "harness-error",
            Tone::Regression => "regression",
            Tone::Improvement => "improvement",
            Tone::Known => "known",
            Tone::Muted => "muted",
            Tone::Good => "good",
        }
    }

    /// One line for a legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Tone::Alarm => "security or data loss: an alarm even when expected",
            Tone::HarnessError => "the harness could not run it",
            Tone::Regression => "unexpected, and worse than expected",
            Tone::Improvement => "unexpected, and better than expected: update the expectation",
            Tone::Known => "as expected: a known failure the scenario explains",
            Tone::Muted => "as expected: the version cannot express the scenario",
            Tone::Good => "as expected",
        }
    }
}

impl std::fmt::Display for Tone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The word a person reads for `outcome`: a refusal scenario's `pass` is
/// `refused`; `security` is always `accepted` (the registry accepted a token
/// it must refuse); every other outcome is its own name.
pub fn label(outcome: Outcome, refusal: bool) -> &'static str {
    match outcome {
        Outcome::Pass if refusal => "refused",
        Outcome::Security => "accepted",
        other => other.as_str(),
    }
}

/// What the label means, in a few words (legends, tooltips).
pub fn meaning(outcome: Outcome, refusal: bool) -> &'static str {
    match outcome {
        Outcome::Pass if refusal => "refused what it must refuse",
        Outcome::Pass => "the scenario's operations succeeded",
        Outcome::Security => "accepted a token it must refuse",
        Outcome::Fail if refusal => "failed otherwise than by refusing (see the evidence)",
        Outcome::Fail => "the registry refused them",
        Outcome::Unsupported => "the version cannot express the scenario",
        Outcome::Error => "the harness could not run it",
        Outcome::Flaky => "repeated runs disagreed",
        Outcome::DataLoss => "acknowledged data it then lost",
        Outcome::NoRecovery => "did not recover after the faults stopped",
    }
}

/// The tone of `outcome` where the scenario expected `expected`: alarms
/// first, then harness errors, then unexpected outcomes by whether they
/// are worse or better, then the expected ones by what they are.
pub fn tone(outcome: Outcome, expected: Outcome) -> Tone {
    if outcome.is_alarm() {
        return Tone::Alarm;
    }
    if outcome == Outcome::Error {
        return Tone::HarnessError;
    }
    if outcome != expected {
        return if outcome.severity() > expected.severity() {
            Tone::Regression
        } else {
            Tone::Improvement
        };
    }
    match outcome {
        Outcome::Pass => Tone::Good,
        Outcome::Unsupported => Tone::Muted,
        Outcome::Fail | Outcome::Flaky | Outcome::NoRecovery => Tone::Known,
        // Handled above; listed so a new outcome must choose its tone here.
        Outcome::Security | Outcome::DataLoss => Tone::Alarm,
        Outcome::Error => Tone::HarnessError,
    }
}

/// How one cell (or one run of it) reads: its label, the expectation's
/// label, and its tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub outcome: Outcome,
    pub expected: Outcome,
    /// `refused`, `accepted`, `pass`, `fail`, ...: see [`label`].
    pub label: &'static str,
    /// The expected outcome as the same scenario reads it.
    pub expected_label: &'static str,
    pub tone: Tone,
}

impl Reading {
    pub fn of(outcome: Outcome, expected: Outcome, refusal: bool) -> Reading {
        Reading {
            outcome,
            expected,
            label: label(outcome, refusal),
            expected_label: label(expected, refusal),
            tone: tone(outcome, expected),
        }
    }

    pub fn as_expected(&self) -> bool {
        self.outcome == self.expected
    }

    /// The label, and the expectation when it differs:
    /// `refused`, `fail (expected refused)`.
    pub fn text(&self) -> String {
        if self.as_expected() {
            self.label.to_string()
        } else {
            format!("{} (expected {})", self.label, self.expected_label)
        }
    }
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Cell {
    /// How the cell reads to a person; see [`Reading`].
    pub fn reading(&self) -> Reading {
        Reading::of(self.outcome, self.expected, self.refusal)
    }

    /// How one of the cell's runs (`--repeat`) reads, against the cell's
    /// expectation.
    pub fn run_reading(&self, outcome: Outcome) -> Reading {
        Reading::of(outcome, self.expected, self.refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    const ALL: [Outcome; 8] = [
        Security,
        Pass,
        Fail,
        Unsupported,
        Error,
        Flaky,
        DataLoss,
        NoRecovery,
    ];

    #[test]
    fn a_refusal_scenario_reads_refused_and_accepted() {
        assert_eq!(label(Pass, true), "refused");
        assert_eq!(label(Pass, false), "pass");
        assert_eq!(label(Security, true), "accepted");
        assert_eq!(label(Security, false), "accepted");
        for outcome in [Fail, Unsupported, Error, Flaky, DataLoss, NoRecovery] {
            for refusal in [false, true] {
                assert_eq!(label(outcome, refusal), outcome.as_str());
            }
        }
    }

    #[test]
    fn the_reading_table() {
        // (outcome, expected, refusal) -> (label, tone)
        let table = [
            (Pass, Pass, false, "pass", Tone::Good),
            (Pass, Pass, true, "refused", Tone::Good),
            (Security, Pass, true, "accepted", Tone::Alarm),
            (Security, Security, true, "accepted", Tone::Alarm),
            (Pass, Security, true, "refused", Tone::Improvement),
            (Fail, Pass, true, "fail", Tone::Regression),
            (Fail, Fail, false, "fail", Tone::Known),
            (Fail, Pass, false, "fail", Tone::Regression),
            (Pass, Fail, false, "pass", Tone::Improvement),
            (Unsupported, Unsupported, true, "unsupported", Tone::Muted),
            (Unsupported, Pass, false, "unsupported", Tone::Regression),
            (Pass, Unsupported, false, "pass", Tone::Improvement),
            (Fail, Unsupported, false, "fail", Tone::Regression),
            (Error, Pass, false, "error", Tone::HarnessError),
            (Error, Error, false, "error", Tone::HarnessError),
            (Flaky, Pass, false, "flaky", Tone::Regression),
            (Flaky, Flaky, false, "flaky", Tone::Known),
            (Fail, Flaky, false, "fail", Tone::Regression),
            (DataLoss, Pass, false, "data-loss", Tone::Alarm),
            (DataLoss, DataLoss, false, "data-loss", Tone::Alarm),
            (NoRecovery, NoRecovery, false, "no-recovery", Tone::Known),
            (NoRecovery, Pass, false, "no-recovery", Tone::Regression),
            (Fail, NoRecovery, false, "fail", Tone::Improvement),
        ];
        for (outcome, expected, refusal, want_label, want_tone) in table {
            let r = Reading::of(outcome, expected, refusal);
            assert_eq!(
                (r.label, r.tone),
                (want_label, want_tone),
                "{outcome} expected {expected}, refusal {refusal}"
            );
        }
    }

    #[test]
    fn alarms_are_alarms_and_errors_errors_whatever_was_expected() {
        for expected in ALL {
            for refusal in [false, true] {
                for outcome in [Security, DataLoss] {
                    assert_eq!(Reading::of(outcome, expected, refusal).tone, Tone::Alarm);
                }
                assert_eq!(
                    Reading::of(Error, expected, refusal).tone,
                    Tone::HarnessError
                );
            }
        }
    }

    #[test]
    fn unexpected_outcomes_are_regressions_or_improvements_by_severity() {
        for outcome in ALL {
            for expected in ALL {
                let tone = tone(outcome, expected);
                if outcome.is_alarm() || outcome == Error {
                    continue;
                }
                if outcome == expected {
                    assert!(
                        matches!(tone, Tone::Good | Tone::Known | Tone::Muted),
                        "{outcome} as expected is {tone}"
                    );
                } else {
                    let worse = outcome.severity() > expected.severity();
                    assert_eq!(
                        tone,
                        if worse {
                            Tone::Regression
                        } else {
                            Tone::Improvement
                        },
                        "{outcome} expected {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_an_expected_pass_is_good() {
        for outcome in ALL {
            for expected in ALL {
                assert_eq!(
                    tone(outcome, expected) == Tone::Good,
                    outcome == Pass && expected == Pass,
                    "{outcome} expected {expected}"
                );
            }
        }
    }

    #[test]
    fn text_names_the_expectation_in_the_scenarios_words() {
        assert_eq!(Reading::of(Pass, Pass, true).text(), "refused");
        assert_eq!(
            Reading::of(Fail, Pass, true).text(),
            "fail (expected refused)"
        );
        assert_eq!(
            Reading::of(Security, Pass, true).to_string(),
            "accepted (expected refused)"
        );
        assert_eq!(
            Reading::of(Pass, Unsupported, false).to_string(),
            "pass (expected unsupported)"
        );
    }

    #[test]
    fn tones_are_listed_loudest_first_and_named_once() {
        let mut sorted = Tone::ALL;
        sorted.sort();
        assert_eq!(sorted, Tone::ALL);
        let names: std::collections::BTreeSet<&str> =
            Tone::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), Tone::ALL.len());
        assert!(Tone::ALL.iter().all(|t| !t.meaning().is_empty()));
    }

    #[test]
    fn meanings_follow_the_refusal() {
        assert_eq!(meaning(Pass, true), "refused what it must refuse");
        assert_ne!(meaning(Pass, false), meaning(Pass, true));
        assert_ne!(meaning(Fail, false), meaning(Fail, true));
        assert_eq!(meaning(Security, false), meaning(Security, true));
    }
}
