//! Single-flight per key inside an isolate: concurrent misses of one key run
//! the loader once; the other reads wait for its result.
//!
//! # Followers wait on their own timers
//! On Workers an isolate serves many requests at once, and workerd cancels a
//! request that awaits a promise resolved from another request's context
//! once that other request has ended ("The Workers runtime canceled this
//! request because it detected that your Worker's code had hung", Cloudflare's
//! Workers errors page). A follower that awaited a channel the leader
//! completes would be woken, and polled, in the leader's context. So the
//! leader wakes nobody: it leaves its result in the flight table, and each
//! follower looks at the table on a timer it set itself (a `setTimeout` of its
//! own request on wasm32), backing off as
//! [`FLIGHT_FOLLOWER`](crate::backoff::FLIGHT_FOLLOWER) says. No request
//! ever waits on another request's I/O.
//!
//! A flight ends without a result when its leader is dropped (its request was
//! cancelled) or when an invalidation ends it; its followers then join again
//! (one of them leads the next flight). A follower that has waited
//! [`MAX_WAIT_MS`] takes the flight over: a leader whose request was
//! abandoned mid-flight may never finish, and is not waited for forever.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long a follower waits for a leader before taking the flight over, in ms.
pub(crate) const MAX_WAIT_MS: u64 = 5_000;
/// How long a finished result stays for followers that have not looked yet, in ms.
const LINGER_MS: u64 = 30_000;

/// The flights of one cache, by key; `T` is what a leader hands its followers.
pub(crate) struct SingleFlight<T> {
    table: Mutex<Table<T>>,
    max_wait_ms: u64,
}

struct Table<T> {
    running: HashMap<String, Running>,
    /// Results of finished flights, by flight id, until every follower took one.
    finished: HashMap<u64, Finished<T>>,
    next_id: u64,
}

struct Running {
    id: u64,
    followers: usize,
    /// What the flight's result depends on (the entry's version keys), so an
    /// invalidation can end exactly the flights it concerns.
    deps: Vec<String>,
}

struct Finished<T> {
    result: T,
    waiting: usize,
    finished_ms: u64,
}

/// What [`SingleFlight::join`] made of the caller.
pub(crate) enum Role<'a, T: Clone> {
    /// Run the lookup, then [`Leader::finish`].
    Leader(Leader<'a, T>),
    /// Wait for the leader with [`Follower::wait`].
    Follower(Follower<'a, T>),
}

/// The read that runs the lookup for every read of its key.
pub(crate) struct Leader<'a, T: Clone> {
    flights: &'a SingleFlight<T>,
    key: String,
    id: u64,
    finished: bool,
}

/// A read waiting for a leader.
pub(crate) struct Follower<'a, T: Clone> {
    flights: &'a SingleFlight<T>,
    key: String,
    id: u64,
    done: bool,
}

/// How a [`Follower::wait`] ended.
pub(crate) enum Waited<'a, T: Clone> {
    /// The leader's result.
    Ready(T),
    /// The flight ended without a result: join again.
    Ended,
    /// The leader did not finish within [`MAX_WAIT_MS`]: the caller now leads.
    TakenOver(Leader<'a, T>),
}

enum Look<T> {
    Ready(T),
    Running,
    Ended,
}

impl<T: Clone> SingleFlight<T> {
    pub fn new() -> Self {
        Self::with_max_wait_ms(MAX_WAIT_MS)
    }

    /// Flights whose followers take over after `max_wait_ms`.
    pub fn with_max_wait_ms(max_wait_ms: u64) -> Self {
        let table = Table { running: HashMap::new(), finished: HashMap::new(), next_id: 0 };
        SingleFlight { table: Mutex::new(table), max_wait_ms }
    }

    fn lock(&self) -> MutexGuard<'_, Table<T>> {
        crate::sync::lock(&self.table)
    }

    /// Joins the flight of `key`, whose result depends on `deps`: the first
    /// caller leads, later ones follow.
    pub fn join(&self, key: &str, deps: &[String]) -> Role<'_, T> {
        let mut table = self.lock();
        if let Some(running) = table.running.get_mut(key) {
            running.followers += 1;
            let id = running.id;
            return Role::Follower(Follower { flights: self, key: key.to_owned(), id, done: false });
        }
        let id = table.start(key, deps.to_vec());
        Role::Leader(Leader { flights: self, key: key.to_owned(), id, finished: false })
    }

    /// Ends the running flights that `ends(key, deps)` names: their
    /// followers join again, and their leaders' results are handed to
    /// nobody. After an invalidation, no read that begins later may be
    /// handed a result loaded before it.
    pub fn end_where(&self, ends: impl Fn(&str, &[String]) -> bool) {
        self.lock().running.retain(|key, running| !ends(key, &running.deps));
    }

    /// How many flights are running now.
    #[cfg(test)]
    fn running(&self) -> usize {
        self.lock().running.len()
    }
}

