//! The `local` backend: `.keyrot/lock`, an OS file lock holding its holder's details, and
//! `.keyrot/journal.jsonl`, an append-only JSON Lines file whose records are flushed to disk
//! before the write they announce is sent. Writers that append at once share one flush.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use crate::atomic_file::write_atomically;

use super::{
    DamagedRecord, JournalRecord, Lead, LockCheck, LockGuard, LockHolder, StateBackend, StateError,
};

/// How long a lock attempt retries even with no timeout: a `plan` or `drift` checking who holds
/// the lock takes it for a moment, which must not fail an apply.
const MOMENT: Duration = Duration::from_millis(300);
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// State in a directory (`.keyrot/` beside the desired-state file).
pub struct LocalBackend {
    directory: PathBuf,
    journal: Mutex<Option<JournalWriter>>,
    damaged: Mutex<Vec<DamagedRecord>>,
}

type Pending = (Vec<u8>, oneshot::Sender<io::Result<()>>);

/// The task that appends to the journal: it takes every record waiting, writes them, flushes
/// once, and answers each waiter.
struct JournalWriter(mpsc::UnboundedSender<Pending>);

impl LocalBackend {
    /// The state in `directory`, created (mode 0700) when first written.
    pub fn new(directory: PathBuf) -> Self {
        Self {
            directory,
            journal: Mutex::new(None),
            damaged: Mutex::new(Vec::new()),
        }
    }

    /// `.keyrot/` beside `desired_file`.
    pub fn beside(desired_file: &Path) -> Self {
        let directory = match desired_file.parent() {
            Some(directory) if !directory.as_os_str().is_empty() => directory,
            _ => Path::new("."),
        };
        Self::new(directory.join(".keyrot"))
    }

    fn lock_path(&self) -> PathBuf {
        self.directory.join("lock")
    }

    fn journal_path(&self) -> PathBuf {
        self.directory.join("journal.jsonl")
    }

    fn error(&self, detail: impl fmt::Display) -> StateError {
        StateError::Storage {
            location: self.location(),
            detail: detail.to_string(),
        }
    }

    fn create_directory(&self) -> io::Result<()> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.directory)
    }

    fn open_lock_file(&self, path: &Path) -> io::Result<File> {
        self.create_directory()?;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
    }

    /// Takes the lock file at `path` for `holder`, waiting up to `timeout`.
    fn take_lock(
        &self,
        path: PathBuf,
        holder: &LockHolder,
        timeout: Duration,
    ) -> Result<LockGuard, StateError> {
        let file = self
            .open_lock_file(&path)
            .map_err(|error| self.error(error))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < timeout.max(MOMENT) => {
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StateError::Held {
                        waited: timeout,
                        location: self.location(),
                        holder: read_holder(&file).map_or_else(
                            || "a keyrot that recorded no details".to_owned(),
                            |h| h.to_string(),
                        ),
                    });
                }
                Err(TryLockError::Error(error)) => return Err(self.error(error)),
            }
        }
        write_holder(&file, holder).map_err(|error| self.error(error))?;
        let file = Arc::new(file);
        let check = LockFileCheck {
            file: Arc::clone(&file),
            path,
            location: self.location(),
        };
        Ok(LockGuard::new(HeldLock(file), Arc::new(check), None))
    }

    fn who_holds(&self) -> Result<Option<LockHolder>, StateError> {
        let file = match File::open(self.lock_path()) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.error(error)),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(None),
            Err(TryLockError::WouldBlock) => {
                Ok(Some(read_holder(&file).unwrap_or_else(unknown_holder)))
            }
            Err(TryLockError::Error(error)) => Err(self.error(error)),
        }
    }

    fn writer(&self) -> Result<mpsc::UnboundedSender<Pending>, StateError> {
        let mut journal = self
            .journal
            .lock()
            .map_err(|_| self.error("the journal writer failed"))?;
        if let Some(writer) = journal.as_ref() {
            return Ok(writer.0.clone());
        }
        self.create_directory().map_err(|error| self.error(error))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(self.journal_path())
            .map_err(|error| self.error(error))?;
        drop_torn_tail(&file).map_err(|error| self.error(error))?;
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_journal(Arc::new(Mutex::new(file)), receiver));
        *journal = Some(JournalWriter(sender.clone()));
        Ok(sender)
    }

    /// Hands `records` to the writer task, which writes and flushes them in its next batch.
    fn enqueue(
        &self,
        records: &[JournalRecord],
    ) -> Result<oneshot::Receiver<io::Result<()>>, StateError> {
        let mut lines = Vec::new();
        for record in records {
            serde_json::to_writer(&mut lines, record).map_err(|error| self.error(error))?;
            lines.push(b'\n');
        }
        let (reply, written) = oneshot::channel();
        self.writer()?
            .send((lines, reply))
            .map_err(|_| self.error("the journal writer stopped"))?;
        Ok(written)
    }

    /// Waits until the batch holding an enqueued append is on disk.
    async fn wait(&self, written: oneshot::Receiver<io::Result<()>>) -> Result<(), StateError> {
        written
            .await
            .map_err(|_| self.error("the journal writer stopped"))?
            .map_err(|error| self.error(format!("cannot write journal.jsonl: {error}")))
    }

    /// Rewrites `journal.jsonl` with the lines that can be read, appending the others (and a
    /// torn last line) to `journal.damaged.jsonl`, whole and in order.
    fn move_damaged_lines(&self) -> Result<String, StateError> {
        let path = self.journal_path();
        let aside = self.directory.join("journal.damaged.jsonl");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(self.error(error)),
        };
        let (mut kept, mut damaged) = (String::new(), String::new());
        for line in text.lines() {
            let readable = serde_json::from_str::<JournalRecord>(line).is_ok();
            let into = if readable { &mut kept } else { &mut damaged };
            into.push_str(line);
            into.push('\n');
        }
        if !damaged.is_empty() {
            OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o600)
                .open(&aside)
                .and_then(|mut file| {
                    file.write_all(damaged.as_bytes())?;
                    file.sync_all()
                })
                .map_err(|error| {
                    self.error(format!("cannot write {}: {error}", aside.display()))
                })?;
            write_atomically(&path, kept.as_bytes()).map_err(|error| self.error(error))?;
        }
        Ok(aside.display().to_string())
    }

    fn read_records(&self) -> Result<Vec<JournalRecord>, StateError> {
        let text = match fs::read_to_string(self.journal_path()) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.error(error)),
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut records = Vec::with_capacity(lines.len());
        let mut damaged = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            match serde_json::from_str(line) {
                Ok(record) => records.push(record),
                // A crash in the middle of an append leaves a torn last line: it announced a
                // write that was never sent.
                Err(_) if index + 1 == lines.len() && !text.ends_with('\n') => {}
                Err(error) => damaged.push(DamagedRecord {
                    place: format!("journal.jsonl line {}", index + 1),
                    error: error.to_string(),
                }),
            }
        }
        *self.damaged.lock().unwrap_or_else(|p| p.into_inner()) = damaged;
        Ok(records)
    }
}

