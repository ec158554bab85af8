//! Outcomes the journal could not take (its database down, its disk full, its lock lost): each
//! kept in a file of its own under `.keyrot/unjournaled/` beside the desired-state file, and
//! moved into the journal by the next run before it settles anything, so that a secret that
//! reached its sink is never taken for a lost one and rotated again.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::atomic_file::write_atomically;
use crate::state::{JournalRecord, StateBackend, StateError};

/// `.keyrot/unjournaled/` beside `desired_file`.
pub fn unjournaled_dir(desired_file: &Path) -> PathBuf {
    crate::atomic_file::directory_of(desired_file)
        .join(".keyrot")
        .join("unjournaled")
}

/// Keeps `record` in a new file under `directory` (created with mode 0700).
pub fn keep(directory: &Path, record: &JournalRecord) -> io::Result<PathBuf> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(directory)?;
    let text = serde_json::to_string(record).map_err(io::Error::other)?;
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    let name = format!(
        "{}-{}-{:08x}.json",
        record.run_id,
        record.at.as_nanosecond().unsigned_abs(),
        u32::from_le_bytes(random)
    );
    let path = directory.join(name);
    write_atomically(&path, text.as_bytes()).map_err(io::Error::other)?;
    Ok(path)
}

/// Appends every record kept under `directory` to `backend`'s journal, oldest first, and
/// removes each file once its record is durable there. Returns how many it moved.
pub async fn merge(directory: &Path, backend: &dyn StateBackend) -> Result<usize, StateError> {
    let kept = kept_files(directory);
    for (path, record) in &kept {
        backend.append(std::slice::from_ref(record)).await?;
        let _ = fs::remove_file(path);
    }
    Ok(kept.len())
}

/// The records kept under `directory`, oldest first, without moving them: what a command that
/// writes nothing counts as journaled.
pub fn kept_records(directory: &Path) -> Vec<JournalRecord> {
    kept_files(directory)
        .into_iter()
        .map(|(_, record)| record)
        .collect()
}

/// The record files under `directory` and what each holds, oldest first; a file that does not
/// read as a record is left alone.
fn kept_files(directory: &Path) -> Vec<(PathBuf, JournalRecord)> {
    let Ok(entries) = fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut kept: Vec<(PathBuf, JournalRecord)> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| {
            let record = serde_json::from_str(&fs::read_to_string(&path).ok()?).ok()?;
            Some((path, record))
        })
        .collect();
    kept.sort_by_key(|(_, record)| record.at);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{JournalEntry, LocalBackend, WriteOutcome};

    #[test]
    fn a_kept_outcome_reaches_the_journal_once() {
        let directory = tempfile::tempdir().unwrap();
        let desired = directory.path().join("keyrot.yaml");
        let kept_in = unjournaled_dir(&desired);
        let record = JournalRecord {
            run_id: "r1".to_owned(),
            at: "2026-11-24T12:00:00Z".parse().unwrap(),
            entry: JournalEntry::Outcome {
                intent_run: "r1".to_owned(),
                intent_seq: 1,
                resource: Some("k1".to_owned()),
                outcome: WriteOutcome::SecretDelivered {
                    last_rotation: None,
                    sink: "file secrets/k1.key".to_owned(),
                },
            },
        };
        keep(&kept_in, &record).unwrap();
        let backend = LocalBackend::beside(&desired);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(merge(&kept_in, &backend)).unwrap(), 1);
        assert_eq!(runtime.block_on(merge(&kept_in, &backend)).unwrap(), 0);
        assert_eq!(runtime.block_on(backend.records()).unwrap(), vec![record]);
    }
}
