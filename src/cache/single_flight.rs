//! Single-flight per key inside an isolate: concurrent misses of one key run
//! the loader once; the others wait for its result.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_channel::oneshot;

pub(crate) struct SingleFlight<T> {
    /// Per key: the id of the running flight and its followers.
    waiting: Mutex<HashMap<String, (u64, Vec<oneshot::Sender<T>>)>>,
    next_id: std::sync::atomic::AtomicU64,
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
    id: u64,
}

impl<T: Clone> SingleFlight<T> {
    pub fn new() -> Self {
        SingleFlight { waiting: Mutex::new(HashMap::new()), next_id: Default::default() }
    }

    #[allow(clippy::type_complexity)]
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Vec<oneshot::Sender<T>>)>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins the flight for `key`: the first caller leads, later ones follow.
    pub fn join(&self, key: &str) -> Role<'_, T> {
        let mut waiting = self.lock();
        match waiting.get_mut(key) {
            Some((_, followers)) => {
                let (tx, rx) = oneshot::channel();
                followers.push(tx);
                Role::Follower(rx)
            }
            None => {
                let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                waiting.insert(key.to_owned(), (id, Vec::new()));
                Role::Leader(Leader { flights: self, key: Some(key.to_owned()), id })
            }
        }
    }

    /// Ends every flight: their followers see `Canceled` and look up alone,
    /// and reads that start now lead new flights. After an invalidation, no
    /// read that begins later may be handed a result loaded before it.
    pub fn end_all(&self) {
        self.lock().clear();
    }

    /// Removes the flight of `key` if it is still flight `id`.
    fn remove(&self, key: &str, id: u64) -> Vec<oneshot::Sender<T>> {
        let mut waiting = self.lock();
        match waiting.get(key) {
            Some((current, _)) if *current == id => waiting.remove(key).map(|(_, f)| f).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

impl<T: Clone> Leader<'_, T> {
    /// Hands `result` to every follower and ends the flight.
    pub fn finish(mut self, result: &T) {
        let key = self.key.take().expect("finished once");
        let followers = self.flights.remove(&key, self.id);
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
            self.flights.remove(&key, self.id);
        }
    }
}
