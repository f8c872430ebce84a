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
pub const FORMAT: u32 = 2;

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

/// Temporary files being written by this process, removed on Ctrl-C.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Writes `path` through `write`, into a temporary file beside it that is synced and renamed into
/// place only once complete.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> Result<()> {
    // A rename would replace whatever is there: refuse anything but a regular file (a device, a
    // pipe, a directory), and a build directory's own artifacts as another command's output.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(Error::Usage {
                flag: path.display().to_string(),
                reason: "is not a regular file: give a file path to write to".into(),
            });
        }
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()));
    register(&temp, true);
    let result = (|| {
        let mut w = BufWriter::new(File::create(&temp)?);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    register(&temp, false);
    result.map_err(|e| Error::write(path, e))
}

/// [`write_atomic`] of a byte string.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

fn register(temp: &Path, add: bool) {
    let mut list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
    if add {
        list.push(temp.to_path_buf());
    } else {
        list.retain(|p| p != temp);
    }
}

/// Removes the temporary files this process is writing: for the Ctrl-C handler and the panic
/// hook, which stop the process before the writes finish.
pub fn remove_temporaries() {
    let list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
    for p in list.iter() {
        let _ = std::fs::remove_file(p);
    }
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
