//! hapair patch: turmoil's maps and sets, hashed with foldhash's fixed-seed hasher instead of
//! the standard library's SipHash with a random seed. The maps are indexed by address, pair
//! and port on every delivery, and SipHash was some 5% of a simulation's time. Iteration order
//! is insertion order either way (these are `IndexMap`s), so nothing a simulation does changes.

pub(crate) type IndexMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::FixedState>;
pub(crate) type IndexSet<K> = indexmap::IndexSet<K, foldhash::fast::FixedState>;
