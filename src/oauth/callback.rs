//! The browser's way back: a listener on `127.0.0.1` at a port the OS picks (RFC 8252
//! §7.3), redirect URI `http://127.0.0.1:PORT/`. It hands back the first request that
//! carries `code` or `error` with the browser still waiting on it ([`Pending`]): its page
//! ("signed in, you can close this tab", or what went wrong) is written once the state is
//! checked and the code exchanged, so the tab never claims a sign-in that then failed.
//! Other requests (a favicon) are answered 404 and ignored. A request line is read up to
//! 8 KiB; anything longer is not an answer.
//!
//! Written here rather than with an HTTP server crate: one GET line is all it reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::OAuthError;

const MAX_LINE: u64 = 8 * 1024;

/// What the provider sent back through the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The browser's request that carried the answer, waiting for its page.
#[derive(Debug)]
pub struct Pending {
    stream: Option<TcpStream>,
}

impl Pending {
    /// Shows the browser how the sign-in ended.
    pub fn finish(mut self, outcome: Result<(), &OAuthError>) {
        if let Some(stream) = self.stream.take() {
            let page = match outcome {
                Ok(()) => {
                    "Mailroom: signed in. You can close this tab and go back to Mailroom.".into()
                }
                Err(e) => format!(
                    "Mailroom: {}. You can close this tab.",
                    html_escape(&e.to_string())
                ),
            };
            respond(&stream, "200 OK", &page);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            respond(
                &stream,
                "200 OK",
                "Mailroom: the sign-in did not finish. You can close this tab.",
            );
        }
    }
}

pub struct Callback {
    listener: TcpListener,
    port: u16,
}

impl Callback {
    pub fn bind() -> Result<Self, OAuthError> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(OAuthError::Listen)?;
        let port = listener.local_addr().map_err(OAuthError::Listen)?.port();
        listener.set_nonblocking(true).map_err(OAuthError::Listen)?;
        Ok(Self { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Waits for the browser until `deadline`, or until `cancel` is set; the browser
    /// waits in turn for [`Pending::finish`].
    pub fn wait(
        &self,
        deadline: Instant,
        cancel: &AtomicBool,
    ) -> Result<(Redirect, Pending), OAuthError> {
        let started = Instant::now();
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(OAuthError::Cancelled);
            }
            if Instant::now() >= deadline {
                return Err(OAuthError::NoRedirect(started.elapsed().as_secs()));
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(redirect) = read_answer(&stream) {
                        return Ok((
                            redirect,
                            Pending {
                                stream: Some(stream),
                            },
                        ));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(OAuthError::Listen(e)),
            }
        }
    }
}

/// Reads one request and returns what it carried; anything else is answered 404 here.
fn read_answer(stream: &TcpStream) -> Option<Redirect> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let mut reader = BufReader::new(stream).take(MAX_LINE);
    reader.read_line(&mut line).ok()?;
    let redirect = parse_request_line(&line);
    if redirect.is_none() {
        respond(stream, "404 Not Found", "Not a sign-in answer.");
    }
    redirect
}

