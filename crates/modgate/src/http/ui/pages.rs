//! The frame every page shares (head, navigation, who is signed in) and the small pages:
//! errors and the sign-in form. HTML is built with `maud`, which escapes every value.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use super::Who;
use super::assets::{CSS_URL, JS_URL};

/// A whole page: `title`, the navigation for `who`, and `body`.
pub(super) fn layout(who: &Who, title: &str, body: Markup) -> Markup {
    frame(title, nav(Some(who)), body)
}

fn frame(title: &str, nav: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · modgate" }
                link rel="stylesheet" href=(CSS_URL.as_str());
                script src=(JS_URL.as_str()) defer {}
            }
            body {
                header { (nav) }
                main { (body) }
            }
        }
    }
}

fn nav(who: Option<&Who>) -> Markup {
    html! {
        nav #nav {
            span .brand { "modgate" }
            a href="/-/" { "Modules" }
            a href="/-/connect" { "Connect" }
            @if let Some(who) = who {
                @if who.name.is_some() {
                    a href="/-/tokens" { "Tokens" }
                }
                @if who.admin {
                    a href="/-/admin" { "Admin" }
                }
                span .who {
                    @match &who.name {
                        Some(name) => {
                            span #whoami { (name) }
                            @if who.session.is_some() {
                                form #sign-out .inline method="post" action="/-/logout" {
                                    input type="hidden" name="csrf" value=(who.csrf);
                                    button type="submit" { "Sign out" }
                                }
                            }
                        }
                        None => {
                            a #sign-in href="/-/login" { "Sign in" }
                        }
                    }
                }
            }
        }
    }
}

/// A page saying what went wrong, for a known caller.
pub(super) fn error(who: &Who, status: StatusCode, message: &str) -> Markup {
    layout(
        who,
        status.canonical_reason().unwrap_or("Error"),
        error_body(status, message),
    )
}

/// The same before anyone is known.
pub(super) fn bare_error(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    frame(title, nav(None), error_body(status, message))
}

fn error_body(status: StatusCode, message: &str) -> Markup {
    html! {
        h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
        p #error { (message) }
        p { a href="/-/" { "Back to the modules" } }
    }
}

/// The sign-in form; `failed` after a wrong name or password.
pub(super) fn login(who: &Who, next: &str, csrf: &str, failed: bool) -> Markup {
    let body = html! {
        h1 { "Sign in" }
        @if failed {
            p #error { "wrong user name or password" }
        }
        form #login .stacked method="post" action="/-/login" {
            label { "User name" br; input type="text" name="username" autocomplete="username" required autofocus; }
            label { "Password" br; input type="password" name="password" autocomplete="current-password" required; }
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            button #login-submit type="submit" { "Sign in" }
        }
        p .muted { "The same user name and password as for the go command (.netrc)." }
    };
    layout(who, "Sign in", body)
}

/// A `<form>`'s hidden CSRF input.
pub(super) fn csrf_input(who: &Who) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}
