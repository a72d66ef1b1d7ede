//! The modules list (with search and pages) and a module's page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use gomod::ModulePath;
use maud::{Markup, PreEscaped, html};

use super::pages::layout;
use super::{Page, Who, error_page, escape, here, html, refusal_page, to_sign_in};
use crate::http::AppState;
use crate::service::{ModulePage, ModuleView, Refusal};

/// Modules on one page of the list.
const PER_PAGE: usize = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<String>,
}

pub(super) async fn modules(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Page {
    let who = Who::reader(&state, peer, &headers, &uri).await?;
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1);
    match state
        .service
        .modules(&who.caller, &query.q, page, PER_PAGE)
        .await
    {
        Ok(found) => Ok(html(StatusCode::OK, list_page(&who, &query.q, &found))),
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

fn list_page(who: &Who, q: &str, found: &ModulePage) -> Markup {
    let link = |page: usize| {
        let q: String = escape(q);
        format!("/-/?q={q}&page={page}")
    };
    let body = html! {
        h1 { "Modules" }
        form #search method="get" action="/-/" {
            input type="search" name="q" value=(q) placeholder="path prefix or part of a path" aria-label="Search modules";
            button type="submit" { "Search" }
        }
        p #count { (found.total) " modules" }
        ul #modules {
            @for module in &found.modules {
                li { a .module href=(module_href(module)) { (module) } }
            }
        }
        @if found.pages > 1 {
            div .pager {
                @if found.page > 1 {
                    a #prev href=(link(found.page - 1)) { "← Previous" }
                }
                span .muted { "page " (found.page) " of " (found.pages) }
                @if found.page < found.pages {
                    a #next href=(link(found.page + 1)) { "Next →" }
                }
            }
        }
    };
    layout(who, "Modules", body)
}

/// `/-/mod/<escaped path>`.
pub(super) fn module_href(path: &str) -> String {
    match ModulePath::new(path) {
        Ok(module) => format!("/-/mod/{}", module.escaped()),
        Err(_) => format!("/-/mod/{path}"),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ModuleQuery {
    v: Option<String>,
}

pub(super) async fn module(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<String>,
    Query(query): Query<ModuleQuery>,
) -> Page {
    let who = Who::of(&state, peer, &headers).await?;
    let path = path.trim_end_matches('/');
    // The escaped form (`!azure`), as the list links; a path as typed works too.
    let Ok(module) = ModulePath::from_escaped(path).or_else(|_| ModulePath::new(path)) else {
        return Err(error_page(&who, StatusCode::NOT_FOUND, "no such module"));
    };
    let asked = query.v.as_deref().filter(|v| !v.is_empty());
    match state.service.module(&who.caller, &module, asked).await {
        Ok(view) => Ok(html(StatusCode::OK, module_page(&who, &view))),
        Err(Refusal::Unauthenticated(_)) => Err(to_sign_in(&here(&uri))),
        Err(refusal) => Err(refusal_page(&state, &who, refusal)),
    }
}

fn module_page(who: &Who, view: &ModuleView) -> Markup {
    let href = module_href(&view.path);
    let body = html! {
        h1 #module { (view.path) }
        @if let Some(message) = &view.deprecated {
            p #deprecated .notice { "Deprecated" @if !message.is_empty() { ": " (message) } }
        }
        p .muted { "Showing " strong #shown { (view.shown) } }
        h2 { "Versions" }
        table #versions {
            thead { tr { th { "Version" } th {} th { "Time" } th { "Source" } th { "Published by" } th { "h1:" } } }
            tbody {
                @for line in &view.versions {
                    @let row = &line.row;
                    @let shown = row.version == view.shown;
                    tr .version .shown[shown] {
                        td .v {
                            a href={(href) "?v=" (escape(row.version.as_str()))} { (row.version) }
                        }
                        td .marks {
                            @if let Some(rationale) = &line.retracted {
                                span .mark .retracted title=(rationale) { "retracted" }
                            }
                            @if let Some(reason) = &line.denied {
                                span .mark .denied title=(reason) { "denied" }
                            }
                            @if row.version == view.latest && view.deprecated.is_some() {
                                span .mark .deprecated title=(view.deprecated.as_deref().unwrap_or("")) { "deprecated" }
                            }
                        }
                        td .time { (row.time.as_deref().unwrap_or("")) }
                        td .source { (row.source) }
                        td .by title=(row.written.as_deref().unwrap_or("")) { (row.by) }
                        td .h1 { (row.h1.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        h2 { "go.mod" }
        pre #gomod { (view.go_mod) }
        @if let Some(zip) = &view.zip {
            @if let Some(readme) = &zip.readme {
                h2 { "README" }
                div #readme { (PreEscaped(render_markdown(readme))) }
            }
            h2 { "Packages" }
            ul #packages {
                @for package in &zip.packages {
                    li { code { (package) } }
                }
            }
        } @else {
            p .muted { "The zip of " (view.shown) " is not stored yet: its README and packages show once it is downloaded." }
        }
    };
    layout(who, &view.path, body)
}

/// Markdown to HTML, then sanitized: no raw HTML, script or style survives; links get
/// `rel="nofollow noopener noreferrer"`, and relative links (into a repository the page does
/// not have) are dropped.
pub(super) fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_relative(ammonia::UrlRelative::Deny)
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_sanitized() {
        let html = render_markdown(
            "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://example.com) <img src=x onerror=alert(1)>\n\n<style>body{}</style>",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("alert(1)</"),
            "{html}"
        );
        assert!(
            !html.contains("javascript:") && !html.contains("onerror"),
            "{html}"
        );
        assert!(!html.contains("<style"), "{html}");
        assert!(
            html.contains("rel=\"nofollow noopener noreferrer\""),
            "{html}"
        );
    }
}
