//! Labs: one CDRouter site each, with its own jobs, packages, configs, devices and agents (one
//! Durable Object per lab). Users and their tokens are global; a user sees the labs it is a
//! member of (an admin sees all). The bare `/api/v1/...` is the default lab.

use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// The lab the bare `/api/v1/...` serves (and that existed before labs did).
pub const DEFAULT_LAB: &str = "default";
/// Longest lab name.
pub const MAX_LAB_NAME: usize = 40;
/// Most labs one deployment holds.
pub const MAX_LABS: usize = 500;

/// A lab name: 1–40 of `a-z`, `0-9` and `-`, not starting with `-` (it is a path segment and
/// part of Durable Object and R2 names).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LAB_NAME
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lab {
    pub name: String,
    pub description: String,
    /// Users who may see and use it (admins always may).
    pub members: Vec<Id>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LabInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The whole member list (replaces it).
    pub members: Option<Vec<Id>>,
}

/// Who a user token belongs to, as the directory tells the entry worker (cached there for
/// [`WHOIS_TTL_SECS`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Whois {
    pub user_id: Id,
    pub admin: bool,
    pub readonly: bool,
    /// The labs it may use besides the default (open to every user): those it is a member
    /// of; every lab, for an admin. Each with its incarnation: a membership of a lab deleted
    /// since is no way into another lab of the same name.
    pub labs: Vec<LabRef>,
}

impl Whois {
    pub fn may_use(&self, lab: &LabRef) -> bool {
        lab.is_default() || self.labs.contains(lab)
    }
}

/// How long the entry worker trusts a token's [`Whois`]: a revoked token or a changed
/// membership takes effect in other labs within this many seconds (in the default lab, at
/// once).
pub const WHOIS_TTL_SECS: u64 = 30;

/// What waits in a lab's object now (`GET /api/v1/system/status`, admins): the held
/// requests, and how many claims changes have woken since the object started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitStatus {
    /// The version browsers follow (`/changes`).
    pub version: u64,
    pub held_claims: u64,
    pub stop_polls: u64,
    /// Browsers' `/changes` and `?updates=` long-polls.
    pub watchers: u64,
    pub claim_wakeups: u64,
}

/// How long a deleted lab's records and result files are kept for an admin to restore it
/// (`POST /api/v1/labs/{name}/restore`) before they are removed for good.
pub const DELETED_LAB_KEEP_DAYS: i64 = 30;

/// One lab's object: its name and which lab of that name it is. A lab deleted and created
/// again under the same name is another incarnation, with an object (records, agents,
/// tokens) and result files of its own: nothing of the deleted one carries over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabRef {
    pub name: String,
    /// 0 for the default lab and for labs created before incarnations existed (their object
    /// and files keep the names they had); else the lab's creation time in microseconds.
    pub incarnation: i64,
}

impl LabRef {
    pub fn default_lab() -> LabRef {
        LabRef {
            name: DEFAULT_LAB.to_string(),
            incarnation: 0,
        }
    }

    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_LAB
    }

    /// The Durable Object's name (`labrelay` for the default lab: the name every request
    /// went to before labs existed).
    pub fn object_name(&self) -> String {
        match (self.is_default(), self.incarnation) {
            (true, _) => "labrelay".to_string(),
            (false, 0) => format!("lab:{}", self.name),
            (false, n) => format!("lab:{}@{n}", self.name),
        }
    }

    /// Where the lab's result files are in R2 (`""` for the default lab, as before labs).
    pub fn r2_prefix(&self) -> String {
        match (self.is_default(), self.incarnation) {
            (true, _) => String::new(),
            (false, 0) => format!("labs/{}/", self.name),
            (false, n) => format!("labs/{}@{n}/", self.name),
        }
    }
}

/// A deleted lab, kept for [`DELETED_LAB_KEEP_DAYS`] (`GET /api/v1/labs/?deleted=true`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletedLab {
    pub name: String,
    pub incarnation: i64,
    pub description: String,
    pub members: Vec<Id>,
    pub created: Timestamp,
    pub deleted: Timestamp,
    /// When its records and files are removed for good (a restore before then brings it back).
    pub purge_after: Timestamp,
}

/// `POST /api/v1/labs/{name}/restore`: which deleted lab of that name (the newest by default).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RestoreInput {
    pub incarnation: Option<i64>,
}

/// An agent token of a lab other than the default starts with `<lab>.`: the entry routes
/// its calls to that lab's object.
pub fn agent_token_lab(token: &str) -> Option<&str> {
    let (lab, rest) = token.split_once('.')?;
    (valid_name(lab) && !rest.is_empty()).then_some(lab)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["default", "lab-2", "berlin", "a", &"x".repeat(40)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-x", "Lab", "a/b", "a.b", "a b", &"x".repeat(41), "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(agent_token_lab("berlin.0123abcd"), Some("berlin"));
        assert_eq!(agent_token_lab("0123abcd"), None);
        assert_eq!(agent_token_lab("Ber.x"), None);
        assert_eq!(agent_token_lab("berlin."), None);
    }

    #[test]
    fn a_lab_created_again_has_an_object_and_files_of_its_own() {
        let old = LabRef {
            name: "x".into(),
            incarnation: 0,
        };
        let new = LabRef {
            name: "x".into(),
            incarnation: 1_796_000_000_000_000,
        };
        assert_eq!(old.object_name(), "lab:x");
        assert_eq!(new.object_name(), "lab:x@1796000000000000");
        assert_eq!(old.r2_prefix(), "labs/x/");
        assert_eq!(new.r2_prefix(), "labs/x@1796000000000000/");
        assert!(!new.r2_prefix().starts_with(&old.r2_prefix()));
        assert_eq!(LabRef::default_lab().object_name(), "labrelay");
        assert_eq!(LabRef::default_lab().r2_prefix(), "");
    }
}
