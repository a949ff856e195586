//! The interfaces a job or config uses: role, device, wireless, ICS.

use labrelay_api::interfaces::Interface;
use leptos::prelude::*;

#[component]
pub fn InterfaceTable(interfaces: Vec<Interface>) -> impl IntoView {
    if interfaces.is_empty() {
        return view! { <p class="muted">"No interfaces."</p> }.into_any();
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    view! {
        <table class="compact interfaces">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Interface"</th><th scope="col">"Wireless"</th><th scope="col">"ICS"</th></tr>
            </thead>
            <tbody>
                {interfaces.into_iter().map(|i| view! {
                    <tr><td>{i.name}</td><td class="mono">{i.value}</td><td>{yes(i.is_wireless)}</td><td>{yes(i.is_ics)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