impl<T> Table<T> {
    fn start(&mut self, key: &str, deps: Vec<String>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.running.insert(key.to_owned(), Running { id, followers: 0, deps });
        id
    }

    /// Removes the running flight of `key` if it is flight `id`; answers its followers.
    fn stop(&mut self, key: &str, id: u64) -> Option<usize> {
        match self.running.get(key) {
            Some(running) if running.id == id => self.running.remove(key).map(|r| r.followers),
            _ => None,
        }
    }
}

impl<T: Clone> Leader<'_, T> {
    /// Leaves `result` for the followers and ends the flight. `now_ms` dates
    /// the result, so results nobody collects are swept.
    pub fn finish(mut self, result: &T, now_ms: u64) {
        self.finished = true;
        let mut table = self.flights.lock();
        let Some(followers) = table.stop(&self.key, self.id) else { return };
        table.finished.retain(|_, f| now_ms.saturating_sub(f.finished_ms) < LINGER_MS);
        if followers > 0 {
            let finished = Finished { result: result.clone(), waiting: followers, finished_ms: now_ms };
            table.finished.insert(self.id, finished);
        }
    }
}

impl<T: Clone> Drop for Leader<'_, T> {
    /// A leader dropped before finishing (its request was cancelled) ends
    /// the flight: its followers join again.
    fn drop(&mut self) {
        if !self.finished {
            self.flights.lock().stop(&self.key, self.id);
        }
    }
}

impl<'a, T: Clone> Follower<'a, T> {
    /// Waits for the leader's result, looking at the flight table on this
    /// request's own timer, never woken by the leader.
    pub async fn wait(mut self) -> Waited<'a, T> {
        let mut backoff = crate::backoff::FLIGHT_FOLLOWER;
        let max_wait = Duration::from_millis(self.flights.max_wait_ms);
        loop {
            match self.look() {
                Look::Ready(result) => return Waited::Ready(result),
                Look::Ended => return Waited::Ended,
                Look::Running if backoff.waited() >= max_wait => {
                    if let Some(leader) = self.take_over() {
                        return Waited::TakenOver(leader);
                    }
                }
                Look::Running => {}
            }
            backoff.sleep().await;
        }
    }

    fn look(&mut self) -> Look<T> {
        let mut table = self.flights.lock();
        if let Some(finished) = table.finished.get_mut(&self.id) {
            let result = finished.result.clone();
            finished.waiting -= 1;
            if finished.waiting == 0 {
                table.finished.remove(&self.id);
            }
            self.done = true;
            return Look::Ready(result);
        }
        match table.running.get(&self.key) {
            Some(running) if running.id == self.id => Look::Running,
            _ => {
                self.done = true;
                Look::Ended
            }
        }
    }

    /// Starts a new flight of the key in place of this follower's, if that is
    /// still running; the other followers of the old one join again.
    fn take_over(&mut self) -> Option<Leader<'a, T>> {
        let mut table = self.flights.lock();
        if table.running.get(&self.key).is_none_or(|running| running.id != self.id) {
            return None;
        }
        self.done = true;
        let deps = table.running.get(&self.key).map(|running| running.deps.clone()).unwrap_or_default();
        let id = table.start(&self.key, deps);
        Some(Leader { flights: self.flights, key: std::mem::take(&mut self.key), id, finished: false })
    }
}

