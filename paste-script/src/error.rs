//! [`Error`]: what a command failed on, and the exit status it stands for.

use std::fmt;

/// A command's failure: one message for people, and the process's exit
/// status (2 for a bad command line or a bad config, as Paste Script).
///
/// ```
/// use paste_script::Error;
///
/// let err = Error::usage("no config file given");
/// assert_eq!(err.exit_code(), 2);
/// assert_eq!(err.to_string(), "no config file given");
/// ```
#[derive(Debug)]
pub struct Error {
    message: String,
    code: u8,
}

impl Error {
    /// A failure with exit status `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }

    /// A bad command line, config or setting: exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(2, message)
    }

    /// The exit status.
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<paste_deploy::Error> for Error {
    /// A config error (exit status 2), with its location and its cause.
    fn from(err: paste_deploy::Error) -> Self {
        // The causes, each once: a message often already quotes its cause.
        let mut message = err.to_string();
        let mut next = std::error::Error::source(&err);
        while let Some(cause) = next {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            next = cause.source();
        }
        Self::usage(message)
    }
}
