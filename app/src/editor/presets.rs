//! The bundled background photos (`public/backgrounds/`, licences in `LICENSES.md` there) and the
//! colour swatches.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    pub id: &'static str,
    pub label: &'static str,
}

impl Preset {
    pub fn url(&self) -> String {
        format!("/backgrounds/{}.jpg", self.id)
    }

    pub fn thumbnail(&self) -> String {
        format!("/backgrounds/{}.thumb.jpg", self.id)
    }
}

pub const PRESETS: [Preset; 5] = [
    Preset {
        id: "studio",
        label: "Studio",
    },
    Preset {
        id: "sunset",
        label: "Sunset",
    },
    Preset {
        id: "bokeh",
        label: "City lights",
    },
    Preset {
        id: "space",
        label: "Deep space",
    },
    Preset {
        id: "brick",
        label: "Brick wall",
    },
];

pub const LICENSES_URL: &str = "/backgrounds/licences";

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.id == id)
}

/// Colour swatches: (value, name for screen readers).
pub const SWATCHES: [(&str, &str); 8] = [
    ("#ffffff", "White"),
    ("#000000", "Black"),
    ("#f3f4f6", "Light grey"),
    ("#fde68a", "Sand"),
    ("#fca5a5", "Coral"),
    ("#93c5fd", "Sky blue"),
    ("#86efac", "Mint"),
    ("#c4b5fd", "Lavender"),
];

/// Accepts `#rrggbb` (any case) and returns it lower-cased.
pub fn normalise_hex(value: &str) -> Option<String> {
    let digits = value.strip_prefix('#')?;
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("#{}", digits.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_its_files_and_a_licence_line() {
        let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public");
        let licences = std::fs::read_to_string(public.join("backgrounds/LICENSES.md"))
            .expect("public/backgrounds/LICENSES.md");
        for preset in PRESETS {
            for url in [preset.url(), preset.thumbnail()] {
                assert!(public.join(url.trim_start_matches('/')).is_file(), "{url}");
            }
            assert!(
                licences.contains(&format!("`{}.jpg`", preset.id)),
                "{} has no licence line",
                preset.id
            );
        }
    }

    #[test]
    fn every_swatch_has_its_colour_in_the_stylesheet() {
        // The CSP blocks inline styles, so the swatches' colours are CSS rules.
        let css = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../style/main.css"),
        )
        .expect("style/main.css");
        for (hex, _) in SWATCHES {
            let rule = format!(
                ".swatch-dot[data-testid=\"swatch-{}\"] {{ --swatch: {hex}; }}",
                &hex[1..]
            );
            assert!(css.contains(&rule), "missing: {rule}");
        }
    }

    #[test]
    fn hex_colours_are_checked() {
        assert_eq!(normalise_hex("#A1B2C3").as_deref(), Some("#a1b2c3"));
        assert_eq!(normalise_hex("a1b2c3"), None);
        assert_eq!(normalise_hex("#12345"), None);
        assert_eq!(normalise_hex("#12345g"), None);
        for (hex, _) in SWATCHES {
            assert_eq!(normalise_hex(hex).as_deref(), Some(hex));
        }
    }
}
