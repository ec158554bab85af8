//! Reads a vendor's resources and stops once a failure shows that every other read of that
//! vendor would fail too: a host that refuses connections, credentials the API refuses, or an
//! API that answers every read with a server error (after retries). The operator then sees one
//! line naming the cause and what to check, not one line per resource.

use std::future::Future;

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};

use super::ProviderError;
use crate::vendor::Vendor;

/// How many reads must be refused for their credentials (or find nothing, or meet a server
/// error), with none accepted, before the rest of the vendor's reads are not sent. One refusal
/// might be one account the credentials may not see; three with no success is the credentials.
const REFUSALS_TO_STOP: usize = 3;

/// What one vendor's reads need to know to stop early and to say what to check.
pub struct StopRules {
    /// The vendor read.
    pub vendor: &'static Vendor,
    /// The variable that sets the vendor's base URL: `CLOUDFLARE_BASE_URL`.
    pub base_url_variable: &'static str,
    /// The variables holding the credentials in use: `CLOUDFLARE_API_TOKEN`.
    pub credential_variables: &'static str,
    /// Whether a failure says the API refused the credentials.
    pub refuses_credentials: fn(&ProviderError) -> bool,
    /// Whether a failure says the API has nothing at the address read (a 404): three with
    /// none found is a base URL missing its path, not three unknown resources.
    pub not_found: fn(&ProviderError) -> bool,
    /// What to check when nothing is found at any address read.
    pub address_check: &'static str,
    /// What to check about one resource whose read failed this way, if anything.
    pub hint: fn(&ProviderError) -> Option<&'static str>,
}

/// What reading every resource found: each value read with its key, in the order given, and
/// every failure, the one that stopped the reads first.
pub struct Reads<K, T> {
    /// The resources read.
    pub values: Vec<(K, T)>,
    /// The failures, each reported once.
    pub errors: Vec<ProviderError>,
}

/// A failure that every other read of the vendor would meet too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The host refused the connection: one is enough.
    Unreachable,
    /// The API refused the credentials.
    CredentialsRefused,
    /// The API had nothing at the address read.
    NothingFound,
    /// The API answered with a server error (5xx), retries included.
    ApiDown,
}

/// A failure, and the read it came from, in the order the reads were given.
type Failure = (usize, ProviderError);

impl StopRules {
    /// Runs `reads` (from [`in_parallel`]), stopping early as the rules say.
    pub async fn read_each<K, T>(&self, reads: ParallelReads<'_, K, T>) -> Reads<K, T> {
        let ParallelReads { mut pending, total } = reads;
        let mut values = Vec::new();
        let mut failed: Vec<Failure> = Vec::new();
        // Failures that would be vendor-wide, while nothing has been read yet.
        let mut suspects: Vec<(Cause, Failure)> = Vec::new();
        let mut stop = None;
        while let Some((index, key, result)) = pending.next().await {
            match result.map_err(|error| (self.vendor_wide(&error), error)) {
                Ok(value) => values.push((index, key, value)),
                Err((Some(Cause::Unreachable), error)) => {
                    stop = Some((Cause::Unreachable, error));
                    break;
                }
                Err((Some(cause), error)) if values.is_empty() => {
                    suspects.push((cause, (index, error)));
                }
                Err((_, error)) => failed.push((index, error)),
            }
            if [
                Cause::CredentialsRefused,
                Cause::NothingFound,
                Cause::ApiDown,
            ]
            .iter()
            .any(|cause| count(&suspects, *cause) >= REFUSALS_TO_STOP)
            {
                break;
            }
        }
        // Reads still in flight are dropped here, unsent or unanswered.
        drop(pending);
        if stop.is_none() && values.is_empty() {
            stop = verdict(&mut suspects);
        }
        failed.extend(suspects.into_iter().map(|(_, failure)| failure));
        failed.sort_by_key(|(index, _)| *index);
        values.sort_by_key(|(index, _, _)| *index);
        let unread = total - values.len();
        let mut errors: Vec<ProviderError> = stop
            .map(|(cause, error)| self.stopped(cause, error, unread))
            .into_iter()
            .collect();
        errors.extend(failed.into_iter().map(|(_, error)| self.hinted(error)));
        Reads {
            values: values
                .into_iter()
                .map(|(_, key, value)| (key, value))
                .collect(),
            errors,
        }
    }

    /// The failure of a read that covers every resource of the vendor at once (a list), with
    /// `count` resources depending on it.
    pub fn whole_read_failed(&self, error: ProviderError, count: usize) -> ProviderError {
        match self.vendor_wide(&error) {
            Some(cause) => self.stopped(cause, error, count),
            None => self.hinted(error),
        }
    }

    /// What `error` would mean for every other read of this vendor, if anything.
    fn vendor_wide(&self, error: &ProviderError) -> Option<Cause> {
        if error.never_connected() {
            Some(Cause::Unreachable)
        } else if (self.refuses_credentials)(error) {
            Some(Cause::CredentialsRefused)
        } else if (self.not_found)(error) {
            Some(Cause::NothingFound)
        } else if error.status().is_some_and(|status| status >= 500) {
            Some(Cause::ApiDown)
        } else {
            None
        }
    }

