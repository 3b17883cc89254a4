//! What can be wrong with a draft: every error names the field, address or file.

use std::fmt;
use std::path::PathBuf;

/// A header field of the message, as the person sees it in the compose window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    Cc,
    Bcc,
    ReplyTo,
    Subject,
    ReadReceipt,
    DeliveryReceipt,
    Attachment,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::From => "From",
            Field::To => "To",
            Field::Cc => "Cc",
            Field::Bcc => "Bcc",
            Field::ReplyTo => "Reply-To",
            Field::Subject => "Subject",
            Field::ReadReceipt => "Read receipt",
            Field::DeliveryReceipt => "Delivery receipt",
            Field::Attachment => "Attachment",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("{field}: \"{text}\" is not a valid address ({reason})")]
    InvalidAddress {
        field: Field,
        text: String,
        reason: String,
    },
    #[error("{field}: give one address, not {count}")]
    OneAddressOnly { field: Field, count: usize },
    #[error("the message has no recipients: fill in To, Cc or Bcc")]
    NoRecipients,
    #[error("the message has no sender: fill in From or give the profile an identity")]
    NoSender,
    #[error(
        "{field} contains a line break or another control character (NUL, ESC, …), which would break the header"
    )]
    ControlCharacter { field: Field },
    #[error("attachment {path}: {source}")]
    UnreadableAttachment {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("attachment {path} is a folder, not a file")]
    AttachmentIsFolder { path: PathBuf },
    /// A device, pipe or socket: `/dev/zero` never ends, a pipe may never be written.
    #[error(
        "attachment {path} is not a regular file (a device, pipe or socket): only files can be attached"
    )]
    AttachmentNotAFile { path: PathBuf },
    #[error("attachment \"{file_name}\": \"{content_type}\" is not a valid content type")]
    InvalidContentType {
        file_name: String,
        content_type: String,
    },
    #[error(
        "the message shows the picture cid:{reference}, but no inline picture has that id (inline pictures: {inline}): correct the reference or attach the picture inline"
    )]
    MissingPicture { reference: String, inline: String },
    #[error("attachment \"{file_name}\" has an empty file name")]
    EmptyFileName { file_name: String },
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// A fault of Mailroom's own while putting the message together.
    #[error("could not build the message: {0}")]
    Assembly(&'static str),
}
