//! The signed-in session, kept in sessionStorage: it survives a reload, ends with the tab,
//! and is never written anywhere else.

use labrelay_api::users::User;
use labrelay_api::Id;
use std::cell::RefCell;
use web_sys::Storage;

const TOKEN: &str = "labrelay.token";
const NAME: &str = "labrelay.user";
const ADMIN: &str = "labrelay.admin";
const ID: &str = "labrelay.user_id";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    /// The user's id (none for a session started before ids were kept).
    pub id: Id,
    pub name: String,
    pub admin: bool,
}

thread_local! {
    static ON_SIGNED_OUT: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

fn storage() -> Option<Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The current session, if signed in.
pub fn session() -> Option<Session> {
    let s = storage()?;
    let token = s.get_item(TOKEN).ok().flatten().filter(|t| !t.is_empty())?;
    Some(Session {
        token,
        id: s
            .get_item(ID)
            .ok()
            .flatten()
            .and_then(|i| i.parse().ok())
            .unwrap_or(Id::NONE),
        name: s.get_item(NAME).ok().flatten().unwrap_or_default(),
        admin: s.get_item(ADMIN).ok().flatten().as_deref() == Some("true"),
    })
}

pub(super) fn start(user: &User) -> Option<Session> {
    let token = user.token.clone().filter(|t| !t.is_empty())?;
    let s = storage()?;
    let _ = s.set_item(TOKEN, &token);
    let _ = s.set_item(NAME, &user.name);
    let _ = s.set_item(ID, &user.id.to_string());
    let _ = s.set_item(ADMIN, if user.admin { "true" } else { "false" });
    session()
}

/// Forgets the session (the "Sign out" button).
pub fn sign_out() {
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN);
        let _ = s.remove_item(NAME);
        let _ = s.remove_item(ADMIN);
        let _ = s.remove_item(ID);
    }
}

/// The server refused the token: forget it and tell the app.
pub(super) fn expire() {
    sign_out();
    ON_SIGNED_OUT.with(|hook| {
        if let Some(f) = hook.borrow().as_ref() {
            f();
        }
    });
}

/// What to do when the server ends the session (the app shows the sign-in form).
pub fn on_signed_out(f: impl Fn() + 'static) {
    ON_SIGNED_OUT.with(|hook| *hook.borrow_mut() = Some(Box::new(f)));
}
