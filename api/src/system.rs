//! CDRouter's `system/` answers as Labrelay gives them (the official client's `system`
//! service): the time, what the lab stores, the interfaces its agents have, its preferences.
//! What runs the CDRouter box itself (licence, upgrades, shutdown, reboot, the lounge) does not
//! apply to Labrelay: those answer a 400 saying so ([`NOT_HERE`]).

use serde::{Deserialize, Serialize};

/// The `system/` calls that do not apply, and why.
pub const NOT_HERE: &[(&str, &str)] = &[
    (
        "license",
        "licences belong to each lab machine's CDRouter install",
    ),
    (
        "upgrade",
        "CDRouter is upgraded on each lab machine; Labrelay is upgraded by deploying it",
    ),
    (
        "lounge",
        "the CDRouter lounge serves each lab machine's install",
    ),
    (
        "shutdown",
        "Labrelay runs on Cloudflare or workerd, not on a CDRouter box",
    ),
    (
        "poweroff",
        "Labrelay runs on Cloudflare or workerd, not on a CDRouter box",
    ),
    (
        "restart",
        "Labrelay runs on Cloudflare or workerd, not on a CDRouter box",
    ),
    (
        "reboot",
        "Labrelay runs on Cloudflare or workerd, not on a CDRouter box",
    ),
    (
        "diag",
        "diagnostics of a CDRouter box are taken on that box",
    ),
];

/// The message for one of [`NOT_HERE`].
pub fn not_here(what: &str) -> String {
    let why = NOT_HERE
        .iter()
        .find(|(w, _)| *w == what)
        .map_or("it is not part of Labrelay", |(_, why)| why);
    format!("system/{what} does not apply to Labrelay: {why}")
}

/// `system/time`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemTime {
    pub time: crate::Timestamp,
}

/// `system/space`: what the lab's results take (`size` and `avail` 0 when the lab has no
/// quota).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub path: String,
    pub unit: String,
    pub size: u64,
    pub used: u64,
    pub avail: u64,
    pub pcent: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InterfaceFlags {
    pub up: bool,
    pub broadcast: bool,
    pub loopback: bool,
    pub point_to_point: bool,
    pub multicast: bool,
}

/// `system/interfaces`: an interface some agent of the lab has (`up` while one is online).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemInterface {
    pub index: u64,
    pub mtu: u64,
    pub name: String,
    pub hardware_addr: String,
    pub flags: InterfaceFlags,
    pub addresses: Vec<String>,
    pub multicast_addresses: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InUseFlags {
    pub in_use: bool,
    pub is_wireless: bool,
    pub is_ics: bool,
}

/// `system/interfaces?in_use=true`: whether a running job uses it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InUseInterface {
    pub name: String,
    pub flags: InUseFlags,
}

/// `system/preferences` (CDRouter's keys that mean something for a lab; others are kept as
/// given). Every key optional; an edit sets the keys it names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_hostname_in_title: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_timestamp_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor_keymap: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_login: Option<bool>,
}

impl Preferences {
    /// `other`'s keys set over these.
    pub fn merge(&mut self, other: Preferences) {
        if other.hostname.is_some() {
            self.hostname = other.hostname;
        }
        if other.show_hostname_in_title.is_some() {
            self.show_hostname_in_title = other.show_hostname_in_title;
        }
        if other.log_timestamp_format.is_some() {
            self.log_timestamp_format = other.log_timestamp_format;
        }
        if other.editor_keymap.is_some() {
            self.editor_keymap = other.editor_keymap;
        }
        if other.automatic_login.is_some() {
            self.automatic_login = other.automatic_login;
        }
    }

    /// Sizes: each text at most 200 bytes.
    pub fn check(&self) -> Result<(), String> {
        for (k, v) in [
            ("hostname", &self.hostname),
            ("log_timestamp_format", &self.log_timestamp_format),
            ("editor_keymap", &self.editor_keymap),
        ] {
            if v.as_ref().is_some_and(|v| v.len() > 200) {
                return Err(format!("{k} is longer than 200 bytes"));
            }
        }
        Ok(())
    }
}
