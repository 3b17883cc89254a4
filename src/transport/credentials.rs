//! Who a connection logs in as, and with what: the [`Login`] that
//! [`super::login::open`] works out from a profile and [`super::smtp::SmtpSession`] uses.

use crate::profile::secret::Password;

/// A user name and its password or OAuth2 access token. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: Password,
    pub kind: LoginKind,
}

/// What the secret is, which decides the SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// PLAIN or LOGIN.
    Password,
    /// An OAuth2 access token: OAUTHBEARER (RFC 7628) when offered, else XOAUTH2.
    Bearer,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
