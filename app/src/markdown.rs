//! Markdown documents shipped with the site (the preset backgrounds' licences), rendered to HTML
//! on the server. Raw HTML in the source is shown as text, never passed through.

use pulldown_cmark::{Event, Options, Parser, html};

/// The licences of the editor's preset backgrounds, as shipped beside the files.
pub const BACKGROUND_LICENSES: &str = include_str!("../../public/backgrounds/LICENSES.md");

/// `markdown` as HTML: CommonMark with tables; raw HTML blocks and inline tags are escaped text.
pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_tables_and_links_render_and_raw_html_is_text() {
        let out = to_html(
            "# Title\n\n| a | b |\n|---|---|\n| `x` | [y](https://example.com/) |\n\n<script>alert(1)</script>\n",
        );
        assert!(out.contains("<h1>Title</h1>"), "{out}");
        assert!(
            out.contains("<table>") && out.contains("<code>x</code>"),
            "{out}"
        );
        assert!(
            out.contains(r#"<a href="https://example.com/">y</a>"#),
            "{out}"
        );
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn the_background_licences_render_without_markdown_left() {
        let out = to_html(BACKGROUND_LICENSES);
        assert!(out.contains("<h1>"), "{out}");
        assert!(out.contains("<table>"), "{out}");
        assert!(!out.contains("|---|") && !out.contains("# "), "{out}");
    }
}