/// The lock file, locked; released (and its details cleared) when dropped.
struct HeldLock(Arc<File>);

/// The lock is the file this process locked, as long as that file is still the one at its
/// path: a `.keyrot/` removed or replaced (a cleanup, a checkout) would let a second apply lock
/// a new file while this one writes.
struct LockFileCheck {
    file: Arc<File>,
    path: PathBuf,
    location: String,
}

impl LockCheck for LockFileCheck {
    fn still_held(&self) -> Result<Option<Duration>, StateError> {
        use std::os::unix::fs::MetadataExt;
        let held = self.file.metadata().map(|m| (m.dev(), m.ino()));
        let there = fs::metadata(&self.path).map(|m| (m.dev(), m.ino()));
        match (held, there) {
            (Ok(held), Ok(there)) if held == there => Ok(None),
            _ => Err(StateError::LockLost {
                location: self.location.clone(),
                detail: format!(
                    "{} was removed or replaced while this apply held it",
                    self.path.display()
                ),
            }),
        }
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.set_len(0);
        let _ = self.0.unlock();
    }
}

/// Cuts a last line that a crash left half written, so the next record starts on a line of its
/// own. That line announced a write that was never sent: its intent never reached the disk.
fn drop_torn_tail(mut file: &File) -> io::Result<()> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(());
    }
    let mut text = Vec::new();
    file.rewind()?;
    file.read_to_end(&mut text)?;
    if text.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = text
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |at| at + 1);
    file.set_len(keep as u64)?;
    file.sync_data()
}

