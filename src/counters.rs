//! One list of counters, three shapes: [`counter_table!`] turns a list of
//! documented field names into
//!
//! - the table of atomics a component bumps (`AtomicU64` per counter,
//!   `Relaxed`: counters order nothing),
//! - the public snapshot struct, one `u64` per counter plus any derived
//!   fields, with the attributes given (serde's, for a JSON endpoint),
//! - the table's `snapshot()` that copies one into the other.
//!
//! So a counter is named once. A leaf: imports nothing of the crate.
//!
//! ```ignore
//! crate::counters::counter_table! {
//!     /// What the thing counts (the table's doc).
//!     #[derive(Debug, Default)]
//!     pub struct Counters;
//!     /// A copy of the counters (the snapshot's doc).
//!     #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
//!     #[serde(rename_all = "camelCase")]
//!     pub struct CountersSnapshot {
//!         /// Requests answered.
//!         answered,
//!         /// Requests refused.
//!         refused,
//!     }
//!     derived {
//!         /// Share of requests answered (computed by `answered_rate(&snapshot)`).
//!         answered_rate: f64 = answered_rate,
//!     }
//! }
//! // counters.answered is an AtomicU64:
//! Counters::bump(&counters.answered);
//! Counters::add(&counters.refused, 3);
//! let snapshot: CountersSnapshot = counters.snapshot();
//! ```
//!
//! An optional `arrays { name: [N] }` section adds counters indexed by
//! something (a reason, an outcome): `[AtomicU64; N]` in the table, `[u64;
//! N]` in the snapshot, after the plain counters.
//!
//! The table's fields are `pub(crate)`; the snapshot's are `pub`, in the
//! order listed, derived fields last (so a serde JSON keeps that order). A
//! derived field is computed by a `fn(&Snapshot) -> Type` from the counter
//! fields (the derived fields it sees are their `Default`). The `derived`
//! block may be left out.

/// Declares a table of `AtomicU64` counters and its snapshot struct from one
/// list of documented names; see the [module docs](self).
macro_rules! counter_table {
    (
        $(#[$table_meta:meta])*
        $table_vis:vis struct $table:ident;
        $(#[$snapshot_meta:meta])*
        $snapshot_vis:vis struct $snapshot:ident {
            $( $(#[$field_meta:meta])* $field:ident ),* $(,)?
        }
        $( arrays {
            $( $(#[$array_meta:meta])* $array:ident : [$len:expr] ),* $(,)?
        } )?
        $( derived {
            $( $(#[$derived_meta:meta])* $derived:ident : $derived_ty:ty = $derive_fn:path ),* $(,)?
        } )?
    ) => {
        $(#[$table_meta])*
        $table_vis struct $table {
            $( $(#[$field_meta])* pub(crate) $field: ::std::sync::atomic::AtomicU64, )*
            $($( $(#[$array_meta])* pub(crate) $array: [::std::sync::atomic::AtomicU64; $len], )*)?
        }

        $(#[$snapshot_meta])*
        $snapshot_vis struct $snapshot {
            $( $(#[$field_meta])* pub $field: u64, )*
            $($( $(#[$array_meta])* pub $array: [u64; $len], )*)?
            $($( $(#[$derived_meta])* pub $derived: $derived_ty, )*)?
        }

        impl $table {
            /// Adds one to `counter`.
            #[allow(dead_code)]
            pub(crate) fn bump(counter: &::std::sync::atomic::AtomicU64) {
                counter.fetch_add(1, ::std::sync::atomic::Ordering::Relaxed);
            }

            /// Adds `n` to `counter`.
            #[allow(dead_code)]
            pub(crate) fn add(counter: &::std::sync::atomic::AtomicU64, n: u64) {
                counter.fetch_add(n, ::std::sync::atomic::Ordering::Relaxed);
            }

            /// The counters now (and the fields derived from them).
            pub fn snapshot(&self) -> $snapshot {
                #[allow(unused_mut)]
                let mut snapshot = $snapshot {
                    $( $field: self.$field.load(::std::sync::atomic::Ordering::Relaxed), )*
                    $($( $array: ::std::array::from_fn(|i| {
                        self.$array[i].load(::std::sync::atomic::Ordering::Relaxed)
                    }), )*)?
                    $($( $derived: ::std::default::Default::default(), )*)?
                };
                $($( snapshot.$derived = $derive_fn(&snapshot); )*)?
                snapshot
            }
        }
    };
}

pub(crate) use counter_table;

#[cfg(test)]
mod tests {
    counter_table! {
        /// Test counters.
        #[derive(Debug, Default)]
        struct Counters;
        /// Their snapshot.
        #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Snapshot {
            /// One.
            first_one,
            /// Two.
            second,
        }
        arrays {
            /// By kind.
            by_kind: [2],
        }
        derived {
            /// A sum.
            both_summed: u64 = summed,
        }
    }

    fn summed(snapshot: &Snapshot) -> u64 {
        snapshot.first_one + snapshot.second
    }

    counter_table! {
        #[derive(Default)]
        struct Plain;
        #[derive(Debug, PartialEq)]
        struct PlainSnapshot { only }
    }

    #[test]
    fn one_list_gives_the_table_the_snapshot_and_its_json() {
        let counters = Counters::default();
        Counters::bump(&counters.first_one);
        Counters::add(&counters.second, 2);
        Counters::bump(&counters.by_kind[1]);
        let snapshot = counters.snapshot();
        assert_eq!(snapshot, Snapshot { first_one: 1, second: 2, by_kind: [0, 1], both_summed: 3 });
        let json = serde_json::to_string(&snapshot).unwrap();
        assert_eq!(json, r#"{"firstOne":1,"second":2,"byKind":[0,1],"bothSummed":3}"#);
        let plain = Plain::default();
        Plain::bump(&plain.only);
        assert_eq!(plain.snapshot(), PlainSnapshot { only: 1 });
    }
}
