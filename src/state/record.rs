//! The write-ahead journal's records: an intent before every write, its outcome after, and
//! settlements a later run makes of what a crash left open. No record ever holds a secret.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A journal record that could not be read: skipped, its neighbours kept, and reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedRecord {
    /// Where it is: `journal.jsonl line 3`, `keyrot_journal row 17`.
    pub place: String,
    /// Why it could not be read.
    pub error: String,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// The run that wrote it.
    pub run_id: String,
    /// When it was written.
    pub at: Timestamp,
    /// What it says.
    #[serde(flatten)]
    pub entry: JournalEntry,
}

/// What a record says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A write about to be sent, with the live values it was planned from.
    Intent(Intent),
    /// What became of an intent: written by its run, or by a later run that settled it.
    Outcome {
        /// The intent's run.
        intent_run: String,
        /// The intent's number within its run.
        intent_seq: u64,
        /// The intent's resource, so that a lost secret is still found when the intent's
        /// record is damaged (absent in journals of keyrot 0.2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resource: Option<String>,
        /// What happened.
        outcome: WriteOutcome,
    },
}

impl JournalEntry {
    /// What became of intent `seq` of run `intent_run`, a write to `resource`.
    pub fn outcome_of(
        (intent_run, seq): (&str, u64),
        resource: &str,
        outcome: WriteOutcome,
    ) -> Self {
        Self::Outcome {
            intent_run: intent_run.to_owned(),
            intent_seq: seq,
            resource: Some(resource.to_owned()),
            outcome,
        }
    }
}

/// A write about to be sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Its number within the run.
    pub seq: u64,
    /// The resource's name in the desired-state file.
    pub resource: String,
    /// Its vendor's key: `cloudflare`.
    pub vendor: String,
    /// Its identifier at the vendor.
    pub id: String,
    /// What is written.
    pub action: WriteAction,
    /// The resource's last rotation as the run last saw it.
    pub observed_last_rotation: Option<Timestamp>,
    /// True when a rotation issues a secret that must reach a sink.
    #[serde(default)]
    pub issues_secret: bool,
    /// Why, in one line.
    pub reason: String,
    /// Who ran it: `user@host`.
    pub by: String,
    /// The command line.
    pub command: String,
}

/// What a write does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteAction {
    /// Sets the interval the vendor rotates the key by itself on (Cloudflare Access's).
    UpdateInterval {
        /// The live value.
        from: f64,
        /// The new value.
        to: u16,
    },
    /// Rotates the key.
    Rotate,
}

/// What became of a write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteOutcome {
    /// The API confirmed it (or a fresh read did, for a lost answer).
    Done {
        /// The resource's last rotation afterwards.
        last_rotation: Option<Timestamp>,
    },
    /// A rotation whose new secret reached its sink.
    SecretDelivered {
        /// The key's new rotation time.
        last_rotation: Option<Timestamp>,
        /// The sink, as the plan shows it.
        sink: String,
    },
    /// A rotation whose new secret its sink refused, saved to a recovery file instead.
    SecretRecovered {
        /// The key's new rotation time.
        last_rotation: Option<Timestamp>,
        /// The recovery file.
        path: String,
    },
    /// A rotation whose new secret reached neither its sink nor a recovery file.
    SecretLost {
        /// The key's new rotation time, if known.
        last_rotation: Option<Timestamp>,
        /// Why.
        reason: String,
    },
    /// The API refused it, or it was never sent.
    Failed {
        /// The API's code and message, or what went wrong.
        error: String,
    },
    /// Nobody knows yet whether it happened: settled by a later run's read.
    Unknown {
        /// What went wrong with the answer.
        error: String,
    },
}

impl Intent {
    /// What stands for an intent whose record could not be read, from its outcome: a rotation
    /// of `resource` that issued a secret.
    pub fn unreadable(seq: u64, resource: &str) -> Self {
        Self {
            seq,
            resource: resource.to_owned(),
            vendor: String::new(),
            id: String::new(),
            action: WriteAction::Rotate,
            observed_last_rotation: None,
            issues_secret: true,
            reason: "(its intent's record is damaged)".to_owned(),
            by: String::new(),
            command: String::new(),
        }
    }
}

impl WriteOutcome {
    /// True for the outcomes that say where a new secret went.
    pub fn concerns_a_secret(&self) -> bool {
        matches!(
            self,
            Self::SecretDelivered { .. } | Self::SecretRecovered { .. } | Self::SecretLost { .. }
        )
    }

    /// True while the write may or may not have happened.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }

    /// A short word for history: `done`, `secret lost`, ...
    pub fn word(&self) -> &'static str {
        match self {
            Self::Done { .. } => "done",
            Self::SecretDelivered { .. } => "done, secret delivered",
            Self::SecretRecovered { .. } => "done, secret saved to a recovery file",
            Self::SecretLost { .. } => "secret lost",
            Self::Failed { .. } => "failed",
            Self::Unknown { .. } => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_flat_json_object() {
        let record = JournalRecord {
            run_id: "abc".to_owned(),
            at: "2026-11-24T12:00:00Z".parse().unwrap(),
            entry: JournalEntry::Outcome {
                intent_run: "abc".to_owned(),
                intent_seq: 1,
                resource: None,
                outcome: WriteOutcome::SecretDelivered {
                    last_rotation: None,
                    sink: "file secrets/ci.key".to_owned(),
                },
            },
        };
        let line = serde_json::to_string(&record).unwrap();
        assert!(
            line.starts_with(r#"{"run_id":"abc","at":"2026-11-24T12:00:00Z","record":"outcome""#),
            "{line}"
        );
        assert_eq!(
            serde_json::from_str::<JournalRecord>(&line).unwrap(),
            record
        );
    }
}