fn write_holder(mut file: &File, holder: &LockHolder) -> io::Result<()> {
    let text = serde_json::to_string(holder).map_err(io::Error::other)?;
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

fn read_holder(mut file: &File) -> Option<LockHolder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn unknown_holder() -> LockHolder {
    LockHolder {
        run_id: "unknown".to_owned(),
        user: "unknown".to_owned(),
        host: "unknown".to_owned(),
        command: "keyrot".to_owned(),
        started_at: jiff::Timestamp::UNIX_EPOCH,
        ci_url: None,
    }
}

async fn write_journal(file: Arc<Mutex<File>>, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = receiver.try_recv() {
            batch.push(next);
        }
        let bytes: Vec<u8> = batch
            .iter()
            .flat_map(|(line, _)| line.iter().copied())
            .collect();
        let file = Arc::clone(&file);
        let written = tokio::task::spawn_blocking(move || {
            let mut file = file
                .lock()
                .map_err(|_| io::Error::other("journal file poisoned"))?;
            file.write_all(&bytes)?;
            file.sync_data()
        })
        .await
        .unwrap_or_else(|error| Err(io::Error::other(error)));
        for (_, reply) in batch {
            let _ = reply.send(match &written {
                Ok(()) => Ok(()),
                Err(error) => Err(io::Error::new(error.kind(), error.to_string())),
            });
        }
    }
}

impl StateBackend for LocalBackend {
    fn location(&self) -> String {
        format!("{}/", self.directory.display())
    }

