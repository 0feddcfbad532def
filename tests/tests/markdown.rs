//! The shared renderer against hostile markdown, checked by parsing its output as a browser
//! would: no script element, no event attribute, no URL other than http, https or mailto.

#[test]
fn hostile_markdown_renders_inert() {
    for src in app::markdown::HOSTILE {
        tests::html::assert_inert(&app::markdown::render(src), src);
    }
    let all = app::markdown::HOSTILE.join("\n\n");
    tests::html::assert_inert(&app::markdown::render(&all), "the whole corpus");
}

#[test]
fn the_checker_catches_what_it_must() {
    for bad in [
        "<script>alert(1)</script>",
        "<p onclick=\"x()\">x</p>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<img src=\"data:image/svg+xml,x\">",
        "<p style=\"x\">x</p>",
        "<iframe></iframe>",
    ] {
        let caught = std::panic::catch_unwind(|| tests::html::assert_inert(bad, bad)).is_err();
        assert!(caught, "the checker let {bad} through");
    }
}
