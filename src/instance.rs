//! One running window per home: a second `mailroom` or `mailroom compose mailto:…`
//! started while the window is open hands its request to that window and exits 0, as
//! clicking a mail link while Thunderbird or Geary runs opens a message in the running
//! app instead of a second one (a second app would run a second worker and outbox
//! thread over the same files).
//!
//! Who is the window is decided by a lock, not by the socket: the start that takes
//! `data/window.lock` (an `flock`, held for the window's life and released by the OS
//! even when the window is killed) is the window and listens on `data/window.sock`; a
//! start that finds the lock held hands its request over that socket, waiting a moment
//! for a window that is still starting. So two starts at the same moment make one window,
//! and a socket file left by a crash is simply replaced by the next window. Both files
//! live in the data folder (`0700`), whatever the environment says, so every start of one
//! home finds the same window. A request is one line of JSON; the answer is one line
//! that says what the window did. Headless commands (`send`, `outbox run`, …) never look
//! at either. Unix only: on Windows every start opens a window of its own (named pipes
//! would do it there; see the README).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::paths::Dirs;

/// Wakes the window after a request arrived (its `ctx.request_repaint()`).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

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
/// `opened`, 2 (bad input) when the window refused it (a broken link: the window shows
/// why, too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub opened: bool,
    pub said: String,
}

/// The longest request a window reads: a `mailto:` link with a long body fits.
const MAX_REQUEST: u64 = 256 * 1024;
/// How long either side waits for the other (in all, per connection) before giving up.
const PATIENCE: Duration = Duration::from_secs(10);
/// The longest path a Unix socket can have (`sun_path` is 108 bytes on Linux).
const MAX_SOCKET_PATH: usize = 107;

/// Where the window of one home listens, and the lock that says there is one.
#[derive(Debug, Clone)]
pub struct Place {
    socket: PathBuf,
    lock: PathBuf,
}

impl Place {
    pub fn of(dirs: &Dirs) -> Self {
        Self {
            socket: dirs.data().join("window.sock"),
            lock: dirs.data().join("window.lock"),
        }
    }

    /// A place in `folder` (tests).
    pub fn in_folder(folder: &Path) -> Self {
        Self {
            socket: folder.join("window.sock"),
            lock: folder.join("window.lock"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("the running Mailroom window ({path}) did not answer: {source}")]
    NoAnswer {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the running Mailroom window is busy and did not answer in time; try again")]
    Busy,
    /// The window closed while the request was on its way: this start may be the window.
    #[error("the Mailroom window closed")]
    Gone,
    #[error("listening at {path}: {source}")]
    Listen {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0} is longer than a Unix socket path may be ({MAX_SOCKET_PATH} bytes): a second start \
         opens a second window (choose a shorter MAILROOM_HOME)"
    )]
    PathTooLong(String),
}

/// Whether this start is the window, or hands its request to the one that is.
#[derive(Debug)]
pub enum Claim {
    /// No window runs for this home: this start is it, and listens.
    Window(Listener),
    /// A window runs (or is starting): hand the request to it.
    Running,
}

/// Takes the window's lock when nobody holds it (and binds the socket), or says that a
/// window holds it.
#[cfg(unix)]
pub fn claim(place: &Place) -> Result<Claim, InstanceError> {
    use std::os::unix::net::UnixListener;
    let listen_error = |source| InstanceError::Listen {
        path: place.socket.display().to_string(),
        source,
    };
    if place.socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(InstanceError::PathTooLong(
            place.socket.display().to_string(),
        ));
    }
    if let Some(folder) = place.lock.parent() {
        crate::store::private::create_dir_all(folder).map_err(listen_error)?;
    }
    let Some(lock) = crate::store::lock::try_lock(&place.lock).map_err(listen_error)? else {
        return Ok(Claim::Running);
    };
    match std::fs::remove_file(&place.socket) {
        Ok(()) => {} // a crashed window's: it held the lock until it died
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(listen_error(e)),
    }
    // In the 0700 data folder, the socket is reachable by this user only.
    let socket = UnixListener::bind(&place.socket).map_err(listen_error)?;
    Ok(Claim::Window(Listener {
        path: place.socket.clone(),
        socket,
        _lock: lock,
    }))
}

#[cfg(not(unix))]
pub fn claim(place: &Place) -> Result<Claim, InstanceError> {
    Err(InstanceError::Listen {
        path: place.socket.display().to_string(),
        source: std::io::Error::from(std::io::ErrorKind::Unsupported),
    })
}

