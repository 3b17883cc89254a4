//! The message a person writes, and how it becomes RFC 5322 bytes.
//!
//! - [`Draft`]: what was typed, kept as typed (a half-written address is not an error
//!   until the message is sent).
//! - [`address`]: splitting a header field into RFC 5322 mailboxes, naming each bad one.
//! - [`mime`]: validating a draft and building the `lettre::Message`.
//! - [`date`]: the `Date` header, set again when a frozen message goes out.
//! - [`html_text`]: the plain-text rendering of an HTML body, with depth and size caps.
//! - `picture_refs`: each `cid:` picture a formatted body shows has its inline attachment.
//! - [`logic_apps`]: the Azure Logic Apps SMTP connector's `Email` JSON as a draft.

pub mod address;
mod attachment_stream;
pub mod date;
mod draft;
pub mod eml;
mod error;
mod headers;
pub mod html_text;
pub mod logic_apps;
pub mod mailto;
pub mod mime;
mod picture_refs;

pub use attachment_stream::check_file as check_attachment_file;
pub use draft::{Attachment, AttachmentSource, BodyFormat, Draft, Importance};
pub use error::{DraftError, Field};
pub use mime::{BuiltMessage, build};
