//! Checks of the command line that no library function can make: which paths an output flag
//! may name, given the command's inputs and build directory.

use std::path::Path;
use zkinfer::{Error, Result};

/// `-o` must not name one of the build directory's own artifacts: the proof would replace a key.
pub(crate) fn refuse_build_artifact(dir: &Path, out: &Path) -> Result<()> {
    const OWN: [&str; 7] =
        ["settings.json", "model.json", "pk.bin", "kzg.srs", "srs.json", "deployment.json", ".zkinfer.lock"];
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let same = matches!((parent.canonicalize(), dir.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same && out.file_name().is_some_and(|n| OWN.iter().any(|o| n == *o)) {
        return Err(Error::Usage {
            flag: "-o".into(),
            reason: format!("{} is one of the build's own files: write it elsewhere", out.display()),
        });
    }
    Ok(())
}

/// The corpus is read, never written: the work directory and the table go elsewhere; and a
/// directory without model folders is said to be one, not reported as "0 passed".
pub(crate) fn check_conformance_args(dir: &Path, work: &Path, markdown: Option<&Path>, timeout: u64) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::BadInput { path: dir.into(), reason: "is not a directory of model folders".into() });
    }
    if zkinfer::conformance::model_dirs(dir).is_empty() {
        return Err(Error::BadInput {
            path: dir.into(),
            reason: "holds no model folder (a folder with network.onnx, input.json and expected.json)".into(),
        });
    }
    if timeout == 0 {
        return Err(Error::Usage {
            flag: "--timeout".into(),
            reason: "0 seconds fails every model: give 1 or more".into(),
        });
    }
    let corpus = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    // Where a path would land, even if it does not exist yet: its nearest existing ancestor.
    let lands_in_corpus = |p: &Path| {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let existing = p.ancestors().find_map(|a| a.canonicalize().ok());
        existing.is_some_and(|a| a.starts_with(&corpus))
    };
    for (flag, p) in [("--work", Some(work)), ("--markdown", markdown)] {
        if let Some(p) = p.filter(|p| lands_in_corpus(p)) {
            return Err(Error::Usage {
                flag: flag.into(),
                reason: format!(
                    "{} is inside the corpus {}, which is only read: give a path outside it",
                    p.display(),
                    dir.display()
                ),
            });
        }
    }
    Ok(())
}

/// `-o` must not name the input being read: the output would replace it.
pub(crate) fn refuse_same_file(input: &Path, out: &Path) -> Result<()> {
    if matches!((input.canonicalize(), out.canonicalize()), (Ok(a), Ok(b)) if a == b) {
        return Err(Error::Usage {
            flag: "-o".into(),
            reason: format!("{} is the input file: write elsewhere", out.display()),
        });
    }
    Ok(())
}
