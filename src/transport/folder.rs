//! The folder transport: each message becomes a `.eml` file in a folder. It delivers
//! nowhere; it is what the out-of-the-box `local` profile uses, and the files open in
//! any mail program.

use std::path::PathBuf;

use lettre::address::Envelope;

use super::{Accepted, SendError, Transport};
use crate::store::write_atomic;

pub struct FolderTransport {
    folder: PathBuf,
}

impl FolderTransport {
    pub fn new(folder: PathBuf) -> Self {
        Self { folder }
    }

    /// A name that sorts by when the message was written and is this process's own.
    fn file_name() -> String {
        let now = crate::clock::now();
        format!(
            "{}.{:09}.{}.eml",
            now.as_second(),
            now.subsec_nanosecond(),
            std::process::id()
        )
    }
}

impl Transport for FolderTransport {
    fn send(&mut self, _envelope: &Envelope, message: &[u8]) -> Result<Accepted, SendError> {
        let path = self.folder.join(Self::file_name());
        write_atomic(&path, message).map_err(|e| SendError::Folder {
            path: e.path,
            source: e.source,
        })?;
        Ok(Accepted {
            reply: format!("written to {}", path.display()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut transport = FolderTransport::new(dir.path().join("out"));
        let envelope = Envelope::new(None, vec!["a@example.org".parse().unwrap()]).unwrap();
        let first = transport.send(&envelope, b"Subject: 1\r\n\r\nx").unwrap();
        transport.send(&envelope, b"Subject: 2\r\n\r\ny").unwrap();
        assert!(first.reply.starts_with("written to "));
        assert_eq!(
            std::fs::read_dir(dir.path().join("out")).unwrap().count(),
            2
        );
    }
}
