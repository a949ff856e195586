//! The launch form's fields as signals (bound to inputs), read into a `LaunchForm`.

use crate::model::launch_form::LaunchForm;
use labrelay_api::interfaces::Testvar;
use labrelay_api::{Id, Timestamp};
use leptos::prelude::*;

/// One testvar row; the key keeps a row's inputs in place while others are added or removed.
pub type Row = (u32, Testvar);

#[derive(Clone, Copy)]
pub struct FormSignals {
    pub package_id: RwSignal<Id>,
    pub device_id: RwSignal<Id>,
    pub config_id: RwSignal<Id>,
    pub tags: RwSignal<String>,
    pub skip_tests: RwSignal<Vec<String>>,
    pub begin_at: RwSignal<String>,
    pub end_at: RwSignal<String>,
    pub extra_cli_args: RwSignal<String>,
    pub testvars: RwSignal<Vec<Row>>,
    pub next_row: RwSignal<u32>,
    pub at_time: RwSignal<bool>,
    pub run_at: RwSignal<String>,
    pub priority: RwSignal<String>,
}

impl FormSignals {
    pub fn new() -> FormSignals {
        FormSignals {
            package_id: RwSignal::new(Id::NONE),
            device_id: RwSignal::new(Id::NONE),
            config_id: RwSignal::new(Id::NONE),
            tags: RwSignal::new(String::new()),
            skip_tests: RwSignal::new(Vec::new()),
            begin_at: RwSignal::new(String::new()),
            end_at: RwSignal::new(String::new()),
            extra_cli_args: RwSignal::new(String::new()),
            testvars: RwSignal::new(Vec::new()),
            next_row: RwSignal::new(0),
            at_time: RwSignal::new(false),
            run_at: RwSignal::new(String::new()),
            priority: RwSignal::new(String::new()),
        }
    }

    /// Subscribes the caller to every field.
    pub fn track(&self) {
        self.package_id.track();
        self.device_id.track();
        self.config_id.track();
        self.tags.track();
        self.skip_tests.track();
        self.begin_at.track();
        self.end_at.track();
        self.extra_cli_args.track();
        self.testvars.track();
    }

    pub fn add_row(&self, tv: Testvar) {
        let key = self.next_row.get_untracked();
        self.next_row.set(key + 1);
        self.testvars.update(|rows| rows.push((key, tv)));
    }

    pub fn fill(&self, f: &LaunchForm) {
        self.package_id.set(f.package_id);
        self.device_id.set(f.device_id);
        self.config_id.set(f.config_id);
        self.tags.set(f.tags.clone());
        self.skip_tests.set(f.skip_tests.clone());
        self.begin_at.set(f.begin_at.clone());
        self.end_at.set(f.end_at.clone());
        self.extra_cli_args.set(f.extra_cli_args.clone());
        self.testvars.set(Vec::new());
        for tv in &f.testvars {
            self.add_row(tv.clone());
        }
        self.at_time.set(false);
        self.run_at.set(String::new());
        self.priority.set(f.priority.clone());
    }

    /// The form, and the run time converted by the browser (its time zone, daylight saving
    /// included); `None` = now.
    pub fn read(&self) -> Result<(LaunchForm, Option<Timestamp>), String> {
        let at_time = self.at_time.get_untracked();
        let f = LaunchForm {
            package_id: self.package_id.get_untracked(),
            device_id: self.device_id.get_untracked(),
            config_id: self.config_id.get_untracked(),
            tags: self.tags.get_untracked(),
            skip_tests: self.skip_tests.get_untracked(),
            begin_at: self.begin_at.get_untracked(),
            end_at: self.end_at.get_untracked(),
            extra_cli_args: self.extra_cli_args.get_untracked(),
            testvars: self
                .testvars
                .get_untracked()
                .into_iter()
                .map(|(_, tv)| tv)
                .collect(),
            priority: self.priority.get_untracked(),
            run_at: if at_time {
                self.run_at.get_untracked()
            } else {
                String::new()
            },
        };
        let run_at = if f.run_at.trim().is_empty() {
            if at_time {
                return Err("Run at: pick a date and a time, or run now.".into());
            }
            None
        } else {
            if !f.run_at_is_valid() {
                return Err("Run at: pick a date and a time, or run now.".into());
            }
            // A date-time without an offset is local time in JavaScript.
            let ms =
                js_sys::Date::new(&wasm_bindgen::JsValue::from_str(f.run_at.trim())).get_time();
            if ms.is_nan() {
                return Err("Run at: that is not a date and time.".into());
            }
            Some(Timestamp::from_millis(ms))
        };
        Ok((f, run_at))
    }
}
