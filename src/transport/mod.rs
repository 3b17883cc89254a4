//! Getting a built message to where it goes: an SMTP server ([`smtp`]) or a folder of
//! `.eml` files ([`folder`]). Both implement [`Transport`]; one open transport sends any
//! number of messages (the outbox sends several due messages over one connection).
//!
//! Every failure is a [`SendError`] that names the server and carries its own words,
//! classified as transient (try again later) or permanent.

mod credentials;
mod error;
pub mod folder;
pub mod login;
pub mod smtp;
mod smtp_reply;
mod smtp_sasl;
mod smtp_tls;
mod upload;

use lettre::address::Envelope;

pub use credentials::LoginKind;
pub use error::{Reply, SendError, Stage};
pub use smtp_tls::probe;

/// The server took responsibility for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The server's answer to the end of DATA (e.g. `250 2.0.0 Ok: queued as 4F2B`), or
    /// where the folder transport wrote the file.
    pub reply: String,
}

/// An open way to send messages.
pub trait Transport {
    /// Transmits `message` (RFC 5322 bytes) to the envelope's recipients.
    fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<Accepted, SendError>;

    /// As [`Transport::send`], telling `uploaded` how many of the message's bytes the
    /// server has taken, as the upload goes (for a progress bar). By default: once, at
    /// the end.
    fn send_reporting(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
        uploaded: &mut dyn FnMut(usize),
    ) -> Result<Accepted, SendError> {
        let accepted = self.send(envelope, message)?;
        uploaded(message.len());
        Ok(accepted)
    }

    /// The largest message the server takes (SMTP `SIZE`), when it said.
    fn size_limit(&self) -> Option<u64> {
        None
    }

    /// Ends the session politely (SMTP `QUIT`); errors are of no interest by then.
    fn close(&mut self) {}
}
