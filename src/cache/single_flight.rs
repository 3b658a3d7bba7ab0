//! Single-flight per key inside an isolate: concurrent misses of one key run
//! the loader once; the others wait for its result.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_channel::oneshot;

pub(crate) struct SingleFlight<T> {
    waiting: Mutex<HashMap<String, Vec<oneshot::Sender<T>>>>,
}

pub(crate) enum Role<'a, T: Clone> {
    /// Run the loader, then [`Leader::finish`].
    Leader(Leader<'a, T>),
    /// Wait for the leader; `Err(Canceled)` if it gave up (then load alone).
    Follower(oneshot::Receiver<T>),
}

pub(crate) struct Leader<'a, T: Clone> {
    flights: &'a SingleFlight<T>,
    /// `None` once finished.
    key: Option<String>,
}

impl<T: Clone> SingleFlight<T> {
    pub fn new() -> Self {
        SingleFlight { waiting: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<oneshot::Sender<T>>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins the flight for `key`: the first caller leads, later ones follow.
    pub fn join(&self, key: &str) -> Role<'_, T> {
        let mut waiting = self.lock();
        match waiting.get_mut(key) {
            Some(followers) => {
                let (tx, rx) = oneshot::channel();
                followers.push(tx);
                Role::Follower(rx)
            }
            None => {
                waiting.insert(key.to_owned(), Vec::new());
                Role::Leader(Leader { flights: self, key: Some(key.to_owned()) })
            }
        }
    }
}

impl<T: Clone> Leader<'_, T> {
    /// Hands `result` to every follower and ends the flight.
    pub fn finish(mut self, result: &T) {
        let key = self.key.take().expect("finished once");
        let followers = self.flights.lock().remove(&key).unwrap_or_default();
        for follower in followers {
            let _ = follower.send(result.clone());
        }
    }
}

impl<T: Clone> Drop for Leader<'_, T> {
    /// A leader dropped before finishing (its request was cancelled) ends the
    /// flight: followers see `Canceled` and load for themselves.
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.flights.lock().remove(&key);
        }
    }
}
