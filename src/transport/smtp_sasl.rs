//! SMTP AUTH with an OAuth2 access token: OAUTHBEARER (RFC 7628) when the server offers
//! it, else XOAUTH2 (Google's and Microsoft's). Written here because lettre's XOAUTH2
//! cannot answer the server's error challenge: on a refused token the server sends
//! `334 <base64 JSON>` (`{"status":"401",…}` / `{"status":"invalid_token",…}`), which
//! the client must answer — `AQ==` (%x01) for OAUTHBEARER, an empty line for XOAUTH2 —
//! before the final `535`. The JSON's status is shown; the token never is.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::response::Response;

/// One raw SMTP command line (its text includes the final CRLF). `Debug` shows only the
/// verb: an AUTH line carries a token.
struct Line(String);

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which bearer mechanism to use, from the EHLO lines.
pub fn mechanism(capabilities: &[String]) -> Option<&'static str> {
    let auth: Vec<String> = capabilities
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("AUTH"))
        })
        .flat_map(|l| l.split_whitespace().skip(1).map(str::to_ascii_uppercase))
        .collect();
    ["OAUTHBEARER", "XOAUTH2"]
        .into_iter()
        .find(|m| auth.iter().any(|a| a == m))
}

/// Authenticates with `token` for `user` by `mechanism`; `host` and `port` go into
/// OAUTHBEARER's GS2 header as RFC 7628 asks. Returns the final reply (a refusal is
/// lettre's error carrying it) and, when the server sent an error challenge, its status.
pub fn authenticate(
    conn: &mut SmtpConnection,
    mechanism: &str,
    user: &str,
    token: &str,
    host: &str,
    port: u16,
) -> (
    Result<Response, lettre::transport::smtp::Error>,
    Option<String>,
) {
    let initial = match mechanism {
        "OAUTHBEARER" => {
            format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
        }
        _ => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
    };
    let command = Line(format!("AUTH {mechanism} {}\r\n", STANDARD.encode(initial)));
    let first = match conn.command(command) {
        Ok(response) if response.has_code(334) => response,
        other => return (other, None),
    };
    // 334: the error challenge. Answer it so the server ends the exchange cleanly.
    let status = first
        .first_line()
        .and_then(|line| STANDARD.decode(line.trim()).ok())
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|v| v.get("status").and_then(|s| s.as_str().map(str::to_string)));
    let answer = if mechanism == "OAUTHBEARER" {
        "AQ==\r\n"
    } else {
        "\r\n"
    };
    (conn.command(Line(answer.to_string())), status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauthbearer_is_preferred_when_offered() {
        let caps = |s: &str| vec!["PIPELINING".to_string(), s.to_string()];
        assert_eq!(
            mechanism(&caps("AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER")),
            Some("OAUTHBEARER")
        );
        assert_eq!(mechanism(&caps("AUTH PLAIN xoauth2")), Some("XOAUTH2"));
        assert_eq!(mechanism(&caps("AUTH PLAIN LOGIN")), None);
    }
}
