//! Test doubles for the engine's ports: an in-memory secret store and a settable clock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::ports::{SecretStore, StoreError, StoreInfo, StoreKind};
use crate::secret::Secret;
use crate::time::{Clock, Timestamp};

pub mod neighbour;
pub mod recorder;

/// The connection name `text`, for tests; panics when it is not a valid name.
pub fn conn(text: &str) -> crate::connection::ConnectionName {
    crate::connection::ConnectionName::new(text)
        .unwrap_or_else(|e| panic!("a test used an invalid connection name: {e}"))
}

/// A secret store in process memory. Cloning shares the same contents.
#[derive(Clone, Default)]
pub struct MemorySecretStore {
    items: Arc<Mutex<BTreeMap<String, Secret>>>,
    failing: Arc<Mutex<bool>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys currently stored.
    pub fn keys(&self) -> Vec<String> {
        self.items
            .lock()
            .expect("store lock")
            .keys()
            .cloned()
            .collect()
    }

    /// Makes every later call fail as an unavailable keychain does (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        *self.failing.lock().expect("store lock") = unavailable;
    }

    fn check(&self) -> Result<(), StoreError> {
        if *self.failing.lock().expect("store lock") {
            Err(StoreError::Unavailable {
                reason: "test store switched off".into(),
            })
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SecretStore for MemorySecretStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            kind: StoreKind::Memory,
            location: "process memory".into(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Secret>, StoreError> {
        self.check()?;
        Ok(self.items.lock().expect("store lock").get(key).cloned())
    }

    async fn put(&self, key: &str, value: &Secret) -> Result<(), StoreError> {
        self.check()?;
        self.items
            .lock()
            .expect("store lock")
            .insert(key.to_owned(), value.clone());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.check()?;
        Ok(self.items.lock().expect("store lock").remove(key).is_some())
    }
}

/// A wall clock that moves with tokio's (paused) test time, plus explicit jumps: tokio's
/// `advance` moves it, and `jump` moves the wall clock alone, as a suspend/resume or an NTP
/// correction does.
#[derive(Clone, Debug)]
pub struct FakeClock {
    base: Timestamp,
    start: tokio::time::Instant,
    offset_ms: Arc<AtomicI64>,
}

impl FakeClock {
    /// A clock that reads `base` now.
    pub fn starting_at(base: Timestamp) -> Self {
        Self {
            base,
            start: tokio::time::Instant::now(),
            offset_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Sets the wall clock `ms` milliseconds off (negative: behind), as a machine with a wrong
    /// clock; replaces earlier jumps.
    pub fn set_skew(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }

    /// Moves the wall clock by `by` without any monotonic time passing.
    pub fn jump(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        let elapsed = tokio::time::Instant::now().duration_since(self.start);
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let shifted = self.base.plus(elapsed);
        match u64::try_from(offset) {
            Ok(ahead) => shifted.plus(Duration::from_millis(ahead)),
            Err(_) => shifted.minus(Duration::from_millis(offset.unsigned_abs())),
        }
    }
}
