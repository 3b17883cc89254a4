//! Who a connection logs in as, and with what: the [`Login`] that
//! [`super::login::open`] works out from a profile and [`super::smtp::SmtpSession`] uses.

use crate::profile::secret::Password;

/// A user name and its password. `Debug` leaves the password out.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: Password,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}
