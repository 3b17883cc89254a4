//! One running window per home: a second `mailroom` or `mailroom compose mailto:…`
//! started while the window is open hands its request to that window and exits 0, as
//! clicking a mail link while Thunderbird or Geary runs opens a message in the running
//! app instead of a second one (a second app would run a second worker and outbox
//! thread over the same files).
//!
//! The window listens on a Unix socket ([`socket_path`]: in `$XDG_RUNTIME_DIR`, one per
//! home, or in the data folder when there is no runtime folder), `0600` in a `0700`
//! folder. A request is one line of JSON; the answer is one line of text that says what
//! the window did with it. A socket file nobody answers on is what a crashed window left
//! behind: the next window replaces it. Headless commands (`send`, `outbox run`, …)
//! never look at it. Unix only: on Windows every start opens a window of its own (named
//! pipes would do it there; see the README).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::paths::Dirs;

/// What a second start asks the running window to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Come to the front (a plain `mailroom`).
    Show,
    /// Open a new message from this `mailto:` link (parsed by the window, which shows
    /// what is wrong with a broken one).
    Mailto(String),
    /// Reopen this draft.
    Draft(String),
    /// Open this saved message (an absolute path) as a new draft.
    Eml(PathBuf),
}

/// What the window did with a request: the second start prints `said` and exits 0 when
/// `opened`, 2 (bad input) when not (a broken link: the window shows why, too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub opened: bool,
    pub said: String,
}

/// The longest request a window reads: a `mailto:` link with a long body fits.
const MAX_REQUEST: u64 = 256 * 1024;
/// How long either side waits for the other before giving up.
const PATIENCE: Duration = Duration::from_secs(10);

/// Where the window of the home in `dirs` listens.
pub fn socket_path(dirs: &Dirs) -> PathBuf {
    use sha2::Digest;
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => {
            let digest = sha2::Sha256::digest(dirs.data().as_os_str().as_encoded_bytes());
            let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            PathBuf::from(runtime).join(format!("mailroom-{short}.sock"))
        }
        None => dirs.data().join("window.sock"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("the running Mailroom window at {path} did not answer: {source}")]
    NoAnswer {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("listening at {path}: {source}")]
    Listen {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("another Mailroom window already listens at {0}")]
    Taken(String),
}

/// Hands `request` to the window listening at `path` and returns its answer, or `None`
/// when no window listens there (nothing there, or a file a crashed window left).
#[cfg(unix)]
pub fn hand_over(path: &Path, request: &Request) -> Result<Option<Answer>, InstanceError> {
    use std::os::unix::net::UnixStream;
    let mut stream = match UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(e) if no_listener(&e) => return Ok(None),
        Err(source) => return Err(no_answer(path, source)),
    };
    let exchange = |stream: &mut UnixStream| -> std::io::Result<Answer> {
        stream.set_read_timeout(Some(PATIENCE))?;
        stream.set_write_timeout(Some(PATIENCE))?;
        let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        line.push(b'\n');
        stream.write_all(&line)?;
        stream.shutdown(std::net::Shutdown::Write)?;
        let mut answer = Vec::new();
        stream.take(MAX_REQUEST).read_to_end(&mut answer)?;
        serde_json::from_slice(&answer).map_err(std::io::Error::other)
    };
    exchange(&mut stream)
        .map(Some)
        .map_err(|source| no_answer(path, source))
}

#[cfg(not(unix))]
pub fn hand_over(_: &Path, _: &Request) -> Result<Option<Answer>, InstanceError> {
    Ok(None)
}

fn no_listener(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
    )
}

fn no_answer(path: &Path, source: std::io::Error) -> InstanceError {
    InstanceError::NoAnswer {
        path: path.display().to_string(),
        source,
    }
}

/// A request handed over, and where the window's answer goes.
#[derive(Debug)]
pub struct Handover {
    pub request: Request,
    answer: std::sync::mpsc::Sender<Answer>,
}

impl Handover {
    /// Tells the second start what the window did.
    pub fn answer(self, opened: bool, said: impl Into<String>) {
        let said = said.into();
        let _ = self.answer.send(Answer { opened, said });
    }
}

/// The running window's end, bound to the socket.
#[derive(Debug)]
pub struct Listener {
    path: PathBuf,
    #[cfg(unix)]
    socket: std::os::unix::net::UnixListener,
}

