//! The result store: encrypted envelopes in RAM under a byte budget, the oldest spilled to files.
//! Blocking (file I/O): async callers run it on `spawn_blocking`.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::RESULT_TTL;
use super::crypto::{self, ResultId, ResultKey};
use crate::Error;
use crate::clock::Clock;

#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Ciphertext bytes kept in RAM before the oldest entries move to disk (default 256 MB).
    pub ram_bytes: usize,
    /// Bytes of spill files at most (default 2 GB). When a new result would need more, it is
    /// refused ([`Error::StorageFull`]); results already stored are never dropped to make room.
    pub disk_bytes: u64,
}

impl StoreLimits {
    /// `IMGIGO_RESULTS_RAM_MB` and `IMGIGO_RESULTS_DISK_MB` from the configuration.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            ram_bytes: config.results_ram_bytes,
            disk_bytes: config.results_disk_bytes,
        }
    }
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            ram_bytes: 256 * 1000 * 1000,
            disk_bytes: 2000 * 1000 * 1000,
        }
    }
}

/// A decrypted result.
pub struct Opened {
    pub content_type: String,
    pub bytes: Zeroizing<Vec<u8>>,
    pub expires_at: DateTime<Utc>,
}

enum Place {
    Ram(Arc<Vec<u8>>),
    /// In a spill file of this many bytes.
    Disk(u64),
}

struct Entry {
    created: DateTime<Utc>,
    place: Place,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<ResultId, Entry>,
    /// Ids held in RAM, oldest first: the next to spill.
    in_ram: VecDeque<ResultId>,
    ram_used: usize,
    disk_used: u64,
}

pub struct ResultStore {
    dir: PathBuf,
    limits: StoreLimits,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

/// File header: magic, version, creation time (Unix seconds, big-endian).
const MAGIC: &[u8; 4] = b"IMGR";
const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 8;

impl ResultStore {
    /// Opens the store whose spill files live in `dir` (created if missing); results spilled by an
    /// earlier run are found again, leftovers of interrupted writes removed.
    pub fn open(dir: &Path, limits: StoreLimits, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|err| Error::Internal(format!("cannot create {}: {err}", dir.display())))?;
        let mut inner = Inner::default();
        let listing = std::fs::read_dir(dir)
            .map_err(|err| Error::Internal(format!("cannot read {}: {err}", dir.display())))?;
        for item in listing.flatten() {
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let Some(id) = name.strip_suffix(".bin").and_then(ResultId::parse) else {
                continue;
            };
            match read_created(&path) {
                Some(created) => {
                    let size = item.metadata().map_or(0, |meta| meta.len());
                    inner.disk_used += size;
                    inner.entries.insert(
                        id,
                        Entry {
                            created,
                            place: Place::Disk(size),
                        },
                    );
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            limits,
            clock,
            inner: Mutex::new(inner),
        })
    }

    /// Encrypts and stores a result; returns its id and the key (which the store forgets).
    /// `StorageFull` when keeping it would push the spill files past the disk budget.
    pub fn put(&self, content_type: &str, bytes: &[u8]) -> Result<(ResultId, ResultKey), Error> {
        let (id, key) = (ResultId::random(), ResultKey::random());
        let envelope = Arc::new(crypto::seal(&id, &key, content_type, bytes)?);
        let created = self.clock.now();
        let mut inner = self.lock();
        self.check_room(&inner, envelope.len(), created)?;
        inner.ram_used += envelope.len();
        inner.in_ram.push_back(id.clone());
        inner.entries.insert(
            id.clone(),
            Entry {
                created,
                place: Place::Ram(envelope),
            },
        );
        if let Err(err) = self.spill(&mut inner) {
            // A result that could not be kept is not kept at all: the caller gets the error, not
            // a link, and nothing of it stays in RAM.
            self.remove(&mut inner, &id);
            return Err(err);
        }
        Ok((id, key))
    }

    /// The result, if `id` exists, has not expired and `key` opens it; otherwise `NotFound`.
    pub fn get(&self, id: &ResultId, key: &ResultKey) -> Result<Opened, Error> {
        let (envelope, created) = self.envelope(id)?;
        let (content_type, bytes) =
            crypto::open(id, key, &envelope).ok_or(Error::NotFound("result"))?;
        Ok(Opened {
            content_type,
            bytes,
            expires_at: created + RESULT_TTL,
        })
    }

    /// Deletes a result early; the key must open it (the same `NotFound` otherwise).
    pub fn delete(&self, id: &ResultId, key: &ResultKey) -> Result<(), Error> {
        let (envelope, _) = self.envelope(id)?;
        crypto::open(id, key, &envelope).ok_or(Error::NotFound("result"))?;
        let mut inner = self.lock();
        self.remove(&mut inner, id);
        Ok(())
    }

    /// Destroys a result without its key (its account was deleted); `false` if it was gone already.
    pub fn destroy(&self, id: &ResultId) -> bool {
        let mut inner = self.lock();
        let known = inner.entries.contains_key(id);
        self.remove(&mut inner, id);
        known
    }

    /// Destroys every expired result (RAM and files); returns how many. The janitor calls this.
    pub fn purge_expired(&self) -> usize {
        let now = self.clock.now();
        let mut inner = self.lock();
        let expired: Vec<ResultId> = inner
            .entries
            .iter()
            .filter(|(_, entry)| now >= entry.created + RESULT_TTL)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.remove(&mut inner, id);
        }
        expired.len()
    }

