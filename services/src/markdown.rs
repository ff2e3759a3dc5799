//! Markdown written by the operator or an admin (the backgrounds' licences, product updates), as
//! HTML: CommonMark with tables; raw HTML blocks and inline tags become escaped text, links keep
//! only `http`, `https`, `mailto` and site-relative targets, and images become their alt text (a
//! remote image in a mail would tell its server who opened it).

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// `markdown` as safe HTML (see the module's note).
pub fn to_html(markdown: &str) -> String {
    let mut in_image = 0usize;
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                None
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe_target(&dest_url) => Some(Event::Start(Tag::Link {
                link_type: if link_type == LinkType::Email {
                    LinkType::Inline
                } else {
                    link_type
                },
                dest_url: "#".into(),
                title,
                id,
            })),
            other => Some(other),
        });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

fn safe_target(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || (lower.starts_with('/') && !lower.starts_with("//"))
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
    fn script_links_and_remote_images_do_not_survive() {
        let out = to_html(
            "[a](javascript:alert(1)) [b](JAVASCRIPT:x) [c](//evil.example/) [d](/account)\n\n![pixel](https://tracker.example/p.gif)\n",
        );
        assert!(!out.to_ascii_lowercase().contains("javascript"), "{out}");
        assert!(!out.contains("evil.example"), "{out}");
        assert!(out.contains(r#"<a href="/account">d</a>"#), "{out}");
        assert!(!out.contains("<img") && !out.contains("tracker"), "{out}");
        assert!(out.contains("pixel"), "the alt text stays: {out}");
    }
}
