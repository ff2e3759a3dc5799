//! Markdown documents shipped with the site (the preset backgrounds' licences), rendered to HTML
//! on the server. Raw HTML in the source is shown as text, never passed through.

/// The licences of the editor's preset backgrounds, as shipped beside the files.
pub const BACKGROUND_LICENSES: &str = include_str!("../../public/backgrounds/LICENSES.md");

/// `markdown` as HTML, made safe by [`services::markdown::to_html`].
pub use services::markdown::to_html;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_background_licences_render_without_markdown_left() {
        let out = to_html(BACKGROUND_LICENSES);
        assert!(out.contains("<h1>"), "{out}");
        assert!(out.contains("<table>"), "{out}");
        assert!(!out.contains("|---|") && !out.contains("# "), "{out}");
    }
}
