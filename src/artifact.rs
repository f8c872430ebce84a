//! How build artifacts reach the disk and how a loader knows they belong together.
//!
//! - Every file the CLI writes goes to a temporary name beside it and is renamed into place, so a
//!   killed or interrupted run leaves either the old file or the new one, never half of one under
//!   a name a later command loads.
//! - A run that writes into a build directory (`compile`, `setup`) holds an exclusive lock on it,
//!   and a run that reads one holds a shared lock while it loads, so two runs cannot interleave.
//!   The locks are the OS's (`flock`): they go with the process, so a killed run leaves none.
//! - Artifacts name the format and the build they were made for (`Stamp`), so a key, proof or
//!   settings file of another build or another zkinfer fails on load, naming both, before any
//!   heavy work.

use crate::error::{Error, Result};
use sha3::{Digest, Keccak256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The artifact format this zkinfer writes and reads; raised whenever a file's layout or meaning
/// changes, so older files are refused with "run `zkinfer …` again" instead of misread.
pub const FORMAT: u32 = 5;

/// The suffix of temporary files; anything carrying it is never loaded.
const TEMP_SUFFIX: &str = ".zkinfer-tmp";

/// The lock file in a build directory.
const LOCK_FILE: &str = ".zkinfer.lock";

/// How long a run waits for another's lock before saying the directory is busy. A lock is held
/// for a whole compile or setup, but it can also outlive its holder for a moment: a process
/// forked elsewhere in the program (a spawned solc or anvil) shares the open lock file until it
/// execs. Waiting a little absorbs that; a real concurrent run still gets the clear refusal.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Tries `try_lock` until it succeeds or [`LOCK_WAIT`] has passed.
fn with_retries(mut try_lock: impl FnMut() -> std::result::Result<(), std::fs::TryLockError>) -> LockOutcome {
    let start = std::time::Instant::now();
    loop {
        match try_lock() {
            Ok(()) => return LockOutcome::Held,
            Err(std::fs::TryLockError::Error(e)) => return LockOutcome::Failed(e),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() >= LOCK_WAIT => return LockOutcome::Busy,
            Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

enum LockOutcome {
    Held,
    Busy,
    Failed(std::io::Error),
}

/// The temporary files this process is writing, and whether it is stopping (Ctrl-C, SIGTERM, a
/// panic). Files are created, renamed into place and removed under this lock, so a stop either
/// comes before a batch's renames or after all of them.
static TEMPORARIES: Mutex<Temporaries> = Mutex::new(Temporaries { files: Vec::new(), stopping: false });

struct Temporaries {
    files: Vec<PathBuf>,
    stopping: bool,
}

fn temporaries() -> std::sync::MutexGuard<'static, Temporaries> {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Files written together: each goes to a temporary beside its final name as it is written, and
/// [`Batch::commit`] renames them all at once (a stop cannot fall between two renames), so a
/// reader finds every old file or every new one, never a mix (a model.json of one compile with
/// the settings.json of another). Dropped uncommitted, it removes its temporaries.
#[derive(Default)]
pub struct Batch {
    staged: Vec<(PathBuf, PathBuf)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Writes `path`'s new contents through `write` into its temporary, synced; nothing is
    /// replaced until [`Batch::commit`].
    pub fn write(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        // A rename would replace whatever is there: refuse anything but a regular file (a
        // device, a pipe, a directory).
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                return Err(Error::Usage {
                    flag: path.display().to_string(),
                    reason: "is not a regular file: give a file path to write to".into(),
                });
            }
        }
        let temp = temporary_name(path);
        let file = {
            let mut t = temporaries();
            if t.stopping {
                return Err(Error::write(path, std::io::Error::from(std::io::ErrorKind::Interrupted)));
            }
            let file = File::create(&temp).map_err(|e| Error::write(path, e))?;
            t.files.push(temp.clone());
            file
        };
        self.staged.push((temp.clone(), path.to_path_buf()));
        let result = (|| {
            let mut w = BufWriter::new(file);
            write(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        })();
        result.map_err(|e| Error::write(path, e))
    }

    /// [`Batch::write`] of a byte string.
    pub fn write_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.write(path, |w| w.write_all(bytes))
    }

    /// Renames every file of the batch into place.
    pub fn commit(mut self) -> Result<()> {
        let mut t = temporaries();
        if t.stopping {
            return Err(Error::write(&self.staged[0].1, std::io::Error::from(std::io::ErrorKind::Interrupted)));
        }
        for (temp, path) in std::mem::take(&mut self.staged) {
            t.files.retain(|p| p != &temp);
            if let Err(e) = std::fs::rename(&temp, &path) {
                let _ = std::fs::remove_file(&temp);
                return Err(Error::write(&path, e));
            }
        }
        Ok(())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let mut t = temporaries();
        for (temp, _) in self.staged.drain(..) {
            let _ = std::fs::remove_file(&temp);
            t.files.retain(|p| p != &temp);
        }
    }
}

/// `.NAME.PID.zkinfer-tmp` beside `path`; a name long enough that this would pass the file
/// system's 255 bytes is shortened to a digest of it.
fn temporary_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let name = if name.len() > 200 { digest(name.as_bytes())[2..18].to_string() } else { name };
    path.with_file_name(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()))
}