#[cfg(unix)]
impl Listener {
    /// Listens at `path`, replacing a socket file nobody answers on; fails when another
    /// window answers there.
    pub fn bind(path: &Path) -> Result<Self, InstanceError> {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::net::{UnixListener, UnixStream};
        let listen_error = |source| InstanceError::Listen {
            path: path.display().to_string(),
            source,
        };
        if let Some(folder) = path.parent() {
            crate::store::private::create_dir_all(folder).map_err(listen_error)?;
        }
        match UnixStream::connect(path) {
            Ok(_) => return Err(InstanceError::Taken(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path).map_err(listen_error)?; // a crashed window's
            }
            Err(_) => {}
        }
        let socket = UnixListener::bind(path).map_err(listen_error)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(listen_error)?;
        Ok(Self {
            path: path.to_path_buf(),
            socket,
        })
    }

    /// Answers requests on a thread of its own: each one goes to `handovers`, `wake` is
    /// called, and the window's answer is written back. Returns at once; the socket file
    /// goes when the returned [`Serving`] is dropped (the window closes).
    pub fn serve(
        self,
        handovers: std::sync::mpsc::Sender<Handover>,
        wake: crate::worker::Waker,
    ) -> std::io::Result<Serving> {
        let Self { path, socket } = self;
        std::thread::Builder::new()
            .name("mailroom-instance".into())
            .spawn(move || {
                for stream in socket.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let answer = match read_request(&mut stream) {
                        None => Answer {
                            opened: false,
                            said: "not a request Mailroom understands".into(),
                        },
                        Some(request) => {
                            let (answer, answered) = std::sync::mpsc::channel();
                            if handovers.send(Handover { request, answer }).is_err() {
                                break; // the window has closed
                            }
                            wake();
                            answered.recv_timeout(PATIENCE).unwrap_or_else(|_| Answer {
                                opened: false,
                                said: "the Mailroom window did not answer in time".into(),
                            })
                        }
                    };
                    if let Ok(mut line) = serde_json::to_vec(&answer) {
                        line.push(b'\n');
                        let _ = stream.write_all(&line);
                    }
                }
            })?;
        Ok(Serving { path })
    }
}

/// Held by the window while it answers; removes the socket file when dropped.
#[derive(Debug)]
pub struct Serving {
    path: PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn read_request(stream: &mut std::os::unix::net::UnixStream) -> Option<Request> {
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    stream.set_write_timeout(Some(PATIENCE)).ok()?;
    let mut line = Vec::new();
    BufReader::new(stream.take(MAX_REQUEST))
        .read_until(b'\n', &mut line)
        .ok()?;
    serde_json::from_slice(&line).ok()
}

#[cfg(not(unix))]
impl Listener {
    pub fn bind(path: &Path) -> Result<Self, InstanceError> {
        Err(InstanceError::Listen {
            path: path.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::Unsupported),
        })
    }

    pub fn serve(
        self,
        _: std::sync::mpsc::Sender<Handover>,
        _: crate::worker::Waker,
    ) -> std::io::Result<Serving> {
        Ok(Serving { path: self.path })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_request_reaches_the_listener_and_its_answer_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run").join("w.sock");
        let (tx, rx) = std::sync::mpsc::channel();
        let _serving = Listener::bind(&path)
            .unwrap()
            .serve(tx, std::sync::Arc::new(|| {}))
            .unwrap();
        let window = std::thread::spawn(move || {
            let handover: Handover = rx.recv().unwrap();
            let request = handover.request.clone();
            handover.answer(true, "Opened it");
            request
        });
        let request = Request::Mailto("mailto:ana@example.org?subject=Hi".into());
        let answer = hand_over(&path, &request).unwrap().unwrap();
        assert_eq!((answer.opened, answer.said.as_str()), (true, "Opened it"));
        assert_eq!(window.join().unwrap(), request);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_crashed_windows_socket_is_no_window_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap()); // the file stays
        assert!(path.exists());
        assert_eq!(hand_over(&path, &Request::Show).unwrap(), None);
        let (tx, _rx) = std::sync::mpsc::channel();
        let serving = Listener::bind(&path)
            .unwrap()
            .serve(tx, std::sync::Arc::new(|| {}))
            .unwrap();
        assert!(matches!(
            Listener::bind(&path),
            Err(InstanceError::Taken(_))
        ));
        drop(serving);
        assert!(!path.exists(), "a closed window leaves no socket behind");
    }
}
