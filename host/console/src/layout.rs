//! The page shell every console page shares: the document head (stylesheet, viewport,
//! optional self-refresh), the navigation with the current section marked, the operator's
//! role and sign-out, the message left by the last action, and the small building blocks
//! of forms (the CSRF field and one-button action forms, drawn only for operators who may
//! write).

use maud::{DOCTYPE, Markup, html};

use crate::operator::{CSRF_FIELD, Operator};

/// The sections in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Configs,
    Conflicts,
    Plugins,
    History,
    DeadLetters,
}

const SECTIONS: [(Section, &str, &str); 6] = [
    (Section::Dashboard, "/", "Dashboard"),
    (Section::Configs, "/configs", "Configs"),
    (Section::Conflicts, "/conflicts", "Conflicts"),
    (Section::Plugins, "/plugins", "Plugins"),
    (Section::History, "/history", "History"),
    (Section::DeadLetters, "/dead-letters", "Dead letters"),
];

fn head(title: &str, refresh_secs: Option<u32>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(secs) = refresh_secs { meta http-equiv="refresh" content=(secs); }
            title { (title) " · Elder Sync" }
            link rel="stylesheet" href="/console.css";
        }
    }
}

/// A page outside the signed-in area (sign-in, errors): no navigation.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body {
                header.top { span.brand { "Elder Sync" } }
                main id="main" { h1 { (title) } (body) }
            }
        }
    }
}

/// A signed-in page: navigation, the last action's message, then `body`.
pub fn page(op: &Operator, section: Section, title: &str, body: Markup) -> Markup {
    page_refreshing(op, section, title, None, body)
}

/// Like [`page`], reloading itself every `refresh_secs` seconds when given.
pub fn page_refreshing(
    op: &Operator,
    section: Section,
    title: &str,
    refresh_secs: Option<u32>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, refresh_secs))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Elder Sync" }
                    nav aria-label="Sections" {
                        ul {
                            @for (s, href, label) in SECTIONS {
                                li {
                                    @if s == section {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    form.signout method="post" action="/sign-out" {
                        span.role { (op.role.as_str()) }
                        (csrf(op))
                        button type="submit" { "Sign out" }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    @if let Some(n) = &op.notice {
                        @if n.ok {
                            div.notice.ok role="status" { (n.text) }
                        } @else {
                            div.notice.error role="alert" { (n.text) }
                        }
                    }
                    @if !op.can_write() {
                        p.readonly { "Signed in with a read-only token: you can look at everything and change nothing." }
                    }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(op: &Operator) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(op.csrf); }
}

/// A one-button form posting to `action` (drawn only for operators who may write).
pub fn action(op: &Operator, action: &str, label: &str, class: &str) -> Markup {
    html! {
        @if op.can_write() {
            form.inline method="post" action=(action) {
                (csrf(op))
                button type="submit" class=(class) { (label) }
            }
        }
    }
}

/// A table's header row of column headings.
pub fn head_row(columns: &[&str]) -> Markup {
    html! { thead { tr { @for c in columns { th scope="col" { (c) } } } } }
}

/// `yes`/`no`.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`, or a dash.
pub fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "—".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}