/// Writes `path` through `write`, into a temporary file beside it that is synced and renamed into
/// place only once complete.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> Result<()> {
    let mut batch = Batch::new();
    batch.write(path, write)?;
    batch.commit()
}

/// [`write_atomic`] of a byte string.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Stops all writing for good and removes the temporaries being written: for the signal
/// handler, just before the process exits. A batch being renamed finishes first (however long
/// its renames take), so the files stay one batch's or the other's; any write after this fails.
pub fn stop_writes() {
    stop(temporaries());
}

/// [`stop_writes`] for the panic hook: it waits at most a second for the lock, since a panic
/// raised while the lock is held must not hang the exit.
pub fn remove_temporaries() {
    let start = std::time::Instant::now();
    let guard = loop {
        match TEMPORARIES.try_lock() {
            Ok(g) => break g,
            Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if start.elapsed().as_secs() < 1 => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            Err(std::sync::TryLockError::WouldBlock) => return,
        }
    };
    stop(guard);
}

fn stop(mut guard: std::sync::MutexGuard<'static, Temporaries>) {
    guard.stopping = true;
    for p in guard.files.drain(..) {
        let _ = std::fs::remove_file(p);
    }
    // Held until the process exits, so no rename or create slips in after.
    std::mem::forget(guard);
}

/// Removes temporaries a killed run left in `dir`; called under the exclusive lock, when no other
/// run can be writing there.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A lock on a build directory, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: Option<File>,
}

impl Lock {
    /// The lock of a run that writes into `dir` (created if absent); refused while any other run
    /// reads or writes it. Leftover temporaries of killed runs are swept.
    pub fn exclusive(dir: &Path) -> Result<Lock> {
        create_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        if path.exists() {
            check_regular(&path)?;
        }
        let file = File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| Error::Io {
            action: "lock",
            path: path.clone(),
            source: e,
        })?;
        match with_retries(|| file.try_lock()) {
            LockOutcome::Held => {}
            LockOutcome::Busy => {
                return Err(Error::Busy { dir: dir.into(), holder: "it is being compiled, set up or read".into() })
            }
            LockOutcome::Failed(e) => return Err(Error::Io { action: "lock", path, source: e }),
        }
        sweep(dir);
        Ok(Lock { _file: Some(file) })
    }

    /// The lock of a run that only reads `dir`: shared with other readers, refused while a
    /// compile or setup writes it. A directory without a lock file (none was ever written) is
    /// read unlocked.
    pub fn shared(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK_FILE);
        if !path.exists() {
            return Ok(Lock { _file: None });
        }
        check_regular(&path)?;
        let Ok(file) = File::open(&path) else { return Ok(Lock { _file: None }) };
        match with_retries(|| file.try_lock_shared()) {
            LockOutcome::Held => Ok(Lock { _file: Some(file) }),
            LockOutcome::Busy => {
                Err(Error::Busy { dir: dir.into(), holder: "a compile or setup is writing it".into() })
            }
            LockOutcome::Failed(e) => Err(Error::Io { action: "lock", path, source: e }),
        }
    }
}

/// Creates the directory `dir` (and its parents) that output goes into, naming a file that
/// stands in the way as such rather than as an OS error.
pub fn create_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::BadInput {
            path: dir.into(),
            reason: "is a file, not a directory: give a directory to write into".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::Io { action: "create", path: dir.into(), source: e })
}