/// Hands `request` to the window of `place` and returns its answer; a window that holds
/// the lock but does not listen yet (it is starting) is waited for, a while.
#[cfg(unix)]
pub fn hand_over(place: &Place, request: &Request) -> Result<Answer, InstanceError> {
    use std::os::unix::net::UnixStream;
    let deadline = Instant::now() + PATIENCE;
    let no_answer = |source| InstanceError::NoAnswer {
        path: place.socket.display().to_string(),
        source,
    };
    let mut stream = loop {
        match UnixStream::connect(&place.socket) {
            Ok(stream) => break stream,
            Err(e) if starting(&e) && window_gone(place) => return Err(InstanceError::Gone),
            Err(e) if starting(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(no_answer(e)),
        }
    };
    let exchange = |stream: &mut UnixStream| -> std::io::Result<Option<Answer>> {
        stream.set_write_timeout(Some(PATIENCE))?;
        let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        line.push(b'\n');
        stream.write_all(&line)?;
        stream.shutdown(std::net::Shutdown::Write)?;
        let answer = read_line(stream, Instant::now() + PATIENCE * 2)?;
        serde_json::from_slice::<Option<Answer>>(&answer)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    };
    match exchange(&mut stream) {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) => Err(InstanceError::Busy),
        // A window answers every request it reads, unless it is closing: one started
        // right after the window was closed finds its socket still there and no answer.
        Err(_) if closed_within(place, CLOSING) => Err(InstanceError::Gone),
        Err(e) => Err(no_answer(e)),
    }
}

/// How long a window that took a request without answering may take to close.
#[cfg(unix)]
const CLOSING: Duration = Duration::from_secs(2);

/// Whether the window lets go of its lock within `patience` (it is closing).
#[cfg(unix)]
fn closed_within(place: &Place, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    loop {
        if window_gone(place) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(not(unix))]
pub fn hand_over(place: &Place, _: &Request) -> Result<Answer, InstanceError> {
    Err(InstanceError::NoAnswer {
        path: place.socket.display().to_string(),
        source: std::io::Error::from(std::io::ErrorKind::Unsupported),
    })
}

/// Whether nobody holds the window's lock any more (the window closed meanwhile).
#[cfg(unix)]
fn window_gone(place: &Place) -> bool {
    matches!(crate::store::lock::try_lock(&place.lock), Ok(Some(_)))
}

/// A window that holds the lock but has not bound its socket yet.
fn starting(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
    )
}

/// Reads until the other side ends its half, at most [`MAX_REQUEST`] bytes, and gives up
/// at `deadline` however slowly the bytes come.
fn read_line(stream: &mut impl ReadWithTimeout, deadline: Instant) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        stream.set_timeout(left)?;
        match stream.read(&mut buffer)? {
            0 => return Ok(line),
            n if (line.len() + n) as u64 > MAX_REQUEST => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "longer than a request may be",
                ));
            }
            n => line.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A stream whose reads can be given a timeout.
trait ReadWithTimeout: Read {
    fn set_timeout(&mut self, timeout: Duration) -> std::io::Result<()>;
}

#[cfg(unix)]
impl ReadWithTimeout for std::os::unix::net::UnixStream {
    fn set_timeout(&mut self, timeout: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(timeout))
    }
}

/// A request handed over, and where the window's answer goes.
#[derive(Debug)]
pub struct Handover {
    pub request: Request,
    answer: std::sync::mpsc::Sender<Answer>,
    /// Set when the second start was told the window is busy: the request is not opened.
    abandoned: Arc<AtomicBool>,
}

impl Handover {
    /// Whether the second start has given up on this request (the window was too slow).
    pub fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Tells the second start what the window did.
    pub fn answer(self, opened: bool, said: impl Into<String>) {
        let said = said.into();
        let _ = self.answer.send(Answer { opened, said });
    }
}

/// The running window's end: its socket, and the lock that makes it the window.
#[derive(Debug)]
pub struct Listener {
    path: PathBuf,
    #[cfg(unix)]
    socket: std::os::unix::net::UnixListener,
    #[cfg(unix)]
    _lock: crate::store::lock::Lock,
}

#[cfg(unix)]
impl Listener {
    /// Answers requests on a thread of its own: each one goes to `handovers`, `wake` is
    /// called, and the window's answer is written back. Returns at once; the socket file
    /// goes when the returned [`Serving`] is dropped (the window closes).
    pub fn serve(
        self,
        handovers: std::sync::mpsc::Sender<Handover>,
        wake: Wake,
    ) -> std::io::Result<Serving> {
        let Self {
            path,
            socket,
            _lock: lock,
        } = self;
        std::thread::Builder::new()
            .name("mailroom-instance".into())
            .spawn(move || {
                let _lock = lock; // the window is the window while this thread runs
                for stream in socket.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    if !answer_one(&mut stream, &handovers, &wake) {
                        break; // the window has closed
                    }
                }
            })?;
        Ok(Serving { path })
    }
}

