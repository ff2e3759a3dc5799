//! Turns the plain-text privacy policy into blocks a page can render: the title, section headings,
//! subheadings, paragraphs and bullet lists.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    Title(String),
    Section(String),
    Subheading(String),
    Paragraph(String),
    List(Vec<String>),
}

/// One line per block; consecutive `- ` lines form one list. A numbered line (`3. Where …`) is a
/// section heading; a short line without a full stop is a subheading.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for (index, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            match blocks.last_mut() {
                Some(Block::List(items)) => items.push(item.to_string()),
                _ => blocks.push(Block::List(vec![item.to_string()])),
            }
        } else if index == 0 {
            blocks.push(Block::Title(line.to_string()));
        } else if is_numbered_heading(line) {
            blocks.push(Block::Section(line.to_string()));
        } else if line.len() <= 80 && !line.ends_with('.') && !line.ends_with(':') {
            blocks.push(Block::Subheading(line.to_string()));
        } else {
            blocks.push(Block::Paragraph(line.to_string()));
        }
    }
    blocks
}

fn is_numbered_heading(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && line[digits..].starts_with(". ") && !line.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_titles_sections_paragraphs_and_lists() {
        let text = "Privacy Policy\nWe care.\n1. What We Collect\nWe collect:\n- Images: briefly.\n- Email.\nShort heading\nBody text here.";
        assert_eq!(
            parse(text),
            vec![
                Block::Title("Privacy Policy".into()),
                Block::Paragraph("We care.".into()),
                Block::Section("1. What We Collect".into()),
                Block::Paragraph("We collect:".into()),
                Block::List(vec!["Images: briefly.".into(), "Email.".into()]),
                Block::Subheading("Short heading".into()),
                Block::Paragraph("Body text here.".into()),
            ]
        );
    }
}
