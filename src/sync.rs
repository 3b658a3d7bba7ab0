//! Locks shared by the requests of an isolate.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering the guard if a panic poisoned it.
///
/// Every critical section in edgecache only moves values in and out of maps
/// and counters, so a panic cannot leave the data half-written: the state
/// behind a poisoned lock is still consistent, and one panicking request
/// must not fail every later request of the isolate.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
