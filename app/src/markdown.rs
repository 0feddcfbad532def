//! The one markdown renderer: the server's pages, the exports and the editor's live preview in
//! the browser all call [`render`], so what an author previews is what readers get.
//!
//! Safety rules (the SPEC's): raw HTML in the source is shown as text, and links and images
//! whose destination is not `http`, `https` or `mailto` are dropped (their text stays). Every
//! other character goes through pulldown-cmark's HTML escaping, so no markup of the author's
//! reaches a reader's browser.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// Whether a link destination may be kept: an absolute `http`, `https` or `mailto` URL.
/// The destination has already had its entities decoded by the parser, so `jav&#x61;script:`
/// arrives here as `javascript:`; whitespace and control characters that browsers ignore
/// inside a scheme are removed before looking at it.
pub fn safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| cleaned.starts_with(p))
        && !url.trim_start().starts_with(|c: char| c.is_control())
}

/// Markdown → HTML that is safe to insert into a page.
pub fn render(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(
        &mut out,
        SafeEvents::new(Parser::new_ext(markdown, options())),
    );
    out
}

/// Filters parser events: HTML becomes text, unsafe links and images lose their tags.
struct SafeEvents<'a, I: Iterator<Item = Event<'a>>> {
    inner: I,
    /// For each open link or image: whether its tag was dropped (its end is dropped too).
    open: Vec<bool>,
}

impl<'a, I: Iterator<Item = Event<'a>>> SafeEvents<'a, I> {
    fn new(inner: I) -> Self {
        Self {
            inner,
            open: Vec::new(),
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for SafeEvents<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let ev = self.inner.next()?;
            return Some(match ev {
                Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
                // An HTML block is shown as a paragraph of text.
                Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
                Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
                Event::Start(
                    ref tag @ (Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. }),
                ) => {
                    // An image may not point at a mail address.
                    let keep = safe_url(dest_url)
                        && !(matches!(tag, Tag::Image { .. })
                            && dest_url.to_ascii_lowercase().starts_with("mailto:"));
                    self.open.push(!keep);
                    if !keep {
                        continue;
                    }
                    ev
                }
                Event::End(TagEnd::Link | TagEnd::Image) => {
                    if self.open.pop().unwrap_or(false) {
                        continue;
                    }
                    ev
                }
                other => other,
            });
        }
    }
}

/// Plain text for one line of a generated list (newlines folded, markdown kept).
pub fn one_line(s: &str) -> CowStr<'_> {
    if s.contains(['\n', '\r']) {
        CowStr::Boxed(
            s.split(['\n', '\r'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                .into_boxed_str(),
        )
    } else {
        CowStr::Borrowed(s)
    }
}

/// The words of a markdown text without its markup, whitespace folded to single spaces:
/// for a short excerpt (a notification), where rendered HTML would not fit.
pub fn plain_text(markdown: &str) -> String {
    let mut raw = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                raw.push_str(&t);
            }
            Event::TaskListMarker(done) => raw.push_str(if done { "[x] " } else { "[ ] " }),
            Event::SoftBreak | Event::HardBreak | Event::Rule => raw.push(' '),
            Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) => {}
            Event::End(_) => raw.push(' '),
            _ => {}
        }
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text so markdown shows it literally (titles, names inside generated markdown).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '<'
                | '>'
                | '('
                | ')'
                | '#'
                | '+'
                | '-'
                | '.'
                | '!'
                | '|'
                | '&'
                | '~'
        ) {
            out.push('\\');
        }
        if c == '\n' || c == '\r' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Hostile markdown for tests (here and in the browser and HTTP tests): script tags, event attributes, `javascript:` links in every spelling,
/// entity tricks, autolinks, images, reference links and HTML blocks.
#[doc(hidden)]
pub const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "text <script>alert(1)</script> inline",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](jav&#x61;script:alert(1))",
    "[click](jav&#97;script:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[x](\"onmouseover=alert(1))",
    "[x](http://a.example/\"onmouseover=\"alert(1))",
    "[x](http://a.example \"title\\\" onmouseover=alert(1) x=\\\"\")",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!-- <script>alert(1)</script> -->",
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=javascript:alert(1)><input type=submit>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "- [ ] <img src=x onerror=alert(1)>",
    "[^1]\n\n[^1]: <script>alert(1)</script>",
    "*<script>*alert(1)*</script>*",
    "<<script>script>alert(1)<</script>/script>",
    "\u{0}<script>alert(1)</script>",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_markup_and_folds_lines() {
        assert_eq!(
            plain_text(
                "Starting with the **staging** pipeline, see [the runbook](https://x.example/r)\n\n- `deploy` first\n- [ ] then *check*"
            ),
            "Starting with the staging pipeline, see the runbook deploy first [ ] then check"
        );
        assert_eq!(
            plain_text("# Title\nline one\nline two"),
            "Title line one line two"
        );
        assert_eq!(plain_text("<b>x</b>"), "<b>x</b>");
        assert_eq!(plain_text("   "), "");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<b>bold</b> and <script>alert(1)</script>");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let block = render("<div>\nblock\n</div>");
        assert!(block.contains("&lt;div&gt;"), "{block}");
    }

    #[test]
    fn unsafe_links_lose_the_link_and_keep_the_text() {
        let html = render("see [the runbook](javascript:alert(1)) now");
        assert_eq!(html.trim(), "<p>see the runbook now</p>");
        let img = render("![diagram](javascript:alert(1))");
        assert_eq!(img.trim(), "<p>diagram</p>");
        let mail = render("![me](mailto:a@b.example)");
        assert_eq!(mail.trim(), "<p>me</p>");
    }

    #[test]
    fn http_https_and_mailto_links_survive() {
        let html = render(
            "[a](http://a.example/x) [b](https://b.example/?q=1&r=2) [c](mailto:ops@c.example) <https://d.example>",
        );
        assert!(
            html.contains(r#"<a href="http://a.example/x">a</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://b.example/?q=1&amp;r=2">b</a>"#),
            "{html}"
        );
        assert!(html.contains(r#"<a href="mailto:ops@c.example">c</a>"#));
        assert!(html.contains(r#"<a href="https://d.example">"#));
        let img = render("![g](https://g.example/a.png)");
        assert!(
            img.contains(r#"<img src="https://g.example/a.png" alt="g""#),
            "{img}"
        );
    }

    #[test]
    fn relative_and_other_scheme_links_are_dropped() {
        for src in ["[x](/incidents)", "[x](#top)", "[x](ftp://f.example)"] {
            assert!(!render(src).contains("<a "), "{src}");
        }
    }

    #[test]
    fn ordinary_markdown_renders() {
        let html = render(
            "## Root cause\n\nA **bad** flag.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n~~old~~",
        );
        assert!(html.contains("<h2>Root cause</h2>"));
        assert!(html.contains("<strong>bad</strong>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("checkbox"));
        assert!(html.contains("<del>old</del>"));
    }

    #[test]
    fn safe_url_rules() {
        assert!(safe_url("https://x.example"));
        assert!(safe_url("HTTP://x.example"));
        assert!(safe_url("mailto:a@b.example"));
        for bad in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,x",
            "/relative",
            "",
            "\u{1}https://x.example",
        ] {
            assert!(!safe_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn escape_makes_markdown_literal() {
        let s = "*not bold* <b> [x](javascript:y) # h";
        let html = render(&escape(s));
        assert!(!html.contains("<em>") && !html.contains("<a ") && !html.contains("<h1"));
        assert!(html.contains("*not bold*"), "{html}");
    }
}
