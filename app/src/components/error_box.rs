//! How an error reaches the person at the screen: what went wrong and, for a form, which field.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let fields = error.fields().to_vec();
    view! {
        <div class="error-box" role="alert">
            <strong>{error.to_string()}</strong>
            {(fields.len() > 1).then(|| view! {
                <ul>{fields.into_iter().map(|f| view! { <li><code>{f.field}</code>": "{f.message}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}