    fn stopped(&self, cause: Cause, error: ProviderError, unread: usize) -> ProviderError {
        let (cause, check) = match cause {
            Cause::Unreachable => (error.cause(), self.base_url_variable.to_owned()),
            Cause::CredentialsRefused => (
                format!("the API refused the credentials ({})", error.cause()),
                format!("{} and what it may access", self.credential_variables),
            ),
            Cause::NothingFound => (
                format!(
                    "the API found nothing at any address read ({})",
                    error.cause()
                ),
                self.address_check.to_owned(),
            ),
            Cause::ApiDown => (
                format!(
                    "the API answered every read with a server error, retries included ({}): \
                     it looks down",
                    error.cause()
                ),
                format!(
                    "the vendor's status page and try again later ({} if it is not {}'s API)",
                    self.base_url_variable, self.vendor.title
                ),
            ),
        };
        ProviderError::ReadsStopped {
            vendor: self.vendor.title,
            cause,
            check,
            unread,
            noun: self.vendor.noun,
        }
    }

    fn hinted(&self, error: ProviderError) -> ProviderError {
        match (self.hint)(&error) {
            Some(hint) => ProviderError::Hinted {
                error: Box::new(error),
                hint,
            },
            None => error,
        }
    }
}

/// How many of `suspects` have `cause`.
fn count(suspects: &[(Cause, Failure)], cause: Cause) -> usize {
    suspects.iter().filter(|(of, _)| *of == cause).count()
}

/// With nothing read: any refusal of the credentials is the credentials; three addresses
/// with nothing found are the base URL; three server errors are the API. The stop's one line
/// then stands for every suspect.
fn verdict(suspects: &mut Vec<(Cause, Failure)>) -> Option<(Cause, ProviderError)> {
    let cause = if count(suspects, Cause::CredentialsRefused) > 0 {
        Cause::CredentialsRefused
    } else if count(suspects, Cause::NothingFound) >= REFUSALS_TO_STOP {
        Cause::NothingFound
    } else if count(suspects, Cause::ApiDown) >= REFUSALS_TO_STOP {
        Cause::ApiDown
    } else {
        return None;
    };
    let (_, (_, error)) = suspects.drain(..).find(|(of, _)| *of == cause)?;
    Some((cause, error))
}

/// Reads under way, at most a given number at once, each answering with its place.
pub struct ParallelReads<'a, K, T> {
    pending: BoxStream<'a, (usize, K, Result<T, ProviderError>)>,
    total: usize,
}

/// `reads` (each yielding its key and its result), run at most `parallelism` at once; each is
/// made only when the stream reaches it, so no more than that exist at a time.
pub fn in_parallel<'a, K, T, F, I>(reads: I, parallelism: usize) -> ParallelReads<'a, K, T>
where
    K: Send + 'a,
    T: Send + 'a,
    F: Future<Output = (K, Result<T, ProviderError>)> + Send + 'a,
    I: ExactSizeIterator<Item = F> + Send + 'a,
{
    let total = reads.len();
    // Boxed here, in a plain function: a future that holds the stream's own type trips the
    // compiler's check of `Send` across lifetimes.
    let pending = stream::iter(reads.enumerate())
        .map(indexed)
        .buffer_unordered(parallelism.max(1))
        .boxed();
    ParallelReads { pending, total }
}

