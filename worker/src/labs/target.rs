//! Which Durable Object a request is for: its lab's (the default lab's object is also the
//! directory of users and labs), and the trusted headers that tell the object which lab it
//! serves and, in a lab other than the default, who is calling.

use labrelay_api::labs::DEFAULT_LAB;
use worker::{Env, Headers, Result, Stub};

/// The lab a request is for (set by the entry on every request to an object).
pub const LAB_HEADER: &str = "x-labrelay-lab";
/// Who calls, as the entry checked it with the directory (JSON `Whois`).
pub const CALLER_HEADER: &str = "x-labrelay-caller";

/// The default lab's object name: the one every request went to before labs existed, so an
/// upgraded deployment keeps its data as the default lab.
const DEFAULT_OBJECT: &str = "labrelay";

#[derive(Clone)]
pub struct Target {
    pub env: Env,
    pub lab: String,
    /// `Whois` JSON, for a lab other than the default.
    pub caller: Option<String>,
}

impl Target {
    /// The default lab's object: the directory of users, tokens and labs.
    pub fn directory(env: &Env) -> Target {
        Target {
            env: env.clone(),
            lab: DEFAULT_LAB.to_string(),
            caller: None,
        }
    }

    pub fn lab(env: &Env, lab: &str, caller: Option<String>) -> Target {
        Target {
            env: env.clone(),
            lab: lab.to_string(),
            caller,
        }
    }

    pub fn is_directory(&self) -> bool {
        self.lab == DEFAULT_LAB
    }

    pub fn stub(&self) -> Result<Stub> {
        let name = if self.is_directory() {
            DEFAULT_OBJECT.to_string()
        } else {
            format!("lab:{}", self.lab)
        };
        self.env
            .durable_object("STORE")?
            .id_from_name(&name)?
            .get_stub()
    }

    /// Marks a request for the object: its lab, and the caller when there is one. Whatever a
    /// client sent under these names is replaced.
    pub fn mark(&self, headers: &Headers) -> Result<()> {
        headers.set(LAB_HEADER, &self.lab)?;
        match &self.caller {
            Some(c) => headers.set(CALLER_HEADER, c)?,
            None => headers.delete(CALLER_HEADER)?,
        }
        Ok(())
    }
}
