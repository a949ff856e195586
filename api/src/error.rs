//! Every error the API answers with: its status code and its stable, lower-case message.
//! The worker turns these into `{timestamp, error}` bodies in one place; clients can match on
//! the message text, which never changes for a given variant.

use crate::query::QueryError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid token")]
    InvalidToken,
    #[error("insufficient privileges")]
    Forbidden,
    /// Allowed to the record's owner or an admin only (403 with why).
    #[error("insufficient privileges: {0}")]
    NotOwner(String),
    #[error("invalid username or password")]
    BadLogin,
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("invalid JSON body: {0}")]
    BadJson(String),
    #[error("{0}")]
    Query(#[from] QueryError),
    #[error("{0}")]
    Invalid(String),
    #[error("name already exists")]
    NameTaken,
    #[error("{0}")]
    Conflict(String),
    /// A log append that starts past the end: resend from this offset.
    #[error("log gap: the log continues at offset {0}")]
    LogGap(u64),
    #[error("request body too large: the limit is {0} bytes")]
    TooLarge(usize),
    #[error("too many failed sign-ins: try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("the server is not configured: {0}")]
    NotConfigured(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidToken | ApiError::BadLogin => 401,
            ApiError::Forbidden | ApiError::NotOwner(_) => 403,
            ApiError::NotFound(_) | ApiError::NoRoute => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::BadJson(_) | ApiError::Query(_) | ApiError::Invalid(_) => 400,
            ApiError::NameTaken | ApiError::Conflict(_) | ApiError::LogGap(_) => 409,
            ApiError::TooLarge(_) => 413,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::NotConfigured(_) => 503,
            ApiError::Internal(_) => 500,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> ApiError {
        ApiError::Invalid(msg.into())
    }
}
