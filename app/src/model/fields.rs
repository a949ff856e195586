//! A resource editor's values as plain data: read from a record, and turned into the API's
//! create/edit body. One shape for packages, configs, devices and agents, so one editor
//! component serves them all; the conversions are pure and tested here.

use super::filters::split_list;
use labrelay_api::agents::AgentInput;
use labrelay_api::device_state::DeviceState;
use labrelay_api::resources::{Config, ConfigInput, Device, DeviceInput, Package, PackageInput};
use labrelay_api::schedules::ScheduleInput;
use labrelay_api::Id;

/// One field's value, typed by its control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Flag(bool),
    Pick(Id),
}

/// The editor's values by field key, in the editor's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(&'static str, Value)>);

impl Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A text field as typed ("" when absent).
    pub fn text(&self, key: &str) -> String {
        match self.get(key) {
            Some(Value::Text(s)) => s.clone(),
            _ => String::new(),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Value::Flag(true)))
    }

    pub fn pick(&self, key: &str) -> Id {
        match self.get(key) {
            Some(Value::Pick(id)) => *id,
            _ => Id::NONE,
        }
    }

    /// The name, trimmed.
    pub fn name(&self) -> String {
        self.text("name").trim().to_string()
    }

    /// A list typed with commas or spaces (tags, labels).
    pub fn list(&self, key: &str) -> Vec<String> {
        split_list(&self.text(key))
    }

    /// One item a line, blank lines dropped (a testlist).
    pub fn lines(&self, key: &str) -> Vec<String> {
        self.text(key)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Tags as typed in a form field.
pub fn tags_text(tags: &[String]) -> String {
    tags.join(", ")
}

pub fn package_fields(p: &Package) -> Fields {
    Fields(vec![
        ("name", text(&p.name)),
        ("description", text(&p.description)),
        (
            "testlist",
            text(p.testlist.clone().unwrap_or_default().join("\n")),
        ),
        ("config_id", Value::Pick(p.config_id)),
        ("device_id", Value::Pick(p.device_id)),
        ("agent_id", Value::Pick(p.agent_id)),
        ("priority", text(p.priority.to_string())),
        ("schedule_enabled", Value::Flag(p.schedule.enabled)),
        ("schedule_spec", text(&p.schedule.spec)),
        (
            "extra_cli_args",
            text(p.extra_cli_args.clone().unwrap_or_default()),
        ),
        ("tags", text(tags_text(&p.tags))),
        ("note", text(p.note.clone().unwrap_or_default())),
        ("locked", Value::Flag(p.locked)),
    ])
}

/// A package's create/edit body; a priority that is not 0-100 is refused here, in words.
pub fn package_input(f: &Fields) -> Result<PackageInput, String> {
    let spec = f.text("schedule_spec").trim().to_string();
    if !spec.is_empty() {
        // Checked here as the server checks it (same code), so the editor says why at once.
        labrelay_api::cron::Spec::parse(&spec).map_err(|e| format!("Schedule: {}", e.0))?;
    }
    let enabled = f.flag("schedule_enabled");
    if enabled && spec.is_empty() {
        return Err(
            "Schedule: give it a cron spec, such as 0 0 * * * (every midnight, UTC).".into(),
        );
    }
    Ok(PackageInput {
        priority: super::launch_form::parse_priority(&f.text("priority"))?,
        schedule: Some(ScheduleInput {
            enabled: Some(enabled),
            spec: Some(spec),
            options: None,
        }),
        name: Some(f.name()),
        description: Some(f.text("description")),
        testlist: Some(f.lines("testlist")),
        extra_cli_args: Some(f.text("extra_cli_args")),
        config_id: Some(f.pick("config_id")),
        device_id: Some(f.pick("device_id")),
        agent_id: Some(f.pick("agent_id")),
        tags: Some(f.list("tags")),
        note: Some(f.text("note")),
        locked: Some(f.flag("locked")),
    })
}

pub fn config_fields(c: &Config) -> Fields {
    Fields(vec![
        ("name", text(&c.name)),
        ("description", text(&c.description)),
        ("contents", text(c.contents.clone().unwrap_or_default())),
        ("tags", text(tags_text(&c.tags))),
        ("note", text(c.note.clone().unwrap_or_default())),
        ("locked", Value::Flag(c.locked)),
    ])
}

pub fn config_input(f: &Fields) -> ConfigInput {
    ConfigInput {
        name: Some(f.name()),
        description: Some(f.text("description")),
        contents: Some(f.text("contents")),
        tags: Some(f.list("tags")),
        note: Some(f.text("note")),
        locked: Some(f.flag("locked")),
    }
}

pub fn device_fields(d: &Device) -> Fields {
    Fields(vec![
        ("name", text(&d.name)),
        ("description", text(&d.description)),
        ("manufacturer", text(&d.manufacturer)),
        ("model_name", text(&d.model_name)),
        ("serial_number", text(&d.serial_number)),
        ("software_version", text(&d.software_version)),
        ("state", text(d.state.as_str())),
        ("state_note", text(&d.state_note)),
        ("health_package_id", Value::Pick(d.health_package_id)),
        ("health_every_hours", text(d.health_every_hours.to_string())),
        ("tags", text(tags_text(&d.tags))),
        ("note", text(&d.note)),
        ("locked", Value::Flag(d.locked)),
    ])
}

pub fn device_input(f: &Fields) -> DeviceInput {
    DeviceInput {
        name: Some(f.name()),
        description: Some(f.text("description")),
        tags: Some(f.list("tags")),
        note: Some(f.text("note")),
        locked: Some(f.flag("locked")),
        manufacturer: Some(f.text("manufacturer")),
        model_name: Some(f.text("model_name")),
        serial_number: Some(f.text("serial_number")),
        software_version: Some(f.text("software_version")),
        state: DeviceState::parse(&f.text("state")),
        state_note: Some(f.text("state_note")),
        health_package_id: Some(f.pick("health_package_id")),
        // Empty or not a number: 0, "only after maintenance or an error".
        health_every_hours: Some(f.text("health_every_hours").trim().parse().unwrap_or(0)),
    }
}

pub fn agent_input(f: &Fields) -> AgentInput {
    AgentInput {
        name: Some(f.name()),
        labels: Some(f.list("labels")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labrelay_api::Timestamp;

    fn package() -> Package {
        Package {
            id: Id(3),
            name: "nat".into(),
            description: "NAT tests".into(),
            testlist: Some(vec!["cdrouter_nat_1".into(), "cdrouter_nat_2".into()]),
            test_count: 2,
            extra_cli_args: Some("-testvar a=b".into()),
            config_id: Id(4),
            device_id: Id::NONE,
            agent_id: Id(9),
            priority: 70,
            schedule: Default::default(),
            schedule_next: None,
            tags: vec!["nightly".into(), "lab2".into()],
            note: None,
            locked: true,
            user_id: Id(1),
            created: Timestamp(0),
            updated: Timestamp(0),
            interfaces: None,
        }
    }

    #[test]
    fn a_package_round_trips_through_the_editor() {
        let f = package_fields(&package());
        assert_eq!(f.text("testlist"), "cdrouter_nat_1\ncdrouter_nat_2");
        assert_eq!(f.text("tags"), "nightly, lab2");
        let input = package_input(&f).expect("valid");
        assert_eq!(input.name.as_deref(), Some("nat"));
        assert_eq!(input.priority, Some(70));
        assert_eq!(
            input.testlist,
            Some(vec!["cdrouter_nat_1".into(), "cdrouter_nat_2".into()])
        );
        assert_eq!(input.config_id, Some(Id(4)));
        assert_eq!(input.device_id, Some(Id::NONE));
        assert_eq!(input.agent_id, Some(Id(9)));
        assert_eq!(input.tags, Some(vec!["nightly".into(), "lab2".into()]));
        assert_eq!(input.note.as_deref(), Some(""));
        assert_eq!(input.locked, Some(true));
    }

    #[test]
    fn typed_values_are_cleaned_up() {
        let f = Fields(vec![
            ("name", text("  router 7 ")),
            ("testlist", text("a\n\n  b  \n")),
            ("tags", text("x, y  x")),
        ]);
        let input = package_input(&f).expect("valid");
        assert_eq!(input.name.as_deref(), Some("router 7"));
        // No priority typed: the server keeps (or defaults) it.
        assert_eq!(input.priority, None);
        assert_eq!(input.testlist, Some(vec!["a".into(), "b".into()]));
        assert_eq!(input.tags, Some(vec!["x".into(), "y".into()]));
        // Absent fields read as empty, unset, none.
        assert_eq!(input.locked, Some(false));
        assert_eq!(input.config_id, Some(Id::NONE));
    }

    #[test]
    fn a_priority_past_100_or_not_a_number_is_refused_in_words() {
        for bad in ["101", "-1", "high"] {
            let f = Fields(vec![("name", text("p")), ("priority", text(bad))]);
            let err = package_input(&f).expect_err(bad);
            assert!(err.starts_with("Priority:"), "{err}");
        }
    }

    #[test]
    fn a_schedule_is_checked_as_the_server_checks_it() {
        let with = |enabled: bool, spec: &str| {
            package_input(&Fields(vec![
                ("name", text("p")),
                ("schedule_enabled", Value::Flag(enabled)),
                ("schedule_spec", text(spec)),
            ]))
        };
        let ok = with(true, " 0 0 * * * ").expect("valid");
        let s = ok.schedule.expect("a schedule");
        assert_eq!(
            (s.enabled, s.spec.as_deref()),
            (Some(true), Some("0 0 * * *"))
        );
        assert!(with(true, "61 * * * *")
            .expect_err("bad")
            .contains("outside 0-59"));
        assert!(with(true, "").expect_err("empty").starts_with("Schedule:"));
        // Off, with no spec: fine.
        assert!(with(false, "").is_ok());
    }

    #[test]
    fn a_device_state_round_trips() {
        let f = Fields(vec![
            ("name", text("dut")),
            ("state", text("maintenance")),
            ("state_note", text("new firmware")),
        ]);
        let d = device_input(&f);
        assert_eq!(d.state, Some(DeviceState::Maintenance));
        assert_eq!(d.state_note.as_deref(), Some("new firmware"));
    }

    #[test]
    fn agents_take_a_name_and_labels() {
        let f = Fields(vec![("name", text("lab-1")), ("labels", text("wifi lab2"))]);
        let a = agent_input(&f);
        assert_eq!(a.name.as_deref(), Some("lab-1"));
        assert_eq!(a.labels, Some(vec!["wifi".into(), "lab2".into()]));
    }
}