impl<T: Clone> Drop for Follower<'_, T> {
    /// A follower dropped while waiting (its request was cancelled) is no
    /// longer counted, so a result it will never collect does not stay.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut table = self.flights.lock();
        if let Some(running) = table.running.get_mut(&self.key).filter(|r| r.id == self.id) {
            running.followers -= 1;
        } else if let Some(finished) = table.finished.get_mut(&self.id) {
            finished.waiting -= 1;
            if finished.waiting == 0 {
                table.finished.remove(&self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_executor::block_on(future)
    }

    #[test]
    fn followers_collect_the_leaders_result_then_it_is_gone() {
        let flights = SingleFlight::<u32>::new();
        let Role::Leader(leader) = flights.join("k", &[]) else { panic!("first joins lead") };
        let Role::Follower(a) = flights.join("k", &[]) else { panic!("later ones follow") };
        let Role::Follower(b) = flights.join("k", &[]) else { panic!("later ones follow") };
        leader.finish(&7, 0);
        assert!(matches!(block_on(a.wait()), Waited::Ready(7)));
        assert!(matches!(block_on(b.wait()), Waited::Ready(7)));
        assert!(flights.lock().finished.is_empty(), "collected by every follower");
        assert!(matches!(flights.join("k", &[]), Role::Leader(_)), "a read after the flight leads anew");
    }

    #[test]
    fn a_leader_without_followers_leaves_nothing() {
        let flights = SingleFlight::<u32>::new();
        let Role::Leader(leader) = flights.join("k", &[]) else { panic!() };
        leader.finish(&1, 0);
        assert!(flights.lock().finished.is_empty());
        assert_eq!(flights.running(), 0);
    }

    #[test]
    fn an_ended_flight_sends_its_followers_to_join_again() {
        let flights = SingleFlight::<u32>::new();
        let Role::Leader(leader) = flights.join("k", &[]) else { panic!() };
        let Role::Follower(follower) = flights.join("k", &[]) else { panic!() };
        flights.end_where(|key, _| key == "k");
        assert!(matches!(block_on(follower.wait()), Waited::Ended));
        leader.finish(&1, 0);
        assert!(flights.lock().finished.is_empty(), "a result from before the end is handed to nobody");
    }

    #[test]
    fn ending_one_key_leaves_the_others() {
        let flights = SingleFlight::<u32>::new();
        let _a = flights.join("a", &[]);
        let _b = flights.join("b", &[]);
        flights.end_where(|key, _| key == "a");
        assert_eq!(flights.running(), 1);
        assert!(matches!(flights.join("b", &[]), Role::Follower(_)));
    }

    #[test]
    fn ending_by_dependency_leaves_flights_that_do_not_carry_it() {
        let flights = SingleFlight::<u32>::new();
        let _tagged = flights.join("a", &["tag:x".to_string()]);
        let _other = flights.join("b", &["tag:y".to_string()]);
        flights.end_where(|_, deps| deps.iter().any(|d| d == "tag:x"));
        assert!(matches!(flights.join("a", &[]), Role::Leader(_)), "ended");
        assert!(matches!(flights.join("b", &[]), Role::Follower(_)), "still running");
    }

    #[test]
    fn a_dropped_leader_ends_the_flight() {
        let flights = SingleFlight::<u32>::new();
        let Role::Leader(leader) = flights.join("k", &[]) else { panic!() };
        let Role::Follower(follower) = flights.join("k", &[]) else { panic!() };
        drop(leader);
        assert!(matches!(block_on(follower.wait()), Waited::Ended));
    }

    #[test]
    fn a_dropped_follower_is_not_waited_for() {
        let flights = SingleFlight::<u32>::new();
        let Role::Leader(leader) = flights.join("k", &[]) else { panic!() };
        let Role::Follower(gone) = flights.join("k", &[]) else { panic!() };
        drop(gone);
        leader.finish(&1, 0);
        assert!(flights.lock().finished.is_empty(), "no follower left to collect it");
    }

    #[test]
    fn a_follower_takes_over_a_leader_that_never_finishes() {
        let flights = SingleFlight::<u32>::with_max_wait_ms(50);
        let Role::Leader(stuck) = flights.join("k", &[]) else { panic!() };
        let Role::Follower(follower) = flights.join("k", &[]) else { panic!() };
        let started = std::time::Instant::now();
        let Waited::TakenOver(leader) = block_on(follower.wait()) else { panic!("takes over") };
        assert!(started.elapsed() >= Duration::from_millis(50));
        let Role::Follower(late) = flights.join("k", &[]) else { panic!("the new flight is joined") };
        leader.finish(&2, 0);
        stuck.finish(&1, 0);
        assert!(matches!(block_on(late.wait()), Waited::Ready(2)), "the stuck leader's result is handed to nobody");
    }
}
