//! The web UI: server-rendered pages under `/-/` (no module path can start with `-`: its first
//! element needs a dot), with the protocol's users and rights. Thin like the rest of `http`:
//! every page asks the service (`Service::modules`, `module`, the identity API) and renders
//! what comes back; nothing here decides who may see what.
//!
//! Who is asking: a signed session cookie (`modgate_session`, from the sign-in form), else the
//! `Authorization` header (Basic or Bearer, as for the protocol), else nobody. Every form
//! carries a CSRF token the service signs and checks. Every page has a strict
//! Content-Security-Policy: no inline script or style; the only script adds copy buttons.

mod account;
mod admin;
mod assets;
mod browse;
mod connect;
mod pages;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use maud::Markup;

use super::error::HttpError;
use super::{AppState, Endpoint};
use crate::service::{Caller, CsrfBinding, Refusal};

/// The session cookie's name.
const SESSION_COOKIE: &str = "modgate_session";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the UI needs to know of the listener, set by `serve`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UiSettings {
    /// The listener speaks TLS: cookies are `Secure`, URLs `https`.
    pub tls: bool,
    /// The certificate does not chain to a CA the system trusts: the connect page says how to
    /// trust it.
    pub private_ca: bool,
}

pub(super) fn router() -> Router<Arc<AppState>> {
    LazyLock::force(&admin::STARTED);
    Router::new()
        .route("/", any(root))
        .route("/-", get(|| async { see_other("/-/") }))
        .route("/-/", get(browse::modules))
        .route("/-/mod/{*path}", get(browse::module))
        .route("/-/connect", get(connect::page))
        .route("/-/login", get(account::login_form).post(account::login))
        .route("/-/logout", post(account::logout))
        .route("/-/tokens", get(account::tokens).post(account::new_token))
        .route("/-/tokens/{id}/revoke", post(account::revoke_token))
        .route("/-/admin", get(admin::index))
        .route("/-/admin/users", get(admin::users).post(admin::add_user))
        .route("/-/admin/users/{name}/remove", post(admin::remove_user))
        .route("/-/admin/tokens", get(admin::tokens))
        .route("/-/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/-/admin/events", get(admin::events))
        .route("/-/admin/health", get(admin::health))
        .route("/-/static/{file}", get(assets::serve))
        .route("/-/{*rest}", any(not_found))
}

/// `/`: browsers go to the UI; anything else (the go command never sends `Accept: text/html`)
/// is a GOPROXY request, answered as before.
async fn root(
    state: State<Arc<AppState>>,
    peer: ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        let mut response = see_other("/-/");
        response.extensions_mut().insert(Endpoint("ui"));
        return response;
    }
    super::goproxy::handle(state, peer, request).await
}

async fn not_found(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Page {
    let who = Who::of(&state, peer, &headers).await?;
    Ok(error_page(&who, StatusCode::NOT_FOUND, "no such page"))
}

/// A page handler's answer. `Err` is the page that ends the request early (a sign-in
/// redirect, an error page), so that the guards compose with `?`; both are sent as they are.
type Page = Result<Response, Response>;

/// Who is asking, and what the page shows of them.
pub(super) struct Who {
    pub caller: Caller,
    /// The session's id, when signed in by the cookie.
    pub session: Option<String>,
    /// `None` when anonymous.
    pub name: Option<String>,
    pub admin: bool,
    /// The CSRF token for this page's forms.
    pub csrf: String,
}

impl Who {
    /// The caller: by session cookie, by `Authorization`, or anonymous. `Err` is the page
    /// that ends the request (wrong credentials, an address not allowed).
    pub async fn of(
        state: &AppState,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Who, Response> {
        let service = &state.service;
        let forwarded_for = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let mut session = None;
        if let Some(cookie) = cookie(headers, SESSION_COOKIE) {
            session = service
                .session(peer.ip(), forwarded_for, cookie)
                .await
                .map_err(|r| bare_error(state, r))?;
        }
        let (caller, id) = match session {
            Some(session) => (session.caller, Some(session.id)),
            None => (
                super::caller(state, peer, headers)
                    .await
                    .map_err(|r| bare_error(state, r))?,
                None,
            ),
        };
        super::access::record_user(caller.name());
        let binding = match &id {
            Some(id) => CsrfBinding::Session(id.clone()),
            None => caller.csrf_binding(),
        };
        let csrf = service
            .csrf_token(&binding)
            .await
            .map_err(|r| bare_error(state, r))?;
        Ok(Who {
            name: (!service.is_anonymous(&caller)).then(|| caller.name().to_owned()),
            admin: service.is_admin(&caller),
            caller,
            session: id,
            csrf,
        })
    }

    /// A caller who may read: anonymous ones who may read nothing are sent to sign in, and
    /// back to `uri` after.
    pub async fn reader(
        state: &AppState,
        peer: SocketAddr,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Who, Response> {
        let who = Who::of(state, peer, headers).await?;
        if who.name.is_none() && !state.service.may_read_some(&who.caller) {
            return Err(to_sign_in(&here(uri)));
        }
        Ok(who)
    }

    /// What this caller's forms are bound to.
    pub fn binding(&self) -> CsrfBinding {
        match &self.session {
            Some(id) => CsrfBinding::Session(id.clone()),
            None => self.caller.csrf_binding(),
        }
    }

    /// Checks a form's CSRF token: `Err` is the 403 page.
    pub async fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), Response> {
        match state.service.check_csrf(&self.binding(), token).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(error_page(
                self,
                StatusCode::FORBIDDEN,
                "form expired, reload the page",
            )),
            Err(refusal) => Err(refusal_page(state, self, refusal)),
        }
    }
}

/// A form's action: the CSRF check, then `action`, then back to `back`, or the refusal's
/// page. A future does nothing until awaited, so an expired form changes nothing.
pub(super) async fn form_action(
    state: &AppState,
    who: &Who,
    csrf: &str,
    action: impl Future<Output = Result<(), Refusal>>,
    back: &str,
) -> Page {
    who.check_csrf(state, csrf).await?;
    match action.await {
        Ok(()) => Ok(see_other(back)),
        Err(refusal) => Err(refusal_page(state, who, refusal)),
    }
}

/// The value of cookie `name`, if the request has it.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// An HTML answer with the headers every page has.
pub(super) fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(headers);
    response.extensions_mut().insert(Endpoint("ui"));
    response
}

