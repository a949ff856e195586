//! Labrelay's browser app (Leptos, client-side). This first version is a landing page that
//! checks the API is reachable; the job views come with the app's own issue.

use leptos::prelude::*;

#[component]
fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"Labrelay"</h1>
            <p>"CDRouter job control at the edge. The API lives at "<code>"/api/v1/"</code>"."</p>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