fn respond(mut stream: &TcpStream, status: &str, page: &str) {
    let body = format!("<!doctype html><meta charset=utf-8><title>Mailroom</title><p>{page}</p>");
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// `GET /?code=…&state=… HTTP/1.1` → the redirect; `None` for anything else.
pub(crate) fn parse_request_line(line: &str) -> Option<Redirect> {
    let mut parts = line.split_whitespace();
    if parts.next() != Some("GET") {
        return None;
    }
    let target = parts.next()?;
    let query = target.split_once('?').map(|(_, q)| q)?;
    let mut redirect = Redirect {
        code: None,
        state: None,
        error: None,
        error_description: None,
    };
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = Some(value.into_owned());
        match key.as_ref() {
            "code" => redirect.code = value,
            "state" => redirect.state = value,
            "error" => redirect.error = value,
            "error_description" => redirect.error_description = value,
            _ => {}
        }
    }
    (redirect.code.is_some() || redirect.error.is_some()).then_some(redirect)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_carries_code_and_state_or_an_error() {
        let ok = parse_request_line("GET /?code=abc%2F1&state=xyz HTTP/1.1\r\n").unwrap();
        assert_eq!(
            (ok.code.as_deref(), ok.state.as_deref()),
            (Some("abc/1"), Some("xyz"))
        );
        let refused = parse_request_line(
            "GET /?error=access_denied&error_description=no+thanks&state=s HTTP/1.1",
        )
        .unwrap();
        assert_eq!(refused.error.as_deref(), Some("access_denied"));
        assert_eq!(refused.error_description.as_deref(), Some("no thanks"));
        assert_eq!(parse_request_line("GET /favicon.ico HTTP/1.1"), None);
        assert_eq!(parse_request_line("POST /?code=a HTTP/1.1"), None);
    }

    #[test]
    fn a_browser_reaching_the_listener_is_answered_and_heard() {
        let callback = Callback::bind().unwrap();
        let uri = callback.redirect_uri();
        let port: u16 = uri
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let browser = std::thread::spawn(move || {
            let mut favicon = TcpStream::connect(("127.0.0.1", port)).unwrap();
            favicon
                .write_all(b"GET /favicon.ico HTTP/1.1\r\n\r\n")
                .unwrap();
            let mut page = String::new();
            let _ = std::io::Read::read_to_string(&mut favicon, &mut page);
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .write_all(b"GET /?code=c1&state=s1 HTTP/1.1\r\n\r\n")
                .unwrap();
            let mut page2 = String::new();
            let _ = std::io::Read::read_to_string(&mut stream, &mut page2);
            (page, page2)
        });
        let (redirect, pending) = callback
            .wait(
                Instant::now() + Duration::from_secs(10),
                &AtomicBool::new(false),
            )
            .unwrap();
        assert_eq!(redirect.code.as_deref(), Some("c1"));
        pending.finish(Ok(()));
        let (favicon, page) = browser.join().unwrap();
        assert!(favicon.starts_with("HTTP/1.1 404"));
        assert!(page.contains("signed in. You can close this tab"), "{page}");
    }

    #[test]
    fn waiting_ends_at_the_deadline_or_when_cancelled() {
        let callback = Callback::bind().unwrap();
        let e = callback
            .wait(
                Instant::now() + Duration::from_millis(100),
                &AtomicBool::new(false),
            )
            .unwrap_err();
        assert!(matches!(e, OAuthError::NoRedirect(_)));
        let e = callback
            .wait(
                Instant::now() + Duration::from_secs(10),
                &AtomicBool::new(true),
            )
            .unwrap_err();
        assert!(matches!(e, OAuthError::Cancelled));
    }
}

/// Property tests of the request-line parser (issue 16, "Fuzzing"); the others are in
/// `tests/properties.rs`. 256 cases, or `PROPTEST_CASES`.
#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]
    use super::parse_request_line;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        let mut config = ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 256;
        }
        config
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn properties_the_request_line_parser_never_panics(line in any::<String>(), query in "[a-z=&%0-9A-F+?#/ \\r\\n]{0,40}") {
            crate::progress!("properties_the_request_line_parser_never_panics");
            let _ = parse_request_line(&line);
            let _ = parse_request_line(&format!("GET /?{query} HTTP/1.1\r\n"));
        }

        #[test]
        fn properties_code_and_state_come_back_as_sent(code in any::<String>(), state in any::<String>()) {
            crate::progress!("properties_code_and_state_come_back_as_sent");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("code", &code)
                .append_pair("state", &state)
                .finish();
            let redirect = parse_request_line(&format!("GET /?{query} HTTP/1.1\r\n")).unwrap();
            prop_assert_eq!(redirect.code.as_deref(), Some(code.as_str()));
            prop_assert_eq!(redirect.state.as_deref(), Some(state.as_str()));
        }
    }
}
