//! Preferences kept in the browser's localStorage (through gloo-storage in the hydrated client):
//! the last background, brush settings and export format (the theme is the footer's,
//! `components::theme`). Written only when a person changes one, so a visit that changes nothing
//! stores nothing.

use serde::{Deserialize, Serialize};

use super::document::Background;

pub const STORAGE_KEY: &str = "imgigo.prefs";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Png,
    Jpeg,
    Webp,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [Self::Png, Self::Jpeg, Self::Webp];

    pub fn key(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Webp => "webp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Png => "PNG (keeps transparency)",
            Self::Jpeg => "JPEG (smallest, no transparency)",
            Self::Webp => "WebP (small, keeps transparency)",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The background new images start with.
    pub background: Background,
    /// Brush diameter in screen pixels.
    pub brush_size: u32,
    pub hardness: u8,
    pub format: ExportFormat,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            background: Background::Transparent,
            brush_size: 40,
            hardness: 70,
            format: ExportFormat::Png,
        }
    }
}

/// The download's file name: the photo's name without its extension, then `-imgigo.EXT`.
pub fn export_name(original: &str, format: ExportFormat) -> String {
    let stem = original
        .rsplit_once('.')
        .map_or(original, |(stem, _)| stem)
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':' | '"' | '<' | '>' | '|' | '?' | '*'))
        .collect::<String>();
    let stem = if stem.trim().is_empty() {
        "image"
    } else {
        stem.trim()
    };
    format!("{stem}-imgigo.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_unknown_fields_fall_back_to_defaults() {
        let prefs: Prefs = serde_json::from_str(r#"{"brush_size": 80}"#).expect("parses");
        assert_eq!(prefs.brush_size, 80);
        let json = serde_json::to_string(&Prefs::default()).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Prefs>(&json).expect("parses"),
            Prefs::default()
        );
    }

    #[test]
    fn export_names_keep_the_photos_name() {
        assert_eq!(
            export_name("Holiday 01.JPG", ExportFormat::Png),
            "Holiday 01-imgigo.png"
        );
        assert_eq!(
            export_name("a/b:c.webp", ExportFormat::Jpeg),
            "abc-imgigo.jpg"
        );
        assert_eq!(export_name(".png", ExportFormat::Webp), "image-imgigo.webp");
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::from_key(format.key()), Some(format));
        }
    }
}