/// The headers of every UI answer, redirects included.
fn secure_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// 303 See Other to a local path.
pub(super) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    secure_headers(headers);
    response.extensions_mut().insert(Endpoint("ui"));
    response
}

/// What a query value or path segment escapes: all but letters, digits and `-._~/!`.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!');

/// `text` escaped for a query value.
pub(super) fn escape(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).collect()
}

/// To the sign-in page, and back to `next` after.
pub(super) fn to_sign_in(next: &str) -> Response {
    see_other(&format!("/-/login?next={}", escape(next)))
}

/// A page saying what went wrong.
pub(super) fn error_page(who: &Who, status: StatusCode, message: &str) -> Response {
    html(status, pages::error(who, status, message))
}

/// The page for a refusal: its status from the protocol's table, its one-line reason.
pub(super) fn refusal_page(state: &AppState, who: &Who, refusal: Refusal) -> Response {
    let error = HttpError::from_refusal(refusal, &state.realm, StatusCode::NOT_FOUND);
    error_page(who, error.status(), error.reason())
}

/// A refusal before anyone is known (wrong credentials): a page without the navigation's
/// name, and the Basic challenge for a 401.
fn bare_error(state: &AppState, refusal: Refusal) -> Response {
    let error = HttpError::from_refusal(refusal, &state.realm, StatusCode::NOT_FOUND);
    let mut response = html(
        error.status(),
        pages::bare_error(error.status(), error.reason()),
    );
    if error.status() == StatusCode::UNAUTHORIZED
        && let Ok(value) = HeaderValue::from_str(&format!(
            "Basic realm=\"{}\", charset=\"UTF-8\"",
            state.realm
        ))
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// How the client reached the server: `https` and the host (with its port), as the request
/// says, or as a trusted proxy that ended TLS says (`X-Forwarded-Proto`, `X-Forwarded-Host`).
pub(super) struct Reached<'a> {
    pub https: bool,
    pub authority: Option<&'a str>,
}

impl<'a> Reached<'a> {
    pub fn of(
        state: &AppState,
        peer: SocketAddr,
        headers: &'a HeaderMap,
        uri: &'a Uri,
    ) -> Reached<'a> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let proxied = state.service.is_trusted_proxy(peer.ip());
        let forwarded = |name| if proxied { header(name) } else { None };
        let https = state.ui.tls
            || forwarded("x-forwarded-proto")
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        let authority = forwarded("x-forwarded-host")
            .and_then(|hosts| hosts.split(',').next())
            .map(str::trim)
            .or_else(|| header("host"))
            .or_else(|| uri.authority().map(|a| a.as_str()));
        Reached { https, authority }
    }
}

/// The path and query of a request, for `next`.
pub(super) fn here(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}
