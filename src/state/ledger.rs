//! Reading the journal: each intent with its latest outcome, the intents a crash left open, the
//! lost secrets still waiting for a recovery rotation, and the history. Pure.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::record::{Intent, JournalEntry, JournalRecord, WriteAction, WriteOutcome};
use crate::plan::{AwaitingDelivery, LostSecret};

/// One write as the journal knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// The run that sent it.
    pub run_id: String,
    /// When its intent was recorded.
    pub at: Timestamp,
    /// The intent.
    pub intent: Intent,
    /// Its latest outcome, and the run and instant that recorded it.
    pub outcome: Option<(WriteOutcome, String, Timestamp)>,
}

impl Write {
    /// True while nobody knows whether it happened: no outcome, or an unknown one.
    pub fn is_open(&self) -> bool {
        self.outcome
            .as_ref()
            .is_none_or(|(outcome, _, _)| outcome.is_open())
    }
}

/// The journal, read.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Every write, in the order its intent was recorded.
    pub writes: Vec<Write>,
}

impl Ledger {
    /// Reads `records`, oldest first. An outcome for an intent the journal does not hold is
    /// ignored.
    pub fn new(records: &[JournalRecord]) -> Self {
        let mut writes: Vec<Write> = Vec::new();
        for record in records {
            match &record.entry {
                JournalEntry::Intent(intent) => writes.push(Write {
                    run_id: record.run_id.clone(),
                    at: record.at,
                    intent: intent.clone(),
                    outcome: None,
                }),
                JournalEntry::Outcome {
                    intent_run,
                    intent_seq,
                    resource,
                    outcome,
                } => {
                    let write = writes.iter_mut().rev().find(|write| {
                        write.run_id == *intent_run && write.intent.seq == *intent_seq
                    });
                    let recorded = Some((outcome.clone(), record.run_id.clone(), record.at));
                    match (write, resource) {
                        (Some(write), _) => write.outcome = recorded,
                        // The intent's record is damaged or gone: a secret's fate still counts.
                        (None, Some(resource)) if outcome.concerns_a_secret() => {
                            writes.push(Write {
                                run_id: intent_run.clone(),
                                at: record.at,
                                intent: Intent::unreadable(*intent_seq, resource),
                                outcome: recorded,
                            });
                        }
                        (None, _) => {}
                    }
                }
            }
        }
        Self { writes }
    }

    /// The writes whose outcome is open, except those of `running` (the run holding the lock,
    /// whose writes are still in flight).
    pub fn open_writes(&self, running: Option<&str>) -> Vec<&Write> {
        self.writes
            .iter()
            .filter(|write| write.is_open() && Some(write.run_id.as_str()) != running)
            .collect()
    }

    /// Every resource whose latest rotation's secret was saved to a recovery file and has not
    /// reached its sink since, with the write that saved it.
    pub fn awaiting_delivery(&self) -> Vec<(&Write, AwaitingDelivery)> {
        let mut awaiting: Vec<(&Write, AwaitingDelivery)> = Vec::new();
        for write in &self.writes {
            if write.intent.action != WriteAction::Rotate || !write.intent.issues_secret {
                continue;
            }
            let resource = &write.intent.resource;
            let outcome = write.outcome.as_ref().map(|(outcome, _, _)| outcome);
            if matches!(outcome, Some(WriteOutcome::Failed { .. }) | None) {
                continue;
            }
            awaiting.retain(|(_, entry)| entry.resource != *resource);
            if let Some(WriteOutcome::SecretRecovered { path, .. }) = outcome {
                let entry = AwaitingDelivery {
                    resource: resource.clone(),
                    path: path.clone(),
                    since: write.at,
                };
                awaiting.push((write, entry));
            }
        }
        awaiting
    }

