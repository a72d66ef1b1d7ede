//! Signing in and out, and a user's personal tokens.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use maud::{Markup, html};
use time::format_description::well_known::Rfc3339;

use super::pages::{csrf_input, layout, login as login_page};
use super::{
    Page, Reached, SESSION_COOKIE, Who, error_page, form_action, html, refusal_page, see_other,
    to_sign_in,
};
use crate::http::AppState;
use crate::service::{CsrfBinding, Refusal, SESSION_LIFETIME, TokenRecord};

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Next {
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a page of the UI, never another site.
fn local_next(next: &str) -> &str {
    let local = next.starts_with("/-/") && !next.contains('\\') && !next.contains("//");
    if local { next } else { "/-/" }
}

pub(super) async fn login_form(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<Next>,
) -> Page {
    let who = Who::of(&state, peer, &headers).await?;
    Ok(login_answer(&state, &who, local_next(&query.next), StatusCode::OK).await)
}

/// The sign-in page; a 401 after a failed attempt.
async fn login_answer(state: &AppState, who: &Who, next: &str, status: StatusCode) -> Response {
    // The sign-in form is bound to nobody: whoever fills it is not known yet.
    match state.service.csrf_token(&CsrfBinding::Anonymous).await {
        Ok(csrf) => html(
            status,
            login_page(who, next, &csrf, status == StatusCode::UNAUTHORIZED),
        ),
        Err(refusal) => refusal_page(state, who, refusal),
    }
}

#[derive(Default, serde::Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<LoginForm>,
) -> Page {
    let who = Who::of(&state, peer, &headers).await?;
    match state
        .service
        .check_csrf(&CsrfBinding::Anonymous, &form.csrf)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return Err(error_page(
                &who,
                StatusCode::FORBIDDEN,
                "form expired, reload the page",
            ));
        }
        Err(refusal) => return Err(refusal_page(&state, &who, refusal)),
    }
    let next = local_next(&form.next);
    let signed_in = state
        .service
        .sign_in(who.caller.address(), form.username.trim(), &form.password)
        .await;
    let caller = match signed_in {
        Ok(caller) => caller,
        Err(Refusal::Unauthenticated(_)) => {
            return Err(login_answer(&state, &who, next, StatusCode::UNAUTHORIZED).await);
        }
        Err(refusal) => return Err(refusal_page(&state, &who, refusal)),
    };
    let cookie = match state.service.start_session(&caller).await {
        Ok(cookie) => cookie,
        Err(refusal) => return Err(refusal_page(&state, &who, refusal)),
    };
    let mut response = see_other(next);
    let https = Reached::of(&state, peer, &headers, &uri).https;
    set_cookie(&mut response, &cookie, SESSION_LIFETIME.as_secs(), https);
    Ok(response)
}

/// `Set-Cookie` for the session: HttpOnly, SameSite=Strict, Path=/, Secure over TLS.
fn set_cookie(response: &mut Response, value: &str, max_age: u64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

#[derive(Default, serde::Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub(super) async fn logout(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<CsrfForm>,
) -> Page {
    let who = Who::of(&state, peer, &headers).await?;
    who.check_csrf(&state, &form.csrf).await?;
    let mut response = see_other("/-/");
    let https = Reached::of(&state, peer, &headers, &uri).https;
    set_cookie(&mut response, "", 0, https);
    Ok(response)
}

/// A page for signed-in callers only: anonymous ones are sent to sign in.
async fn signed_in(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    back: &str,
) -> Result<Who, Response> {
    let who = Who::of(state, peer, headers).await?;
    if who.name.is_none() {
        return Err(to_sign_in(back));
    }
    Ok(who)
}

pub(super) async fn tokens(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = signed_in(&state, peer, &headers, "/-/tokens").await?;
    match state.service.tokens(&who.caller, None).await {
        Ok(tokens) => Ok(html(StatusCode::OK, tokens_page(&who, &tokens))),
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

/// A table of tokens, each with its revoke form posting to `revoke_base/<id>/revoke`;
/// `with_user` adds the owner's column (the admin's table).
pub(super) fn token_table(
    who: &Who,
    tokens: &[TokenRecord],
    revoke_base: &str,
    with_user: bool,
) -> Markup {
    html! {
        table #tokens {
            thead { tr {
                th { "Label" }
                @if with_user { th { "User" } }
                th { "Id" } th { "Created" } th { "Created by" } th {}
            } }
            tbody {
                @for token in tokens {
                    tr .token {
                        td .label { (token.label) }
                        @if with_user { td .user { (token.user) } }
                        td .id { code { (token.id) } }
                        td .created { (token.created.format(&Rfc3339).unwrap_or_default()) }
                        td .created-by { (token.created_by) }
                        td {
                            form .revoke .inline method="post" action={(revoke_base) "/" (token.id) "/revoke"} {
                                (csrf_input(who))
                                button type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
        @if tokens.is_empty() { p .muted { "No personal tokens." } }
    }
}

fn tokens_page(who: &Who, tokens: &[TokenRecord]) -> Markup {
    let body = html! {
        h1 { "Personal tokens" }
        p { "A token acts as you (your read and publish rights). Use it as the password in "
            code { ".netrc" } ", as a Bearer token, or through " code { "modgate login" } "." }
        (token_table(who, tokens, "/-/tokens", false))
        h2 { "New token" }
        form #new-token .stacked method="post" action="/-/tokens" {
            label { "Label" br; input type="text" name="label" required maxlength="100" placeholder="laptop, CI, …"; }
            (csrf_input(who))
            button type="submit" { "Create token" }
        }
    };
    layout(who, "Tokens", body)
}

#[derive(Default, serde::Deserialize)]
pub(super) struct NewTokenForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn new_token(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<NewTokenForm>,
) -> Page {
    let who = signed_in(&state, peer, &headers, "/-/tokens").await?;
    who.check_csrf(&state, &form.csrf).await?;
    match state
        .service
        .create_token(&who.caller, form.label.trim(), None)
        .await
    {
        Ok(new) => {
            let body = html! {
                h1 { "New token" }
                p { "Copy it now: it is shown this once and never again." }
                div .block {
                    div .block-head {
                        h2 { (new.record.label) }
                        button .copy type="button" data-copy="new-token-value" hidden { "Copy" }
                    }
                    code #new-token-value { (new.token) }
                }
                p { a href="/-/tokens" { "Back to your tokens" } }
            };
            Ok(html(StatusCode::CREATED, layout(&who, "New token", body)))
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
    let who = signed_in(&state, peer, &headers, "/-/tokens").await?;
    // The service decides whether this caller may revoke the token.
    let revoke = state.service.revoke_token(&who.caller, &id);
    form_action(&state, &who, &form.csrf, revoke, "/-/tokens").await
}

/// The admin pages' guard: signed in, and an admin (else a 403 page).
pub(super) async fn admin(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    back: &str,
) -> Result<Who, Response> {
    let who = signed_in(state, peer, headers, back).await?;
    if !who.admin {
        return Err(error_page(
            &who,
            StatusCode::FORBIDDEN,
            "administrators only",
        ));
    }
    Ok(who)
}
