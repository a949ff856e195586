//! Which lab the app works in: the default lab (the bare `/api/v1/`) or a named one, whose
//! API is `/labs/{lab}/api/v1/`. Kept in localStorage (the choice survives a reload and a new
//! tab); every request for a lab's records goes to that lab, while users and labs (global)
//! always go to the bare path.

use labrelay_api::labs::valid_name;
use web_sys::Storage;

const KEY: &str = "labrelay.lab";

fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The lab chosen, `None` for the default lab.
pub fn current() -> Option<String> {
    storage()?
        .get_item(KEY)
        .ok()
        .flatten()
        .filter(|l| valid_name(l) && l != labrelay_api::labs::DEFAULT_LAB)
}

/// Chooses a lab (`None`: the default lab).
pub fn choose(lab: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match lab.filter(|l| valid_name(l) && *l != labrelay_api::labs::DEFAULT_LAB) {
            Some(l) => s.set_item(KEY, l),
            None => s.remove_item(KEY),
        };
    }
}

/// `path` (`/api/v1/...`) as the chosen lab's, or `lab`'s when given: users and labs stay
/// global.
pub fn scoped(path: &str, lab: Option<&str>) -> String {
    let global = ["/api/v1/users", "/api/v1/labs", "/api/v1/logout"]
        .iter()
        .any(|g| path.starts_with(g));
    let lab = lab.map(str::to_string).or_else(current);
    match lab {
        Some(l) if !global && path.starts_with("/api/") => format!("/labs/{l}{path}"),
        _ => path.to_string(),
    }
}
