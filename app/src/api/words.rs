//! API failures in plain words: what happened and what to do about it. The server's own
//! messages are specific (`invalid filter "x": unknown field "x"`), so most are kept and
//! only made into a sentence; the common ones get friendlier wording.

/// The message for a failed call. `status` 0 means the server could not be reached;
/// `server` is the body's `error` (may be empty).
pub fn user_words(status: u16, server: &str) -> String {
    let server = server.trim();
    match (status, server) {
        (0, _) => "Cannot reach the Labrelay server. Check your connection and try again.".into(),
        (401, "invalid username or password") => "Wrong user name or password.".into(),
        (401, _) => "Your session has ended. Please sign in again.".into(),
        (403, _) => "You are not allowed to do that: it needs an administrator.".into(),
        (404, m) if m.starts_with("no such ") => {
            format!(
                "That {} does not exist (it may have been deleted).",
                &m[8..]
            )
        }
        (409, "job is running") => "This job is running: stop it first.".into(),
        (409, "name already exists") => "That name is taken: pick another one.".into(),
        (413, _) => "That is too large to send: the limit is 1 MiB.".into(),
        (s, m) if s >= 500 => {
            let why = if m.is_empty() {
                format!("HTTP {s}")
            } else {
                m.to_string()
            };
            format!("The server failed ({why}). Try again in a moment.")
        }
        (_, m) if !m.is_empty() => sentence(m),
        (s, _) => format!("The request failed (HTTP {s})."),
    }
}

/// Upper-case first letter and a full stop. (The server's messages start in ASCII; Unicode
/// case tables would cost the wasm several KB.)
fn sentence(m: &str) -> String {
    let mut out = m.to_string();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_failures_read_as_advice() {
        assert!(user_words(0, "").starts_with("Cannot reach"));
        assert_eq!(
            user_words(401, "invalid username or password"),
            "Wrong user name or password."
        );
        assert_eq!(
            user_words(401, "invalid token"),
            "Your session has ended. Please sign in again."
        );
        assert!(user_words(403, "insufficient privileges").contains("administrator"));
        assert_eq!(
            user_words(404, "no such job"),
            "That job does not exist (it may have been deleted)."
        );
        assert_eq!(
            user_words(409, "job is running"),
            "This job is running: stop it first."
        );
        assert!(user_words(413, "").contains("1 MiB"));
    }

    #[test]
    fn server_messages_become_sentences() {
        assert_eq!(
            user_words(400, "invalid filter \"foo~~\": unknown field \"foo\""),
            "Invalid filter \"foo~~\": unknown field \"foo\"."
        );
        assert_eq!(
            user_words(409, "job has already finished: completed"),
            "Job has already finished: completed."
        );
        assert_eq!(user_words(400, ""), "The request failed (HTTP 400).");
        assert_eq!(
            user_words(500, "internal error: x"),
            "The server failed (internal error: x). Try again in a moment."
        );
        assert_eq!(
            user_words(502, ""),
            "The server failed (HTTP 502). Try again in a moment."
        );
    }
}
