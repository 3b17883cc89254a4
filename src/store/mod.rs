//! Files on disk. Every write in Mailroom goes through [`atomic`].

pub mod atomic;

pub use atomic::{AtomicWriteError, write_atomic};
