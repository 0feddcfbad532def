//! Comment rules that need no database: the body's limits and the `@e-mail` mentions in it.

use super::authz::{Op, allows};
use super::enums::Role;
use super::ids::UserId;
use crate::error::{AppError, AppResult};

/// Whether `role` may write comments at all (members up; viewers read).
pub fn may_comment(role: Role, me: UserId) -> bool {
    allows(role, me, Op::Comment)
}

/// Only the author edits a comment's text.
pub fn may_edit(me: UserId, author: UserId) -> bool {
    me == author
}

/// The author or an admin removes a comment.
pub fn may_delete(role: Role, me: UserId, author: UserId) -> bool {
    me == author || role == Role::Admin
}

/// The thread's author, responders and admins resolve a review thread (or reopen it).
pub fn may_resolve(role: Role, me: UserId, author: UserId) -> bool {
    me == author || matches!(role, Role::Admin | Role::Responder)
}

/// Longest comment body, in characters.
pub const MAX_BODY: usize = 20_000;

/// Longest quoted passage, in characters.
pub const MAX_QUOTE: usize = 2_000;

/// A body must hold something besides white space and stay within [`MAX_BODY`].
pub fn check_body(body: &str) -> AppResult<()> {
    if body.trim().is_empty() {
        return Err(AppError::invalid("body", "must not be empty"));
    }
    if body.contains('\0') {
        return Err(AppError::invalid(
            "body",
            "must not contain the NUL character",
        ));
    }
    if body.chars().count() > MAX_BODY {
        return Err(AppError::invalid(
            "body",
            format!("must be at most {MAX_BODY} characters"),
        ));
    }
    Ok(())
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// The e-mail right after an `@` at the start of `s`, if there is one: `local@domain.tld`,
/// sentence punctuation after it left off.
fn email_at(s: &str) -> Option<&str> {
    let local = s.find(|c: char| !local_char(c)).unwrap_or(s.len());
    if local == 0 || !s[local..].starts_with('@') {
        return None;
    }
    let rest = &s[local + 1..];
    let mut domain = rest.find(|c: char| !domain_char(c)).unwrap_or(rest.len());
    // "ping @ann@x.org." ends a sentence; the dot is not part of the address.
    while domain > 0 && matches!(rest.as_bytes()[domain - 1], b'.' | b'-') {
        domain -= 1;
    }
    let host = &rest[..domain];
    let tld = host.rsplit_once('.').map(|(_, t)| t)?;
    if host.starts_with('.') || host.contains("..") || tld.len() < 2 {
        return None;
    }
    if !tld.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(&s[..local + 1 + domain])
}

/// The byte ranges of `body` that markdown shows as code: code spans (of any number of
/// backticks) and fenced or indented code blocks, as the renderer reads them.
fn code_ranges(body: &str) -> Vec<std::ops::Range<usize>> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(body)
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::Code(_) | Event::Start(Tag::CodeBlock(_))))
        .map(|(_, r)| r)
        .collect()
}

/// The e-mails a body mentions (`@ann@example.org`), lower case, each once, in the order they
/// first appear. An `@` inside a word (`x@@y`) or in code (a code span or block) mentions no one.
pub fn mentions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !body.contains('@') {
        return out;
    }
    let code = code_ranges(body);
    let in_code = |i: usize| code.iter().any(|r| r.contains(&i));
    let mut prev: Option<char> = None;
    for (i, c) in body.char_indices() {
        if c == '@'
            && !in_code(i)
            && prev.is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '@' | '.' | '_' | '-')))
            && let Some(email) = email_at(&body[i + 1..])
        {
            let email = email.to_lowercase();
            if !out.contains(&email) {
                out.push(email);
            }
        }
        prev = Some(c);
    }
    out
}

/// The e-mail being typed at the end of `text` after an `@` (what the suggestions match), or
/// `None` when the text does not end in a mention in progress.
pub fn mention_prefix(text: &str) -> Option<&str> {
    let at = text.rfind('@')?;
    let before = text[..at].chars().next_back();
    let word = &text[at + 1..];
    if before.is_some_and(|p| !p.is_whitespace() && !matches!(p, '(' | '[' | '>')) {
        // The `@` of an address being typed after the mention's own `@`.
        let start = text[..at].rfind('@')?;
        let lead = text[..start].chars().next_back();
        let typed = &text[start + 1..];
        return (lead.is_none_or(char::is_whitespace)
            && typed
                .chars()
                .all(|c| local_char(c) || c == '@' || domain_char(c)))
        .then_some(typed);
    }
    word.chars()
        .all(|c| local_char(c) || domain_char(c))
        .then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_do_what_with_a_comment() {
        let (me, other) = (UserId(1), UserId(2));
        assert!(may_comment(Role::Member, me));
        assert!(!may_comment(Role::Viewer, me));
        assert!(may_edit(me, me) && !may_edit(me, other));
        assert!(may_delete(Role::Member, me, me));
        assert!(may_delete(Role::Admin, me, other));
        assert!(!may_delete(Role::Responder, me, other));
        assert!(may_resolve(Role::Responder, me, other));
        assert!(may_resolve(Role::Member, me, me));
        assert!(!may_resolve(Role::Member, me, other));
    }

    #[test]
    fn mentions_are_found_once_in_order_and_lower_case() {
        assert_eq!(
            mentions("@Ann@X.org please look, cc @bob@example.co.uk. Thanks @ann@x.org"),
            ["ann@x.org", "bob@example.co.uk"]
        );
        assert_eq!(
            mentions("(@c.d+ops@corp.example)"),
            ["c.d+ops@corp.example"]
        );
        assert_eq!(
            mentions("@ann@x.org,@bob@x.org"),
            ["ann@x.org", "bob@x.org"]
        );
        // A backtick that opens no code span is text, and so is what follows it.
        assert_eq!(
            mentions("a stray ` here, `code` then @ann@x.org"),
            ["ann@x.org"]
        );
    }

    #[test]
    fn what_is_not_a_mention() {
        for body in [
            "mail ann@x.org directly",
            "@ann",
            "@ann@x",
            "@ann@x.1",
            "user@@ann@x.org",
            "`@ann@x.org` in code",
            "``a ` @ann@x.org`` in a span of two",
            "```\n@ann@x.org\n```",
            "~~~sh\nping @ann@x.org\n~~~",
            "indented:\n\n    @ann@x.org\n",
            "@ann@.org",
            "@ann@x..org",
            "@@ann@x.org",
            "",
        ] {
            assert!(mentions(body).is_empty(), "{body}");
        }
    }

    #[test]
    fn bodies_must_hold_text_within_the_limit() {
        assert!(check_body("ok").is_ok());
        assert!(check_body(&"x".repeat(MAX_BODY)).is_ok());
        for bad in ["", "  \n", "a\0b"] {
            assert_eq!(check_body(bad).unwrap_err().fields()[0].field, "body");
        }
        assert!(check_body(&"x".repeat(MAX_BODY + 1)).is_err());
    }

    #[test]
    fn the_mention_being_typed() {
        assert_eq!(mention_prefix("hi @an"), Some("an"));
        assert_eq!(mention_prefix("@"), Some(""));
        assert_eq!(mention_prefix("hi @ann@x."), Some("ann@x."));
        assert_eq!(mention_prefix("hi @ann@x.org done"), None);
        assert_eq!(mention_prefix("mail ann@x"), None);
        assert_eq!(mention_prefix("no at sign"), None);
    }
}
