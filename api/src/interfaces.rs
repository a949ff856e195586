//! Which network interfaces a job uses, computed the way `cdrouter-cli -print-interfaces` does:
//! from the config text, then the job's `options.testvars`, then `-testvar name=value` in the
//! extra CLI args (package's, then job's), each overriding the one before.
//!
//! A config is lines of `testvar <name> <value>`, `#` comments and `testvar_group <group> {
//! ... }` blocks. Every testvar named `<role>Interface` is an interface: at the top level its
//! name is the role (`lan`, `wan`, `ics`, ...), inside a group it is the group's name.
//! `lanInterface` defaults to `eth1` and `wanInterface` to `eth2`; the value `none` removes one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    #[serde(default)]
    pub name: String,
    pub value: String,
    pub is_wireless: bool,
    pub is_ics: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestvarAction {
    #[default]
    SetTestvar,
    DeleteTestvar,
    CreateGroup,
    DeleteGroup,
}

/// One testvar override of a job (`options.testvars`). `group` empty (or `main`) is the top level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Testvar {
    #[serde(default, deserialize_with = "null_as_default")]
    pub group: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub action: TestvarAction,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InterfaceError {
    #[error("invalid extra_cli_args: {0}")]
    BadCliArgs(String),
    #[error("invalid extra_cli_args: -testvar needs name=value, got \"{0}\"")]
    BadTestvarArg(String),
}

/// The interface testvars (`<role>Interface`) of a config after overrides: (group, name) ->
/// value, in first-seen order. Only those decide interfaces, so only those are kept; an index
/// keeps every step constant time, so a config is read in one linear pass.
#[derive(Default)]
struct Testvars {
    /// (group, name, value); `None` once deleted.
    vars: Vec<Option<(String, String, String)>>,
    index: std::collections::HashMap<(String, String), usize>,
}

fn is_interface_var(name: &str) -> bool {
    name.len() > "Interface".len() && name.ends_with("Interface")
}

impl Testvars {
    fn set(&mut self, group: &str, name: &str, value: &str) {
        if !is_interface_var(name) {
            return;
        }
        let key = (group.to_string(), name.to_string());
        match self.index.get(&key) {
            Some(&i) if self.vars[i].is_some() => {
                if let Some(slot) = &mut self.vars[i] {
                    slot.2 = value.to_string();
                }
            }
            _ => {
                self.index.insert(key, self.vars.len());
                self.vars.push(Some((
                    group.to_string(),
                    name.to_string(),
                    value.to_string(),
                )));
            }
        }
    }

    fn delete(&mut self, group: &str, name: &str) {
        if let Some(i) = self.index.remove(&(group.to_string(), name.to_string())) {
            self.vars[i] = None;
        }
    }

    fn delete_group(&mut self, group: &str) {
        for slot in &mut self.vars {
            if slot.as_ref().is_some_and(|(g, _, _)| g == group) {
                *slot = None;
            }
        }
        self.index.retain(|(g, _), _| g != group);
    }

    fn get(&self, group: &str, name: &str) -> Option<&str> {
        let i = *self.index.get(&(group.to_string(), name.to_string()))?;
        self.vars[i].as_ref().map(|(_, _, v)| v.as_str())
    }

    fn live(&self) -> impl Iterator<Item = &(String, String, String)> {
        self.vars.iter().flatten()
    }
}

fn parse_config(text: &str) -> Testvars {
    let mut vars = Testvars::default();
    let mut group = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "}" {
            group.clear();
            continue;
        }
        let mut words = line.splitn(3, char::is_whitespace);
        match (words.next(), words.next(), words.next()) {
            (Some("testvar_group"), Some(name), _) => {
                group = name.trim_end_matches('{').to_string();
            }
            (Some("testvar"), Some(name), value) => {
                let value = value.unwrap_or("").trim();
                let value = value.trim_matches('"');
                vars.set(&group, name, value);
            }
            _ => {}
        }
    }
    vars
}

fn normalize_group(group: &str) -> &str {
    if group == "main" {
        ""
    } else {
        group
    }
}

/// `-testvar name=value` pairs in a CLI argument string, split as a shell would.
pub fn cli_testvars(args: &str) -> Result<Vec<(String, String)>, InterfaceError> {
    let words = shell_words::split(args).map_err(|e| InterfaceError::BadCliArgs(e.to_string()))?;
    let mut out = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "-testvar" || w == "--testvar" {
            let Some(pair) = it.next() else {
                return Err(InterfaceError::BadTestvarArg(String::new()));
            };
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| InterfaceError::BadTestvarArg(pair.clone()))?;
            out.push((name.to_string(), value.to_string()));
        }
    }
    Ok(out)
}

