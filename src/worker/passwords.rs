//! Passwords typed in the window while no keyring answers: kept in this process's memory
//! for the session only, shared by the worker's two threads, never written anywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::profile::secret::Password;

/// Profile id → the password typed for it this session.
#[derive(Clone, Default)]
pub struct SessionPasswords(Arc<Mutex<HashMap<String, Password>>>);

impl SessionPasswords {
    pub fn get(&self, profile_id: &str) -> Option<Password> {
        self.0.lock().ok()?.get(profile_id).cloned()
    }

    pub fn keep(&self, profile_id: &str, password: Password) {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(profile_id.to_string(), password);
        }
    }

    pub fn forget(&self, profile_id: &str) {
        if let Ok(mut kept) = self.0.lock() {
            kept.remove(profile_id);
        }
    }
}

impl std::fmt::Debug for SessionPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.lock().map_or(0, |kept| kept.len());
        write!(f, "SessionPasswords({count} kept, not shown)")
    }
}