/// Reads one request, hands it to the window and writes its answer (`null` when the
/// window was too slow). `false` when the window is gone.
#[cfg(unix)]
fn answer_one(
    stream: &mut std::os::unix::net::UnixStream,
    handovers: &std::sync::mpsc::Sender<Handover>,
    wake: &Wake,
) -> bool {
    let _ = stream.set_write_timeout(Some(PATIENCE));
    let request = read_line(stream, Instant::now() + PATIENCE)
        .ok()
        .and_then(|line| serde_json::from_slice::<Request>(&line).ok());
    let answer = match request {
        None => Some(Answer {
            opened: false,
            said: "not a request Mailroom understands".into(),
        }),
        Some(request) => {
            let (answer, answered) = std::sync::mpsc::channel();
            let abandoned = Arc::new(AtomicBool::new(false));
            let handover = Handover {
                request,
                answer,
                abandoned: abandoned.clone(),
            };
            if handovers.send(handover).is_err() {
                return false;
            }
            wake();
            let answer = answered.recv_timeout(PATIENCE).ok();
            if answer.is_none() {
                abandoned.store(true, Ordering::SeqCst);
            }
            answer
        }
    };
    if let Ok(mut line) = serde_json::to_vec(&answer) {
        line.push(b'\n');
        let _ = stream.write_all(&line);
    }
    true
}

#[cfg(not(unix))]
impl Listener {
    pub fn serve(self, _: std::sync::mpsc::Sender<Handover>, _: Wake) -> std::io::Result<Serving> {
        Ok(Serving { path: self.path })
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[allow(clippy::unwrap_used, clippy::panic)] // a helper of the tests
    fn window(place: &Place) -> (Serving, std::sync::mpsc::Receiver<Handover>) {
        let Claim::Window(listener) = claim(place).unwrap() else {
            panic!("no window runs yet");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        (listener.serve(tx, Arc::new(|| {})).unwrap(), rx)
    }

    #[test]
    fn a_request_reaches_the_window_and_its_answer_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::in_folder(&dir.path().join("data"));
        let (_serving, handovers) = window(&place);
        assert!(matches!(claim(&place).unwrap(), Claim::Running));
        let window = std::thread::spawn(move || {
            let handover = handovers.recv().unwrap();
            let request = handover.request.clone();
            handover.answer(true, "Opened it");
            request
        });
        let request = Request::Mailto("mailto:ana@example.org?subject=Hi".into());
        let answer = hand_over(&place, &request).unwrap();
        assert_eq!((answer.opened, answer.said.as_str()), (true, "Opened it"));
        assert_eq!(window.join().unwrap(), request);
    }

    #[test]
    fn a_killed_windows_socket_is_replaced_and_a_closed_window_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::in_folder(dir.path());
        drop(std::os::unix::net::UnixListener::bind(&place.socket).unwrap()); // the file stays
        assert!(place.socket.exists());
        let (serving, _handovers) = window(&place);
        drop(serving);
        assert!(
            !place.socket.exists(),
            "a closed window leaves no socket behind"
        );
    }

    #[test]
    fn a_window_too_slow_to_answer_is_busy_and_the_request_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::in_folder(dir.path());
        let (_serving, handovers) = window(&place);
        let asked = std::thread::spawn(move || hand_over(&place, &Request::Show));
        let handover = handovers.recv().unwrap();
        let answer = asked.join().unwrap(); // after PATIENCE, unanswered
        assert!(matches!(answer, Err(InstanceError::Busy)), "{answer:?}");
        assert!(handover.is_abandoned());
    }

    #[test]
    fn a_window_closing_as_a_request_arrives_is_gone_so_this_start_becomes_the_window() {
        // Started right after the window was closed (seen as "did not answer: Connection
        // reset by peer" when starts follow each other quickly): the socket file is still
        // there, the closing window takes the connection and ends without an answer.
        let dir = tempfile::tempdir().unwrap();
        let place = Place::in_folder(dir.path());
        let (serving, handovers) = window(&place);
        drop(handovers); // the window has closed; its listening thread ends at the next request
        let answer = hand_over(&place, &Request::Show);
        assert!(matches!(answer, Err(InstanceError::Gone)), "{answer:?}");
        assert!(matches!(claim(&place).unwrap(), Claim::Window(_)));
        drop(serving);
    }

    #[test]
    fn a_socket_path_too_long_for_unix_is_named() {
        let place = Place::in_folder(&PathBuf::from("/tmp").join("x".repeat(120)));
        assert!(matches!(claim(&place), Err(InstanceError::PathTooLong(_))));
    }
}
