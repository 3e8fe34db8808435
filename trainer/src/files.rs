//! Writing a file so that a crash or a kill never leaves a half-written one in its place:
//! the bytes go to a hidden temporary beside it, which is then renamed over it.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` all at once. On any failure (a full disk, a read-only
/// directory) the previous file is untouched, the temporary is removed, and the error
/// names the path.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        // On disk before it takes the name, so a power cut cannot leave an empty file.
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
    })
}