    fn lock<'a>(
        &'a self,
        holder: &'a LockHolder,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<LockGuard, StateError>> {
        async move {
            let directory = self.directory.clone();
            let holder = holder.clone();
            tokio::task::spawn_blocking(move || {
                let backend = LocalBackend::new(directory);
                backend.take_lock(backend.lock_path(), &holder, timeout)
            })
            .await
            .map_err(|error| self.error(error))?
        }
        .boxed()
    }

    fn lead<'a>(
        &'a self,
        lead: Lead,
        holder: &'a LockHolder,
    ) -> BoxFuture<'a, Result<LockGuard, StateError>> {
        async move {
            let directory = self.directory.clone();
            let holder = holder.clone();
            let name = match lead {
                Lead::Apply => "leader",
                Lead::ReadOnly => "leader-read-only",
            };
            tokio::task::spawn_blocking(move || {
                let backend = LocalBackend::new(directory);
                backend.take_lock(backend.directory.join(name), &holder, Duration::ZERO)
            })
            .await
            .map_err(|error| self.error(error))?
        }
        .boxed()
    }

    fn holder(&self) -> BoxFuture<'_, Result<Option<LockHolder>, StateError>> {
        async move { self.who_holds() }.boxed()
    }

    fn append<'a>(&'a self, records: &'a [JournalRecord]) -> BoxFuture<'a, Result<(), StateError>> {
        async move { self.wait(self.enqueue(records)?).await }.boxed()
    }

    fn append_soon<'a>(
        &'a self,
        records: &'a [JournalRecord],
    ) -> BoxFuture<'a, Result<(), StateError>> {
        async move { self.enqueue(records).map(drop) }.boxed()
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StateError>> {
        async move {
            if self
                .journal
                .lock()
                .map_or(true, |journal| journal.is_none())
            {
                return Ok(());
            }
            self.wait(self.enqueue(&[])?).await
        }
        .boxed()
    }

    fn set_damaged_aside(&self) -> BoxFuture<'_, Result<String, StateError>> {
        async move { self.move_damaged_lines() }.boxed()
    }

    fn damaged(&self) -> Vec<DamagedRecord> {
        self.damaged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn records(&self) -> BoxFuture<'_, Result<Vec<JournalRecord>, StateError>> {
        async move { self.read_records() }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::state::{Intent, JournalEntry, WriteAction};

    fn holder(run: &str) -> LockHolder {
        LockHolder {
            run_id: run.to_owned(),
            user: "ops".to_owned(),
            host: "laptop".to_owned(),
            command: "keyrot apply".to_owned(),
            started_at: "2026-11-24T12:00:00Z".parse().unwrap(),
            ci_url: None,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_torn_last_line_is_forgiven_and_a_damaged_line_is_skipped_and_reported() {
        let directory = tempfile::tempdir().unwrap();
        let state = directory.path().join(".keyrot");
        fs::create_dir_all(&state).unwrap();
        let backend = LocalBackend::new(state.clone());
        let runtime = runtime();
        fs::write(state.join("journal.jsonl"), "{\"torn").unwrap();
        assert!(runtime.block_on(backend.records()).unwrap().is_empty());
        assert!(backend.damaged().is_empty());
        let good = r#"{"run_id":"r1","at":"2026-11-24T12:00:00Z","record":"outcome","intent_run":"r1","intent_seq":1,"outcome":{"type":"failed","error":"x"}}"#;
        let text = format!("{good}\n{{\"damaged\n{good}\n{{\"torn");
        fs::write(state.join("journal.jsonl"), text).unwrap();
        let records = runtime.block_on(backend.records()).unwrap();
        assert_eq!(records.len(), 2, "the damaged line's neighbours are kept");
        let damaged = backend.damaged();
        assert_eq!(damaged.len(), 1, "{damaged:?}");
        assert_eq!(damaged[0].place, "journal.jsonl line 2");
    }

    #[test]
    fn a_journal_or_lock_that_cannot_be_read_is_an_error_never_an_empty_state() {
        // Only a missing file means "nothing recorded"; anything else unreadable stops the
        // run rather than let it act as if no write were open.
        let directory = tempfile::tempdir().unwrap();
        let state = directory.path().join(".keyrot");
        let backend = LocalBackend::new(state.clone());
        let runtime = runtime();
        assert!(runtime.block_on(backend.records()).unwrap().is_empty());
        assert_eq!(runtime.block_on(backend.holder()).unwrap(), None);
        fs::create_dir_all(state.join("journal.jsonl")).unwrap();
        let journal = runtime.block_on(backend.records()).unwrap_err().to_string();
        assert!(journal.contains(".keyrot"), "{journal}");
        // `.keyrot` itself a file: its lock cannot even be opened.
        let squatted = directory.path().join("squatted");
        fs::write(&squatted, "").unwrap();
        let blocked = LocalBackend::new(squatted);
        assert!(runtime.block_on(blocked.holder()).is_err());
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_until_the_first_is_released() {
        let directory = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(directory.path().join(".keyrot"));
        let runtime = runtime();
        let first = runtime
            .block_on(backend.lock(&holder("first"), Duration::ZERO))
            .unwrap();
        assert_eq!(
            runtime.block_on(backend.holder()).unwrap(),
            Some(holder("first"))
        );
        let refused = runtime.block_on(backend.lock(&holder("second"), Duration::ZERO));
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("ops@laptop (run first"), "{message}");
        let location = directory.path().join(".keyrot").display().to_string();
        assert!(
            message.contains(&location),
            "names where the lock is: {message}"
        );
        drop(first);
        assert_eq!(runtime.block_on(backend.holder()).unwrap(), None);
        let details = fs::read_to_string(directory.path().join(".keyrot/lock")).unwrap();
        assert_eq!(details, "", "the released lock keeps no holder's details");
        runtime
            .block_on(backend.lock(&holder("second"), Duration::ZERO))
            .unwrap();
    }

    #[test]
    fn a_waiting_lock_is_taken_once_the_holder_releases_it() {
        let directory = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(directory.path().join(".keyrot"));
        let runtime = runtime();
        let first = runtime
            .block_on(backend.lock(&holder("first"), Duration::ZERO))
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            drop(first);
        });
        let waited = runtime.block_on(backend.lock(&holder("second"), Duration::from_secs(5)));
        release.join().unwrap();
        assert!(waited.is_ok());
    }

    fn record(seq: u64) -> JournalRecord {
        JournalRecord {
            run_id: "r".to_owned(),
            at: Timestamp::UNIX_EPOCH,
            entry: JournalEntry::Intent(Intent {
                seq,
                resource: format!("k{seq}"),
                vendor: "rixl".to_owned(),
                id: "K".to_owned(),
                action: WriteAction::Rotate,
                observed_last_rotation: None,
                issues_secret: true,
                reason: "r".to_owned(),
                by: "ops@laptop".to_owned(),
                command: "keyrot apply".to_owned(),
            }),
        }
    }

    #[test]
    fn the_journal_keeps_every_record_of_concurrent_appends_and_ignores_a_torn_last_line() {
        let directory = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(directory.path().join(".keyrot")));
        let runtime = runtime();
        runtime.block_on(async {
            let appends = (0..50).map(|seq| {
                let backend = Arc::clone(&backend);
                tokio::spawn(async move { backend.append(&[record(seq)]).await.unwrap() })
            });
            for append in appends.collect::<Vec<_>>() {
                append.await.unwrap();
            }
        });
        let mut read = runtime.block_on(backend.records()).unwrap();
        read.sort_by_key(|record| match &record.entry {
            JournalEntry::Intent(intent) => intent.seq,
            JournalEntry::Outcome { .. } => u64::MAX,
        });
        assert_eq!(read, (0..50).map(record).collect::<Vec<_>>());
        let path = directory.path().join(".keyrot/journal.jsonl");
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"run_id\":\"r\",\"at\"").unwrap();
        assert_eq!(runtime.block_on(backend.records()).unwrap().len(), 50);
        // A new run's appends start on a line of their own.
        let fresh = LocalBackend::new(directory.path().join(".keyrot"));
        runtime
            .block_on(async { fresh.append(&[record(50)]).await })
            .unwrap();
        assert_eq!(runtime.block_on(fresh.records()).unwrap().len(), 51);
    }
}
