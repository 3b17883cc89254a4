//! Logging in to the IMAP server: a password (AUTHENTICATE PLAIN, else LOGIN) or an
//! OAuth2 access token (OAUTHBEARER, else XOAUTH2, or the one asked for), with SASL-IR
//! when offered; a refused token's error challenge is answered as RFC 7628 asks and its
//! JSON `status` reported with the server's words. The capabilities are asked again after.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;

use super::wire::Message;
use super::{Auth, Bearer, ImapError, Session};

impl Session {
    /// Logs in; afterwards the capabilities are asked again.
    pub fn login(&mut self, auth: &Auth) -> Result<(), ImapError> {
        match auth {
            Auth::Password { user, password } => {
                if self.has("AUTH=PLAIN") {
                    let ir = format!("\0{user}\0{}", password.expose_secret());
                    self.authenticate("PLAIN", ir.as_bytes(), false)?;
                } else if !self.has("LOGINDISABLED") {
                    let mut line = b"LOGIN ".to_vec();
                    line.extend_from_slice(&self.astring(user)?);
                    line.push(b' ');
                    line.extend_from_slice(&self.astring(password.expose_secret())?);
                    let (_, done) = self.run("LOGIN", &line)?;
                    if !done.ok {
                        return Err(ImapError::LoginRefused {
                            server: self.server.clone(),
                            mechanism: "LOGIN".to_string(),
                            words: done.words,
                            status: None,
                        });
                    }
                } else {
                    return Err(self.no_mechanism("a password"));
                }
            }
            Auth::OAuth2 {
                user,
                token,
                mechanism,
            } => {
                let offered = |m: Bearer| self.has(&format!("AUTH={}", m.name()));
                let mechanism = match mechanism {
                    Some(m) if offered(*m) => *m,
                    Some(m) => return Err(self.no_mechanism(m.name())),
                    None if offered(Bearer::OAuthBearer) => Bearer::OAuthBearer,
                    None if offered(Bearer::XOAuth2) => Bearer::XOAuth2,
                    None => return Err(self.no_mechanism("an OAuth2 token")),
                };
                let token = token.expose_secret();
                let host = self
                    .server
                    .rsplit_once(':')
                    .map(|(h, p)| (h.to_string(), p.to_string()));
                let (host, port) = host.unwrap_or_default();
                let ir = match mechanism {
                    Bearer::OAuthBearer => format!(
                        "n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
                    ),
                    Bearer::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
                };
                self.authenticate(mechanism.name(), ir.as_bytes(), true)?;
            }
        }
        self.capabilities = self.capability()?;
        Ok(())
    }

    fn no_mechanism(&self, wanted: &str) -> ImapError {
        let offered: Vec<&str> = self
            .capabilities
            .iter()
            .filter_map(|c| c.strip_prefix("AUTH="))
            .collect();
        ImapError::NoMechanism {
            server: self.server.clone(),
            wanted: wanted.to_string(),
            offered: if offered.is_empty() {
                "nothing".to_string()
            } else {
                offered.join(" ")
            },
        }
    }

    /// AUTHENTICATE with an initial response (inline with SASL-IR, else after the first
    /// `+`). A later `+` is an error challenge (bearer mechanisms): answered, its
    /// `status` kept for the error.
    fn authenticate(
        &mut self,
        mechanism: &str,
        initial: &[u8],
        bearer: bool,
    ) -> Result<(), ImapError> {
        let refused =
            |this: &Self, words: String, status: Option<String>| ImapError::LoginRefused {
                server: this.server.clone(),
                mechanism: mechanism.to_string(),
                words,
                status,
            };
        let tag = self.tag();
        let encoded = STANDARD.encode(initial);
        let sasl_ir = self.has("SASL-IR");
        let line = if sasl_ir {
            format!("{tag} AUTHENTICATE {mechanism} {encoded}\r\n")
        } else {
            format!("{tag} AUTHENTICATE {mechanism}\r\n")
        };
        self.wire.write_all(line.as_bytes())?;
        let mut sent_initial = sasl_ir;
        let mut status = None;
        loop {
            match self.wire.read()? {
                Message::Continue(text) => {
                    let answer = if !sent_initial {
                        sent_initial = true;
                        format!("{encoded}\r\n")
                    } else if bearer {
                        status = STANDARD
                            .decode(text.trim())
                            .ok()
                            .and_then(|j| serde_json::from_slice::<serde_json::Value>(&j).ok())
                            .and_then(|v| {
                                v.get("status").and_then(|s| s.as_str().map(String::from))
                            });
                        if mechanism == "OAUTHBEARER" {
                            "AQ==\r\n".to_string()
                        } else {
                            "\r\n".to_string()
                        }
                    } else {
                        // an unexpected challenge: cancel the exchange
                        "*\r\n".to_string()
                    };
                    self.wire.write_all(answer.as_bytes())?;
                }
                Message::Tagged(done) if done.tag == tag => {
                    return if done.ok {
                        Ok(())
                    } else {
                        Err(refused(self, done.words, status))
                    };
                }
                Message::Bye(words) => return Err(refused(self, words, status)),
                _ => {}
            }
        }
    }
}