/// Refuses to read anything but a regular file (after symlinks): opening a FIFO blocks until a
/// writer appears and a device such as `/dev/zero` never ends, so either would hang the CLI.
pub fn check_regular(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(());
    }
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let kind = if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(Error::BadInput {
        path: path.into(),
        reason: format!("is {kind}, not a regular file: give the path of the file itself"),
    })
}

/// Opens a file the CLI reads, once [`check_regular`] passes.
pub fn open(path: &Path) -> Result<File> {
    check_regular(path)?;
    File::open(path).map_err(|e| Error::io(path, e))
}

/// Reads a whole file the CLI reads, once [`check_regular`] passes.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    check_regular(path)?;
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Keccak-256 as 0x-hex: the digests artifacts carry.
pub fn digest(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(Keccak256::digest(bytes)))
}

/// The first 10 hex digits of a digest, for messages.
pub fn short(digest: &str) -> String {
    digest.chars().take(12).collect::<String>() + "…"
}

/// [`short`] of a 32-byte digest.
pub fn short_bytes(digest: &[u8; 32]) -> String {
    short(&format!("0x{}", hex::encode(digest)))
}

/// What a binary artifact (`pk.bin`) starts with: it names the format, the build and the SRS it
/// was made with, so a loader refuses a mismatched one from 80 bytes instead of after reading
/// (or half-reading) a gigabyte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// [`FORMAT`] of the zkinfer that wrote it.
    pub format: u32,
    /// `Settings::build_hash` of the build it belongs to.
    pub build: [u8; 32],
    /// `prove::srs_fingerprint` of the SRS it was made with.
    pub srs: [u8; 32],
}

const MAGIC: &[u8; 8] = b"zkinfer\0";

/// The stamp's length in bytes.
pub const STAMP_LEN: usize = 8 + 4 + 32 + 32;

impl Stamp {
    /// The stamp's bytes, written ahead of the artifact's own.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&self.format.to_le_bytes());
        v.extend_from_slice(&self.build);
        v.extend_from_slice(&self.srs);
        v
    }

    /// Reads the stamp at the start of `r`; `None` when there is none (a file of an older zkinfer,
    /// or not a zkinfer file at all).
    pub fn read(r: &mut impl Read) -> Option<Stamp> {
        let mut b = [0u8; STAMP_LEN];
        r.read_exact(&mut b).ok()?;
        if &b[..8] != MAGIC {
            return None;
        }
        let format = u32::from_le_bytes(b[8..12].try_into().ok()?);
        Some(Stamp { format, build: b[12..44].try_into().ok()?, srs: b[44..76].try_into().ok()? })
    }
}

/// A 0x-hex digest as the 32 bytes a [`Stamp`] holds; a malformed one gives zeros, which match no build.
pub fn digest_bytes(digest: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(b) = hex::decode(digest.trim_start_matches("0x")) {
        if b.len() == 32 {
            out.copy_from_slice(&b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_leaves_no_temporary_and_replaces_whole() {
        let dir = std::env::temp_dir().join(format!("zkinfer-artifact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.json");
        write_bytes(&p, b"first").unwrap();
        write_bytes(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        // A writer that fails midway leaves the old file and no temporary.
        let e = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_build_directory_has_one_writer_or_many_readers() {
        let dir = std::env::temp_dir().join(format!("zkinfer-lock-{}", std::process::id()));
        let w = Lock::exclusive(&dir).unwrap();
        assert!(matches!(Lock::exclusive(&dir), Err(Error::Busy { .. })));
        assert!(matches!(Lock::shared(&dir), Err(Error::Busy { .. })));
        drop(w);
        let r1 = Lock::shared(&dir).unwrap();
        let _r2 = Lock::shared(&dir).unwrap();
        assert!(matches!(Lock::exclusive(&dir), Err(Error::Busy { .. })));
        drop(r1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stamp_reads_back_and_junk_has_none() {
        let s = Stamp { format: FORMAT, build: [7; 32], srs: [9; 32] };
        let b = s.to_bytes();
        assert_eq!(b.len(), STAMP_LEN);
        assert_eq!(Stamp::read(&mut &b[..]), Some(s));
        assert_eq!(
            Stamp::read(&mut &b"not a stamp at all, but long enough to read 76 bytes ......................"[..]),
            None
        );
        assert_eq!(Stamp::read(&mut &b[..10]), None);
    }
}
