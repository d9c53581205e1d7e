//! The replicated store of a server: the client events it holds, behind a [`Store`] trait so
//! that the same server code runs over memory now and over a real database later (ICON's IDB
//! through SQLite or PostgreSQL).
//!
//! The trait is synchronous and fallible: a database client that blocks briefly and can fail
//! (a lost connection, a refused write) fits it as it is; the memory store never fails. It must
//! not decide what a failure means to the application: the server does (see `server.rs`).

use std::collections::BTreeSet;

/// Why a store could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached: a database down, or its connection lost.
    #[error("store {store} is unavailable: {detail}")]
    Unavailable {
        /// The store, as its application names it (a database key, `memory`).
        store: String,
        /// What the backend said.
        detail: String,
    },
    /// The store refused an operation: a constraint, a full disk, a read-only database.
    #[error("store {store} refused to {operation}: {detail}")]
    Refused {
        /// The store, as its application names it.
        store: String,
        /// What was asked (`insert`, `clear`, …).
        operation: &'static str,
        /// What the backend said.
        detail: String,
    },
}

/// The events one server instance holds, in ID order.
///
/// Every method takes `&mut self`: a database client needs exclusive use of its connection
/// even to read, and the server owns its store alone.
pub trait Store {
    /// Adds one event.
    ///
    /// Returns `Ok(false)` when the store held it already (a client's retry).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot write.
    fn insert(&mut self, id: &str) -> Result<bool, StoreError>;

    /// Adds events received together (a chunk of a full synchronisation).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot write.
    fn insert_all(&mut self, ids: &[String]) -> Result<(), StoreError>;

    /// Whether the store holds this event.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn contains(&mut self, id: &str) -> Result<bool, StoreError>;

    /// How many events the store holds.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn len(&mut self) -> Result<usize, StoreError>;

    /// Whether the store holds no event.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn is_empty(&mut self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Every event held, in ID order: what the primary sends a backup that asks for a full
    /// synchronisation.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn snapshot(&mut self) -> Result<Vec<String>, StoreError>;

    /// Forgets every event: a backup about to receive a full synchronisation.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot write.
    fn clear(&mut self) -> Result<(), StoreError>;
}

/// A store in the process's memory: lost with the process, as the T-Server's is.
#[derive(Debug, Default)]
pub struct Memory(BTreeSet<String>);

impl Store for Memory {
    fn insert(&mut self, id: &str) -> Result<bool, StoreError> {
        if self.0.contains(id) {
            return Ok(false);
        }
        Ok(self.0.insert(id.to_string()))
    }

    fn insert_all(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.0.extend(ids.iter().cloned());
        Ok(())
    }

    fn contains(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.0.contains(id))
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        Ok(self.0.len())
    }

    fn snapshot(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(self.0.iter().cloned().collect())
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.0.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_keeps_each_event_once_in_id_order() -> Result<(), StoreError> {
        let mut s = Memory::default();
        assert!(s.is_empty()?);
        assert!(s.insert("desk-2")?);
        assert!(s.insert("desk-1")?);
        assert!(!s.insert("desk-2")?, "a retry is not a new event");
        s.insert_all(&["desk-3".to_string(), "desk-1".to_string()])?;
        assert_eq!(s.len()?, 3);
        assert!(s.contains("desk-3")?);
        assert!(!s.contains("desk-4")?);
        assert_eq!(s.snapshot()?, ["desk-1", "desk-2", "desk-3"]);
        s.clear()?;
        assert!(s.is_empty()?);
        assert_eq!(s.snapshot()?, Vec::<String>::new());
        Ok(())
    }

    #[test]
    fn a_store_is_usable_behind_a_trait_object() -> Result<(), StoreError> {
        // The server holds its store as `dyn Store`: a database implementation chosen from the
        // topology at run time must fit there.
        let mut s: Box<dyn Store> = Box::new(Memory::default());
        s.insert("a")?;
        assert_eq!(s.snapshot()?, ["a"]);
        Ok(())
    }

    #[test]
    fn a_store_error_names_the_store_and_what_failed() {
        let e = StoreError::Refused {
            store: "idb_a".into(),
            operation: "insert",
            detail: "disk full".into(),
        };
        assert_eq!(e.to_string(), "store idb_a refused to insert: disk full");
        let e = StoreError::Unavailable {
            store: "idb_b".into(),
            detail: "connection refused".into(),
        };
        assert_eq!(
            e.to_string(),
            "store idb_b is unavailable: connection refused"
        );
    }
}
