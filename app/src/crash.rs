//! Never a dead page. A panic is written to the console with its stack
//! (`console_error_panic_hook`), and the page shows what went wrong and the ways back, drawn
//! with plain DOM calls: after a panic the app's own state cannot be trusted to render.
//! The links reload the page (`rel="external"`: the router leaves them to the browser).

use std::panic::PanicHookInfo;

pub fn install() {
    std::panic::set_hook(Box::new(on_panic));
}

fn on_panic(info: &PanicHookInfo) {
    console_error_panic_hook::hook(info);
    let payload = info.payload();
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unexpected error".to_string());
    let _ = show(&what);
}

fn show(what: &str) -> Option<()> {
    let doc = web_sys::window()?.document()?;
    if doc.get_element_by_id("crash").is_some() {
        return Some(()); // the first panic is the one to read
    }
    let el = |tag: &str, text: &str| {
        let e = doc.create_element(tag).ok()?;
        e.set_text_content(Some(text));
        Some(e)
    };
    let link = |text: &str, href: &str| {
        let a = el("a", text)?;
        a.set_attribute("href", href).ok()?;
        a.set_attribute("rel", "external").ok()?;
        Some(a)
    };
    let here = web_sys::window()?
        .location()
        .href()
        .unwrap_or_else(|_| "/".into());
    let box_ = doc.create_element("div").ok()?;
    box_.set_id("crash");
    box_.set_class_name("crash");
    box_.set_attribute("role", "alert").ok()?;
    let card = doc.create_element("div").ok()?;
    card.set_class_name("card");
    let why = el("p", "Labrelay hit a bug and stopped. What went wrong: ")?;
    let code = el("code", what)?;
    why.append_child(&code).ok()?;
    let ways = doc.create_element("p").ok()?;
    ways.set_class_name("actions");
    for a in [
        link("Reload this page", &here)?,
        link("Go to the jobs list", "/")?,
    ] {
        ways.append_child(&a).ok()?;
    }
    for child in [el("h1", "Something went wrong")?, why, ways] {
        card.append_child(&child).ok()?;
    }
    box_.append_child(&card).ok()?;
    doc.body()?.append_child(&box_).ok()?;
    Some(())
}