    /// Every resource whose latest rotation issued a secret that reached neither its sink nor
    /// a recovery file, with the write that lost it.
    pub fn lost_secrets(&self) -> Vec<LostSecret> {
        let mut lost: Vec<LostSecret> = Vec::new();
        for write in &self.writes {
            if write.intent.action != WriteAction::Rotate {
                continue;
            }
            let resource = &write.intent.resource;
            match write.outcome.as_ref().map(|(outcome, _, _)| outcome) {
                Some(WriteOutcome::SecretLost { .. }) => {
                    lost.retain(|entry| entry.resource != *resource);
                    lost.push(LostSecret {
                        resource: resource.clone(),
                        run_id: write.run_id.clone(),
                        at: write.at,
                    });
                }
                Some(
                    WriteOutcome::SecretDelivered { .. } | WriteOutcome::SecretRecovered { .. },
                ) => {
                    lost.retain(|entry| entry.resource != *resource);
                }
                _ => {}
            }
        }
        lost
    }

    /// When each key was last rotated, as this journal knows it, by its vendor's key and its
    /// ID (not its name, which an edit of the file can give another key): its latest rotate
    /// that went through (done, its secret delivered, saved or lost), at the instant the
    /// outcome records or, when it records none, when the intent was recorded (just before the
    /// request). For vendors whose API does not show rotations, this is the only record. An
    /// intent whose record is damaged names no key, and counts for none.
    pub fn last_rotations(&self) -> BTreeMap<(&str, &str), Timestamp> {
        let mut last = BTreeMap::new();
        for write in &self.writes {
            if write.intent.action != WriteAction::Rotate {
                continue;
            }
            let at = match write.outcome.as_ref().map(|(outcome, _, _)| outcome) {
                Some(
                    WriteOutcome::Done { last_rotation }
                    | WriteOutcome::SecretDelivered { last_rotation, .. }
                    | WriteOutcome::SecretRecovered { last_rotation, .. }
                    | WriteOutcome::SecretLost { last_rotation, .. },
                ) => last_rotation.unwrap_or(write.at),
                Some(WriteOutcome::Failed { .. } | WriteOutcome::Unknown { .. }) | None => {
                    continue;
                }
            };
            let key = (write.intent.vendor.as_str(), write.intent.id.as_str());
            if !key.0.is_empty() && last.get(&key).is_none_or(|seen| *seen < at) {
                last.insert(key, at);
            }
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> Timestamp {
        format!("2026-11-24T12:{minute:02}:00Z").parse().unwrap()
    }

    fn intent(run: &str, seq: u64, minute: u32, resource: &str) -> JournalRecord {
        JournalRecord {
            run_id: run.to_owned(),
            at: at(minute),
            entry: JournalEntry::Intent(Intent {
                seq,
                resource: resource.to_owned(),
                vendor: "rixl".to_owned(),
                id: format!("K-{resource}"),
                action: WriteAction::Rotate,
                observed_last_rotation: None,
                issues_secret: true,
                reason: "key is 40 days old".to_owned(),
                by: "ops@host".to_owned(),
                command: "keyrot apply".to_owned(),
            }),
        }
    }

    fn outcome(run: &str, of: (&str, u64), minute: u32, outcome: WriteOutcome) -> JournalRecord {
        JournalRecord {
            run_id: run.to_owned(),
            at: at(minute),
            entry: JournalEntry::Outcome {
                intent_run: of.0.to_owned(),
                intent_seq: of.1,
                resource: Some("k1".to_owned()),
                outcome,
            },
        }
    }

    fn lost() -> WriteOutcome {
        WriteOutcome::SecretLost {
            last_rotation: None,
            reason: "killed".to_owned(),
        }
    }

    fn delivered() -> WriteOutcome {
        WriteOutcome::SecretDelivered {
            last_rotation: None,
            sink: "file k".to_owned(),
        }
    }

    #[test]
    fn a_resources_last_rotation_is_its_latest_rotate_that_went_through() {
        let failed = WriteOutcome::Failed {
            error: "refused".to_owned(),
        };
        let done_at = WriteOutcome::Done {
            last_rotation: Some(at(3)),
        };
        let ledger = Ledger::new(&[
            intent("a", 1, 0, "k1"),
            outcome("a", ("a", 1), 1, delivered()),
            intent("b", 1, 5, "k1"),
            outcome("b", ("b", 1), 6, failed),
            intent("c", 1, 2, "j"),
            outcome("c", ("c", 1), 4, done_at),
            intent("d", 1, 7, "open"),
        ]);
        let last = ledger.last_rotations();
        // Without a time in its outcome, the intent's (the failed later one does not count).
        assert_eq!(last.get(&("rixl", "K-k1")), Some(&at(0)));
        assert_eq!(last.get(&("rixl", "K-j")), Some(&at(3)));
        assert_eq!(last.get(&("rixl", "K-open")), None);
    }

    #[test]
    fn an_intent_without_an_outcome_is_open_unless_its_run_is_still_running() {
        let ledger = Ledger::new(&[intent("a", 1, 0, "k"), intent("b", 1, 1, "j")]);
        assert_eq!(ledger.open_writes(None).len(), 2);
        let open = ledger.open_writes(Some("b"));
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].run_id, "a");
    }