/// A read, answering with its place in the order the reads were asked for.
async fn indexed<K, T, F>((index, read): (usize, F)) -> (usize, K, Result<T, ProviderError>)
where
    F: Future<Output = (K, Result<T, ProviderError>)>,
{
    let (key, result) = read.await;
    (index, key, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::error::ResourceLabel;

    fn rules() -> StopRules {
        StopRules {
            vendor: &crate::vendor::cloudflare::VENDOR,
            base_url_variable: "CLOUDFLARE_BASE_URL",
            credential_variables: "CLOUDFLARE_API_TOKEN",
            refuses_credentials: |error| error.status() == Some(403),
            not_found: |error| error.status() == Some(404),
            address_check: "CLOUDFLARE_BASE_URL and the account_ids",
            hint: |error| (error.status() == Some(404)).then_some("check account_id"),
        }
    }

    fn failure(name: &str, status: u16) -> ProviderError {
        ProviderError::Status {
            resource: ResourceLabel(name.to_owned()),
            operation: "GET /x".to_owned(),
            status,
            detail: "no".to_owned(),
        }
    }

    fn refused_connection(name: &str) -> ProviderError {
        ProviderError::Transport {
            resource: ResourceLabel(name.to_owned()),
            operation: "GET /x".to_owned(),
            detail: "cannot connect to 127.0.0.1:1: Connection refused".to_owned(),
            request_may_have_arrived: false,
        }
    }

    /// Reads named `n` answering as `answer(n)` says, recording which were sent.
    async fn read_all(
        count: usize,
        parallelism: usize,
        answer: impl Fn(usize) -> Result<u8, ProviderError>,
    ) -> (Reads<usize, u8>, usize) {
        let sent = std::sync::atomic::AtomicUsize::new(0);
        let reads: Vec<_> = (0..count)
            .map(|n| {
                let sent = &sent;
                let result = answer(n);
                async move {
                    sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    (n, result)
                }
            })
            .collect();
        let reads = rules()
            .read_each(in_parallel(reads.into_iter(), parallelism))
            .await;
        (reads, sent.into_inner())
    }

    fn messages(errors: &[ProviderError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[tokio::test]
    async fn a_refused_connection_stops_the_reads_with_one_line() {
        let (reads, sent) = read_all(200, 10, |n| Err(refused_connection(&n.to_string()))).await;
        assert!(sent <= 10, "{sent} reads were sent");
        assert_eq!(
            messages(&reads.errors),
            [
                "Cloudflare: cannot connect to 127.0.0.1:1: Connection refused; check \
              CLOUDFLARE_BASE_URL. Reading from Cloudflare stopped there: 200 accounts not read"
            ]
        );
    }

    #[tokio::test]
    async fn refused_credentials_stop_the_reads_after_three_with_none_accepted() {
        let (reads, sent) = read_all(200, 1, |n| Err(failure(&n.to_string(), 403))).await;
        assert_eq!(sent, REFUSALS_TO_STOP);
        assert_eq!(
            messages(&reads.errors),
            [
                "Cloudflare: the API refused the credentials (HTTP 403: no); check \
              CLOUDFLARE_API_TOKEN and what it may access. Reading from Cloudflare stopped \
              there: 200 accounts not read"
            ]
        );
    }

    #[tokio::test]
    async fn nothing_found_at_three_addresses_and_none_found_is_the_base_url() {
        let (reads, sent) = read_all(50, 1, |n| Err(failure(&n.to_string(), 404))).await;
        assert_eq!(sent, REFUSALS_TO_STOP);
        assert_eq!(
            messages(&reads.errors),
            [
                "Cloudflare: the API found nothing at any address read (HTTP 404: no); check \
              CLOUDFLARE_BASE_URL and the account_ids. Reading from Cloudflare stopped there: \
              50 accounts not read"
            ]
        );
        // Two unknown accounts among ones that exist are two accounts to check.
        let (reads, _) = read_all(2, 1, |n| Err(failure(&n.to_string(), 404))).await;
        assert_eq!(reads.errors.len(), 2);
        assert!(messages(&reads.errors)[0].ends_with("; check account_id"));
    }

    #[tokio::test]
    async fn server_errors_on_three_reads_and_none_read_is_an_api_that_looks_down() {
        let (reads, sent) = read_all(2000, 1, |n| Err(failure(&n.to_string(), 503))).await;
        assert_eq!(sent, REFUSALS_TO_STOP);
        assert_eq!(
            messages(&reads.errors),
            [
                "Cloudflare: the API answered every read with a server error, retries included \
              (HTTP 503: no): it looks down; check the vendor's status page and try again later \
              (CLOUDFLARE_BASE_URL if it is not Cloudflare's API). Reading from Cloudflare \
              stopped there: 2000 accounts not read"
            ]
        );
        // A server error among reads that succeed is that resource's.
        let (reads, _) = read_all(3, 1, |n| match n {
            1 => Err(failure("1", 502)),
            _ => Ok(7),
        })
        .await;
        assert_eq!(messages(&reads.errors), ["1: GET /x failed: HTTP 502: no"]);
    }

    #[tokio::test]
    async fn one_account_the_credentials_may_not_see_hides_nothing() {
        let (reads, sent) = read_all(5, 1, |n| match n {
            0 | 1 => Err(failure(&n.to_string(), 403)),
            3 => Err(failure("3", 404)),
            _ => Ok(7),
        })
        .await;
        assert_eq!(sent, 5);
        assert_eq!(reads.values, [(2, 7), (4, 7)]);
        assert_eq!(
            messages(&reads.errors),
            [
                "0: GET /x failed: HTTP 403: no",
                "1: GET /x failed: HTTP 403: no",
                "3: GET /x failed: HTTP 404: no; check account_id"
            ]
        );
    }

    #[tokio::test]
    async fn a_whole_read_that_fails_names_every_resource_it_covered() {
        let error = rules().whole_read_failed(failure("keys", 403), 4);
        assert!(
            error.to_string().ends_with("4 accounts not read"),
            "{error}"
        );
        let error = rules().whole_read_failed(failure("keys", 500), 4);
        let message = error.to_string();
        assert!(
            message.contains("(HTTP 500: no): it looks down"),
            "{message}"
        );
        let error = rules().whole_read_failed(failure("keys", 400), 4);
        assert_eq!(error.to_string(), "keys: GET /x failed: HTTP 400: no");
    }
}