/// The interfaces a job uses. `cli_args` are the extra CLI argument strings in the order
/// cdrouter-cli sees them (the package's, then the job's).
pub fn compute(
    config: &str,
    testvars: &[Testvar],
    cli_args: &[&str],
) -> Result<Vec<Interface>, InterfaceError> {
    let mut vars = parse_config(config);
    for tv in testvars {
        let group = normalize_group(&tv.group);
        match tv.action {
            TestvarAction::SetTestvar => vars.set(group, &tv.name, &tv.value),
            TestvarAction::DeleteTestvar => vars.delete(group, &tv.name),
            TestvarAction::DeleteGroup => vars.delete_group(group),
            TestvarAction::CreateGroup => {}
        }
    }
    for args in cli_args {
        for (name, value) in cli_testvars(args)? {
            vars.set("", &name, &value);
        }
    }
    let mut defaults = Vec::new();
    for (role, default) in [("lanInterface", "eth1"), ("wanInterface", "eth2")] {
        if vars.get("", role).is_none() {
            defaults.push((String::new(), role.to_string(), default.to_string()));
        }
    }
    let mut out: Vec<Interface> = Vec::new();
    for (group, name, value) in defaults.iter().chain(vars.live()) {
        let Some(role) = name.strip_suffix("Interface") else {
            continue;
        };
        if role.is_empty() || value.is_empty() || value.eq_ignore_ascii_case("none") {
            continue;
        }
        out.push(Interface {
            name: if group.is_empty() {
                role.to_string()
            } else {
                group.clone()
            },
            value: value.clone(),
            is_wireless: value.starts_with("wlan") || value.starts_with("wifi"),
            is_ics: role == "ics",
        });
    }
    // lan and wan first, as cdrouter-cli lists them; the rest in config order.
    out.sort_by_key(|i| match i.name.as_str() {
        "lan" => 0,
        "wan" => 1,
        _ => 2,
    });
    Ok(out)
}

/// The distinct interface values, in order.
pub fn names(interfaces: &[Interface]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for i in interfaces {
        if !names.contains(&i.value) {
            names.push(i.value.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &[Interface]) -> Vec<(&str, &str, bool, bool)> {
        list.iter()
            .map(|i| (i.name.as_str(), i.value.as_str(), i.is_wireless, i.is_ics))
            .collect()
    }

    #[test]
    fn defaults_when_the_config_is_silent() {
        let got = compute("# nothing\n", &[], &[]).expect("valid test input");
        assert_eq!(
            values(&got),
            [("lan", "eth1", false, false), ("wan", "eth2", false, false)]
        );
    }

    #[test]
    fn config_groups_wireless_ics_and_none() {
        let cfg = "testvar lanInterface wlan0\n\
                   testvar wanInterface none\n\
                   testvar icsInterface eth5\n\
                   testvar wanMode DHCP\n\
                   testvar_group lan2 {\n  testvar lanInterface wifi1\n}\n";
        let got = compute(cfg, &[], &[]).expect("valid test input");
        assert_eq!(
            values(&got),
            [
                ("lan", "wlan0", true, false),
                ("ics", "eth5", false, true),
                ("lan2", "wifi1", true, false)
            ]
        );
        assert_eq!(names(&got), ["wlan0", "eth5", "wifi1"]);
    }

    #[test]
    fn testvars_then_cli_args_override_the_config() {
        let cfg = "testvar lanInterface eth3\ntestvar_group g1 {\ntestvar lanInterface eth7\n}\n";
        let tvs = vec![
            Testvar {
                name: "lanInterface".into(),
                value: "eth4".into(),
                ..Default::default()
            },
            Testvar {
                group: "g1".into(),
                action: TestvarAction::DeleteGroup,
                ..Default::default()
            },
        ];
        let got = compute(
            cfg,
            &tvs,
            &["-testvar wanInterface=eth9", "-testvar 'lanInterface=eth8'"],
        )
        .expect("valid test input");
        assert_eq!(
            values(&got),
            [("lan", "eth8", false, false), ("wan", "eth9", false, false)]
        );
    }

    #[test]
    fn delete_testvar_restores_the_default() {
        let tvs = vec![Testvar {
            group: "main".into(),
            name: "lanInterface".into(),
            action: TestvarAction::DeleteTestvar,
            ..Default::default()
        }];
        let got = compute("testvar lanInterface eth6\n", &tvs, &[]).expect("valid test input");
        assert_eq!(names(&got), ["eth1", "eth2"]);
    }

    #[test]
    fn bad_cli_args_are_errors() {
        assert!(compute("", &[], &["-testvar 'unclosed"]).is_err());
        assert_eq!(
            compute("", &[], &["-testvar novalue"]),
            Err(InterfaceError::BadTestvarArg("novalue".into()))
        );
        assert!(compute("", &[], &["-testvar"]).is_err());
    }

    #[test]
    fn testvar_json_accepts_nulls_and_actions() {
        let tv: Testvar = serde_json::from_str(
            r#"{"group":null,"name":"a","value":"b","action":"delete-group","line":3}"#,
        )
        .expect("valid test input");
        assert_eq!(tv.action, TestvarAction::DeleteGroup);
        assert_eq!(tv.group, "");
        assert!(serde_json::from_str::<Testvar>(r#"{"action":"explode"}"#).is_err());
    }
}