    #[test]
    fn a_settled_intent_is_closed_and_an_unknown_one_stays_open() {
        let ledger = Ledger::new(&[
            intent("a", 1, 0, "k"),
            intent("a", 2, 0, "j"),
            outcome(
                "a",
                ("a", 1),
                1,
                WriteOutcome::Unknown {
                    error: "reset".to_owned(),
                },
            ),
            outcome("a", ("a", 2), 1, delivered()),
        ]);
        let open = ledger.open_writes(None);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].intent.resource, "k");
    }

    #[test]
    fn a_lost_secret_stays_lost_until_a_later_rotation_delivers_one() {
        let records = vec![intent("a", 1, 0, "k"), outcome("a", ("a", 1), 1, lost())];
        let ledger = Ledger::new(&records);
        let lost_now = ledger.lost_secrets();
        assert_eq!(lost_now.len(), 1);
        assert_eq!((lost_now[0].run_id.as_str(), lost_now[0].at), ("a", at(0)));

        let mut recovered = records.clone();
        recovered.push(intent("b", 1, 5, "k"));
        recovered.push(outcome("b", ("b", 1), 6, delivered()));
        assert!(Ledger::new(&recovered).lost_secrets().is_empty());

        let mut failed_again = records;
        failed_again.push(intent("b", 1, 5, "k"));
        failed_again.push(outcome(
            "b",
            ("b", 1),
            6,
            WriteOutcome::Failed {
                error: "403".to_owned(),
            },
        ));
        assert_eq!(Ledger::new(&failed_again).lost_secrets().len(), 1);
    }

    #[test]
    fn each_key_keeps_its_own_lost_secret() {
        // Two keys lose a secret; one is recovered, then it loses one again: the other key's
        // loss is untouched throughout, and the recovered key's newest loss replaces its old one.
        let records = vec![
            intent("a", 1, 0, "k1"),
            outcome("a", ("a", 1), 1, lost()),
            intent("a", 2, 2, "k2"),
            outcome("a", ("a", 2), 3, lost()),
            intent("b", 1, 5, "k1"),
            outcome("b", ("b", 1), 6, delivered()),
        ];
        let names = |records: &[JournalRecord]| -> Vec<String> {
            let ledger = Ledger::new(records);
            ledger
                .lost_secrets()
                .into_iter()
                .map(|lost| lost.resource)
                .collect()
        };
        assert_eq!(names(&records), ["k2"]);
        let mut again = records;
        again.push(intent("c", 1, 8, "k1"));
        again.push(outcome("c", ("c", 1), 9, lost()));
        assert_eq!(names(&again), ["k2", "k1"]);
    }

    #[test]
    fn a_later_settlement_replaces_an_unknown_outcome() {
        let ledger = Ledger::new(&[
            intent("a", 1, 0, "k"),
            outcome(
                "a",
                ("a", 1),
                1,
                WriteOutcome::Unknown {
                    error: "reset".to_owned(),
                },
            ),
            outcome("b", ("a", 1), 9, lost()),
        ]);
        assert!(ledger.open_writes(None).is_empty());
        assert_eq!(ledger.lost_secrets().len(), 1);
        let (_, settled_by, _) = ledger.writes[0].outcome.as_ref().unwrap();
        assert_eq!(settled_by, "b");
    }
}
