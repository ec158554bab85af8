//! Locking the sandbox's state, whatever a panicked request left behind.

use std::sync::{Mutex, MutexGuard};

/// A poisoned lock only means another request panicked; the data is still consistent enough
/// for a simulator, so keep serving.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
