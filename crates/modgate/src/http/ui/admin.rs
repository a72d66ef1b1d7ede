//! The admin pages: users, every personal token, the recent audit events, health and key
//! figures. Each asks the service, which refuses non-admins whatever this layer shows.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};
use time::format_description::well_known::Rfc3339;

use super::account::{CsrfForm, admin as admin_who, token_table};
use super::pages::{csrf_input, layout};
use super::{Page, Who, form_action, html, refusal_page};
use crate::http::AppState;
use crate::service::AuditEvent;

/// When this process started serving, for the uptime figure.
pub(super) static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Audit events shown.
const EVENTS_SHOWN: usize = 200;

pub(super) async fn index(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin").await?;
    let body = html! {
        h1 { "Admin" }
        ul #admin-links {
            li { a #admin-users href="/-/admin/users" { "Users" } }
            li { a #admin-tokens href="/-/admin/tokens" { "Tokens" } }
            li { a #admin-events href="/-/admin/events" { "Events" } }
            li { a #admin-health href="/-/admin/health" { "Health" } }
        }
    };
    Ok(html(StatusCode::OK, layout(&who, "Admin", body)))
}

pub(super) async fn users(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/users").await?;
    match state.service.users(&who.caller) {
        Ok(users) => Ok(html(StatusCode::OK, users_page(&who, &users))),
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

fn users_page(who: &Who, users: &[String]) -> Markup {
    let body = html! {
        h1 { "Users" }
        table #users {
            thead { tr { th { "Name" } th {} } }
            tbody {
                @for name in users {
                    tr .user {
                        td .name { (name) }
                        td {
                            form .remove-user .inline method="post" action={"/-/admin/users/" (url_segment(name)) "/remove"} {
                                (csrf_input(who))
                                button type="submit" { "Remove" }
                            }
                        }
                    }
                }
            }
        }
        @if users.is_empty() { p .muted { "No users (or no htpasswd file)." } }
        h2 { "New user" }
        form #new-user .stacked method="post" action="/-/admin/users" {
            label { "User name" br; input type="text" name="username" required autocomplete="off"; }
            label { "Password" br; input type="password" name="password" required autocomplete="new-password"; }
            (csrf_input(who))
            button type="submit" { "Add user" }
        }
    };
    layout(who, "Users", body)
}

/// A user name as one path segment.
fn url_segment(text: &str) -> String {
    super::escape(text).replace('/', "%2F")
}

#[derive(Default, serde::Deserialize)]
pub(super) struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn add_user(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/users").await?;
    let add = state
        .service
        .add_user(&who.caller, form.username.trim(), &form.password);
    form_action(&state, &who, &form.csrf, add, "/-/admin/users").await
}

pub(super) async fn remove_user(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/users").await?;
    let remove = state.service.remove_user(&who.caller, &name);
    form_action(&state, &who, &form.csrf, remove, "/-/admin/users").await
}

pub(super) async fn tokens(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/tokens").await?;
    match state.service.all_tokens(&who.caller).await {
        Ok(tokens) => {
            let body = html! {
                h1 { "Every personal token" }
                (token_table(&who, &tokens, "/-/admin/tokens", true))
            };
            Ok(html(StatusCode::OK, layout(&who, "Tokens", body)))
        }
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

pub(super) async fn revoke_token(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/tokens").await?;
    let revoke = state.service.revoke_token(&who.caller, &id);
    form_action(&state, &who, &form.csrf, revoke, "/-/admin/tokens").await
}

pub(super) async fn events(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/events").await?;
    match state.service.recent_events(&who.caller, EVENTS_SHOWN) {
        Ok(events) => Ok(html(StatusCode::OK, events_page(&who, &events))),
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

fn events_page(who: &Who, events: &[AuditEvent]) -> Markup {
    let body = html! {
        h1 { "Recent events" }
        p .muted { "The last events of this process, newest first." }
        table #events {
            thead { tr { th { "At" } th { "Who" } th { "From" } th { "Action" } th { "Target" } th { "Outcome" } } }
            tbody {
                @for event in events {
                    tr .event {
                        td .at { (event.at.format(&Rfc3339).unwrap_or_default()) }
                        td .who { (event.who) }
                        td .from { @if let Some(from) = event.from { (from) } }
                        td .action { (event.action) }
                        td .target { (event.target) }
                        td .outcome { (event.outcome) }
                    }
                }
            }
        }
        @if events.is_empty() { p .muted { "Nothing yet." } }
    };
    layout(who, "Events", body)
}

pub(super) async fn health(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = admin_who(&state, peer, &headers, "/-/admin/health").await?;
    let ready = match state.service.ready().await {
        Ok(()) => "ready".to_owned(),
        Err(failure) => {
            tracing::warn!(cause = %failure, "not ready");
            format!("store unreachable: {}", state.service.store_description())
        }
    };
    let modules = state
        .service
        .modules(&who.caller, "", 1, 1)
        .await
        .map_or_else(|_| "unknown".to_owned(), |page| page.total.to_string());
    let figures = Figures::of(&state.metrics.render());
    let rows = [
        ("Requests", figures.requests.to_string()),
        ("Versions served (zips)", figures.zips.to_string()),
        ("Go.mod files served", figures.mods.to_string()),
        ("Modules you may read", modules),
        ("Store", state.service.store_description().to_owned()),
        ("Uptime", uptime(STARTED.elapsed().as_secs())),
    ];
    let body = html! {
        h1 { "Health" }
        p { "Store: " strong #ready { (ready) } }
        table #metrics {
            tbody {
                @for (name, value) in &rows {
                    tr .metric { th { (name) } td { (value) } }
                }
            }
        }
        p .muted { "Every metric: " a href="/metrics" { "/metrics" } " (Prometheus)." }
    };
    Ok(html(StatusCode::OK, layout(&who, "Health", body)))
}

fn uptime(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    format!(
        "{days}d {:02}h {:02}m {:02}s",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Key figures summed from the Prometheus text.
#[derive(Debug, Default, PartialEq, Eq)]
struct Figures {
    requests: u64,
    zips: u64,
    mods: u64,
}

impl Figures {
    fn of(text: &str) -> Figures {
        let mut figures = Figures::default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("modgate_http_requests_total") else {
                continue;
            };
            let Some((labels, value)) = rest.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.trim().parse::<f64>() else {
                continue;
            };
            // Counters are whole numbers.
            let count = value as u64;
            figures.requests += count;
            if labels.contains("status=\"200\"") {
                if labels.contains("endpoint=\"zip\"") {
                    figures.zips += count;
                } else if labels.contains("endpoint=\"mod\"") {
                    figures.mods += count;
                }
            }
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_sum_the_request_counters() {
        let text = "# TYPE modgate_http_requests_total counter\n\
            modgate_http_requests_total{endpoint=\"zip\",status=\"200\"} 3\n\
            modgate_http_requests_total{endpoint=\"zip\",status=\"404\"} 1\n\
            modgate_http_requests_total{endpoint=\"mod\",status=\"200\"} 5\n\
            modgate_http_request_duration_seconds_count{endpoint=\"zip\"} 4\n";
        assert_eq!(
            Figures::of(text),
            Figures {
                requests: 9,
                zips: 3,
                mods: 5
            }
        );
        assert_eq!(uptime(90_061), "1d 01h 01m 01s");
    }
}
