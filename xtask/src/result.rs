//! xtask's one `Result`: an error is a message for whoever runs the task (`main` prints it
//! as `xtask: <message>` and exits 1).

pub type Result<T = ()> = std::result::Result<T, String>;
