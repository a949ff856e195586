//! Which Durable Object a request is for: its lab's (the default lab's object is also the
//! directory of users and labs), and the trusted headers that tell the object which lab it
//! serves and, in a lab other than the default, who is calling.

use labrelay_api::labs::LabRef;
use worker::{Env, Headers, Result, Stub};

/// The lab a request is for (set by the entry on every request to an object).
pub const LAB_HEADER: &str = "x-labrelay-lab";
/// Which lab of that name (`LabRef::incarnation`), set with [`LAB_HEADER`].
pub const INCARNATION_HEADER: &str = "x-labrelay-incarnation";
/// Who calls, as the entry checked it with the directory (JSON `Whois`).
pub const CALLER_HEADER: &str = "x-labrelay-caller";

#[derive(Clone)]
pub struct Target {
    pub env: Env,
    pub lab: LabRef,
    /// `Whois` JSON, for a lab other than the default.
    pub caller: Option<String>,
}

impl Target {
    /// The default lab's object: the directory of users, tokens and labs.
    pub fn directory(env: &Env) -> Target {
        Target {
            env: env.clone(),
            lab: LabRef::default_lab(),
            caller: None,
        }
    }

    /// A lab's object, as the directory knows the lab (never a name it does not know: every
    /// object named is an object made).
    pub fn lab(env: &Env, lab: LabRef, caller: Option<String>) -> Target {
        Target {
            env: env.clone(),
            lab,
            caller,
        }
    }

    pub fn stub(&self) -> Result<Stub> {
        self.env
            .durable_object("STORE")?
            .id_from_name(&self.lab.object_name())?
            .get_stub()
    }

    /// Marks a request for the object: its lab, and the caller when there is one. Whatever a
    /// client sent under these names is replaced.
    pub fn mark(&self, headers: &Headers) -> Result<()> {
        headers.set(LAB_HEADER, &self.lab.name)?;
        headers.set(INCARNATION_HEADER, &self.lab.incarnation.to_string())?;
        match &self.caller {
            Some(c) => headers.set(CALLER_HEADER, c)?,
            None => headers.delete(CALLER_HEADER)?,
        }
        Ok(())
    }
}