    /// How many results are held, and how many ciphertext bytes of them in RAM.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.ram_used)
    }

    /// Bytes of spill files on disk.
    pub fn disk_used(&self) -> u64 {
        self.lock().disk_used
    }

    /// Refuses a new envelope of `size` bytes if the spilling it causes would not fit on disk: the
    /// oldest RAM entries (and, if RAM cannot hold it at all, the new one) must fit the budget.
    fn check_room(&self, inner: &Inner, size: usize, now: DateTime<Utc>) -> Result<(), Error> {
        let budget = self.limits.ram_bytes;
        let mut ram = inner.ram_used + size;
        let mut disk = inner.disk_used;
        let oldest = inner
            .in_ram
            .iter()
            .filter_map(|id| match inner.entries.get(id) {
                Some(Entry {
                    place: Place::Ram(envelope),
                    ..
                }) => Some(envelope.len()),
                _ => None,
            });
        for spilled in oldest.chain(std::iter::once(size)) {
            if ram <= budget {
                break;
            }
            ram -= spilled;
            disk += (HEADER + spilled) as u64;
        }
        if disk <= self.limits.disk_bytes {
            return Ok(());
        }
        // Room comes back when the oldest result expires; say when, within reason.
        let next_expiry = inner
            .entries
            .values()
            .map(|entry| entry.created + RESULT_TTL)
            .min()
            .map_or(60, |at| (at - now).num_seconds());
        tracing::warn!("the result store's disk budget is full; new results are refused");
        Err(Error::StorageFull {
            retry_after: next_expiry.clamp(60, 3600) as u64,
        })
    }

    fn envelope(&self, id: &ResultId) -> Result<(Arc<Vec<u8>>, DateTime<Utc>), Error> {
        let now = self.clock.now();
        let (place, created) = {
            let inner = self.lock();
            let entry = inner.entries.get(id).ok_or(Error::NotFound("result"))?;
            if now >= entry.created + RESULT_TTL {
                return Err(Error::NotFound("result"));
            }
            let place = match &entry.place {
                Place::Ram(envelope) => Some(envelope.clone()),
                Place::Disk(_) => None,
            };
            (place, entry.created)
        };
        let envelope = match place {
            Some(envelope) => envelope,
            None => {
                let bytes = std::fs::read(self.path(id)).map_err(|_| Error::NotFound("result"))?;
                Arc::new(
                    bytes
                        .get(HEADER..)
                        .ok_or(Error::NotFound("result"))?
                        .to_vec(),
                )
            }
        };
        Ok((envelope, created))
    }

    fn remove(&self, inner: &mut Inner, id: &ResultId) {
        if let Some(entry) = inner.entries.remove(id) {
            match entry.place {
                Place::Ram(envelope) => {
                    inner.ram_used -= envelope.len();
                    inner.in_ram.retain(|held| held != id);
                }
                Place::Disk(size) => {
                    inner.disk_used = inner.disk_used.saturating_sub(size);
                    if let Err(err) = std::fs::remove_file(self.path(id)) {
                        tracing::warn!(error = %err, "cannot delete a result file");
                    }
                }
            }
        }
    }

    /// Moves the oldest RAM entries to files until RAM is within the budget.
    fn spill(&self, inner: &mut Inner) -> Result<(), Error> {
        while inner.ram_used > self.limits.ram_bytes {
            let Some(id) = inner.in_ram.pop_front() else {
                break;
            };
            let Some(entry) = inner.entries.get_mut(&id) else {
                continue;
            };
            let Place::Ram(envelope) = &entry.place else {
                continue;
            };
            let envelope = envelope.clone();
            if let Err(err) = self.write(&id, entry.created, &envelope) {
                // Still in RAM, so still next in line to spill.
                inner.in_ram.push_front(id);
                return Err(err);
            }
            let size = (HEADER + envelope.len()) as u64;
            entry.place = Place::Disk(size);
            inner.ram_used -= envelope.len();
            inner.disk_used += size;
        }
        Ok(())
    }

    fn write(&self, id: &ResultId, created: DateTime<Utc>, envelope: &[u8]) -> Result<(), Error> {
        let mut file = Vec::with_capacity(HEADER + envelope.len());
        file.extend_from_slice(MAGIC);
        file.push(VERSION);
        file.extend_from_slice(&created.timestamp().to_be_bytes());
        file.extend_from_slice(envelope);
        let path = self.path(id);
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, &file)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|err| {
                // No half-written file stays behind.
                let _ = std::fs::remove_file(&temporary);
                Error::Internal(format!("cannot write a result file: {err}"))
            })
    }

    fn path(&self, id: &ResultId) -> PathBuf {
        self.dir.join(format!("{}.bin", id.as_str()))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every update is a few field
        // writes), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn read_created(path: &Path) -> Option<DateTime<Utc>> {
    let mut header = [0u8; HEADER];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..4] != MAGIC || header[4] != VERSION {
        return None;
    }
    let seconds = i64::from_be_bytes(header[5..13].try_into().ok()?);
    DateTime::from_timestamp(seconds, 0)
}
