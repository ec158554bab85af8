//! The one path from a desired state to what a plan is made from, taken by `plan`, `drift`,
//! `apply` and `demo`: the journal's open writes settled, the live state read with progress,
//! the journal's lost secrets beside it, and the part of the file that could be read.

use std::borrow::Cow;
use std::path::Path;

use super::ApplyError;
use super::recovery::{SecretsToRecover, Settling, settle_journal};
use super::ui::Ticker;
use super::unjournaled::{kept_records, unjournaled_dir};
use crate::config::{DesiredState, Resource};
use crate::plan::{LiveState, LostSecret};
use crate::provider::{LiveReader, ProviderError};
use crate::state::{Ledger, StateBackend};

/// How a run observes: through `reader`, settling the journal of `state` (none: nothing to
/// settle) with the secrets that reached no sink in `recovery_dir`, at most `parallelism`
/// resources at once.
pub struct Observer<'a, R> {
    /// The providers.
    pub reader: &'a R,
    /// The lock and journal, when the run has them.
    pub state: Option<&'a dyn StateBackend>,
    /// Where secrets that reached no sink are kept.
    pub recovery_dir: &'a Path,
    /// Resources worked on at once.
    pub parallelism: usize,
}

/// What was read of a desired state.
pub struct Observed<'d> {
    /// The part of the desired state whose live state was read: all of it, unless some reads
    /// failed.
    pub readable: Cow<'d, DesiredState>,
    /// Its live state, with the journal's lost secrets of its resources.
    pub live: LiveState,
    /// The reads that failed.
    pub errors: Vec<ProviderError>,
    /// How many resources could not be read.
    pub unread: usize,
}

impl<R: LiveReader> Observer<'_, R> {
    /// Settles what the journal left open (`Settling::Record` for apply, which journals each
    /// settlement; `Settling::Read` for the others), never the writes of the run `running`,
    /// which holds the lock: the keys whose secret was lost, and the secrets waiting in
    /// recovery files.
    pub async fn settle(
        &self,
        settling: Settling<'_>,
        running: Option<&str>,
    ) -> Result<SecretsToRecover, ApplyError> {
        let Some(state) = self.state else {
            return Ok(SecretsToRecover::default());
        };
        let found = settle_journal(
            self.reader,
            state,
            settling,
            (running, self.recovery_dir),
            self.parallelism,
        )
        .await?;
        Ok(found)
    }

    /// Reads the live state of `desired`, `ticker` advancing as each resource's read
    /// settles, with the `lost` secrets of the resources read beside it.
    pub async fn read<'d>(
        &self,
        desired: &'d DesiredState,
        lost: Vec<LostSecret>,
        ticker: &dyn Ticker,
    ) -> Observed<'d> {
        let read = self.reader.read_live(desired, &|| ticker.advance(1)).await;
        ticker.finish();
        let mut live = read.live;
        let mut errors = read.errors;
        self.add_journaled_rotations(desired, &mut live, &mut errors)
            .await;
        let readable = match errors.is_empty() {
            true => Cow::Borrowed(desired),
            false => Cow::Owned(live.read_part_of(desired.clone())),
        };
        let names = readable.resource_names();
        live.lost_secrets = lost
            .into_iter()
            .filter(|lost| names.contains(&lost.resource.as_str()))
            .collect();
        Observed {
            unread: desired.resource_count() - readable.resource_count(),
            readable,
            live,
            errors,
        }
    }

    /// For vendors whose API does not show when a key was rotated, moves each key's last
    /// rotation to keyrot's own record of its latest one when that is later (the journal, and
    /// the records kept beside the file when it could not be written). When the journal cannot
    /// be read, those keys are left unread: their age is unknown.
    async fn add_journaled_rotations(
        &self,
        desired: &DesiredState,
        live: &mut LiveState,
        errors: &mut Vec<ProviderError>,
    ) {
        let journal_aged: Vec<&Resource> = desired
            .resources
            .iter()
            .filter(|resource| resource.vendor.changed_attribute.is_some())
            .filter(|resource| live.resources.contains_key(&resource.name))
            .collect();
        if journal_aged.is_empty() {
            return;
        }
        // No state: the run reads no journal (the command says so), and has nothing to add.
        let Some(state) = self.state else {
            return;
        };
        let mut records = match state.records().await {
            Ok(records) => records,
            Err(why) => {
                for resource in journal_aged {
                    live.resources.remove(&resource.name);
                    errors.push(ProviderError::Setup(format!(
                        "{}: its API does not show when it was last rotated, and keyrot's \
                         journal, which does, cannot be read: {why}",
                        resource.name
                    )));
                }
                return;
            }
        };
        records.extend(kept_records(&unjournaled_dir(Path::new(&desired.source))));
        let ledger = Ledger::new(&records);
        let journaled = ledger.last_rotations();
        for resource in journal_aged {
            let key = (resource.vendor.key, resource.id.as_str());
            let observed = live.resources.get_mut(&resource.name);
            if let (Some(observed), Some(at)) = (observed, journaled.get(&key)) {
                // To the second, as the APIs tell times.
                let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(*at);
                observed.last_rotation = observed.last_rotation.max(Some(at));
            }
        }
    }
}

impl Observed<'_> {
    /// The failed reads when nothing could be read: nothing to plan, and an error.
    pub fn refuse_when_nothing_was_read(self) -> Result<Self, Vec<ProviderError>> {
        match self.readable.resource_count() == 0 && !self.errors.is_empty() {
            true => Err(self.errors),
            false => Ok(self),
        }
    }

    /// The live state when every read succeeded, else every failure.
    pub fn complete(self) -> Result<LiveState, Vec<ProviderError>> {
        match self.errors.is_empty() {
            true => Ok(self.live),
            false => Err(self.errors),
        }
    }
}
