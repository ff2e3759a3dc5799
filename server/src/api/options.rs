//! Option values both APIs read the same way: yes/no switches, colours, crop margins and the crop
//! they make together. Each API keeps only its own vocabulary (sizes, formats) beside these.

use services::Error;
use services::cutout::compose::Margin;

pub fn bad_size() -> Error {
    Error::Invalid {
        field: "size",
        message: "use full, preview or a number of pixels (a multiple of 32 from 256 to 1024)"
            .into(),
    }
}

/// The basic CSS colour names (remove.bg accepts names as well as hex codes).
const NAMED: [(&str, [u8; 3]); 18] = [
    ("black", [0, 0, 0]),
    ("silver", [192, 192, 192]),
    ("gray", [128, 128, 128]),
    ("grey", [128, 128, 128]),
    ("white", [255, 255, 255]),
    ("maroon", [128, 0, 0]),
    ("red", [255, 0, 0]),
    ("purple", [128, 0, 128]),
    ("fuchsia", [255, 0, 255]),
    ("green", [0, 128, 0]),
    ("lime", [0, 255, 0]),
    ("olive", [128, 128, 0]),
    ("yellow", [255, 255, 0]),
    ("navy", [0, 0, 128]),
    ("blue", [0, 0, 255]),
    ("teal", [0, 128, 128]),
    ("aqua", [0, 255, 255]),
    ("orange", [255, 165, 0]),
];

/// `#rrggbb`, `#rgb`, with an alpha `#rrggbbaa` or `#rgba` (the `#` may be left out), or a basic
/// CSS colour name (`green`), as red, green, blue and alpha (255 unless given).
pub fn parse_color(text: &str) -> Result<[u8; 4], Error> {
    if let Some((_, [r, g, b])) = NAMED
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok([*r, *g, *b, 255]);
    }
    let hex = text.trim_start_matches('#');
    let invalid = || Error::Invalid {
        field: "bg_color",
        message: format!(
            "{text:?} is not a colour like #1e90ff (or #1e90ff80 with an alpha, or a name like green)"
        ),
    };
    if !hex.is_ascii() {
        return Err(invalid());
    }
    let expanded: String = match hex.len() {
        3 | 4 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 | 8 => hex.to_string(),
        _ => return Err(invalid()),
    };
    let channel = |i: usize| match expanded.get(i..i + 2) {
        Some(pair) => u8::from_str_radix(pair, 16).map_err(|_| invalid()),
        None => Ok(255),
    };
    Ok([channel(0)?, channel(2)?, channel(4)?, channel(6)?])
}

/// A yes/no option: `true`/`false` (JSON booleans arrive as that text), `1`/`0` or `yes`/`no`, in
/// any case; missing is `None`. Anything else is refused, never read as either.
pub fn switch(field: &'static str, value: Option<&str>) -> Result<Option<bool>, Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(Some(true)),
        "false" | "0" | "no" => Ok(Some(false)),
        _ => Err(Error::Invalid {
            field,
            message: "use true or false".into(),
        }),
    }
}

/// `crop` and `crop_margin` together: the margin to crop to, or `None` without `crop`. A margin is
/// checked even without `crop`: a wrong option is refused, never silently ignored.
pub fn crop(crop: Option<&str>, margin: Option<&str>) -> Result<Option<Margin>, Error> {
    let margin = parse_margin(margin.unwrap_or("0"))?;
    Ok(switch("crop", crop)?.unwrap_or(false).then_some(margin))
}

/// The largest crop margin, as remove.bg caps it: 500 pixels or 50 % of the subject.
pub const MAX_MARGIN_PIXELS: u32 = 500;
pub const MAX_MARGIN_PERCENT: f32 = 50.0;

/// `12px`, `12` (pixels) or `10%`, at most 500 px or 50 %.
pub fn parse_margin(text: &str) -> Result<Margin, Error> {
    let invalid = || Error::Invalid {
        field: "crop_margin",
        message: format!(
            "{:?} is not a margin like 20px or 10% (at most {MAX_MARGIN_PIXELS}px or {MAX_MARGIN_PERCENT}%)",
            text.chars().take(40).collect::<String>()
        ),
    };
    if let Some(percent) = text.strip_suffix('%') {
        let value: f32 = percent.trim().parse().map_err(|_| invalid())?;
        if !(0.0..=MAX_MARGIN_PERCENT).contains(&value) {
            return Err(invalid());
        }
        Ok(Margin::Relative(value / 100.0))
    } else {
        let pixels = text.strip_suffix("px").unwrap_or(text).trim();
        let pixels: u32 = pixels.parse().map_err(|_| invalid())?;
        if pixels > MAX_MARGIN_PIXELS {
            return Err(invalid());
        }
        Ok(Margin::Pixels(pixels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_read_the_same_spellings_in_any_case_and_refuse_the_rest() {
        for on in ["true", "TRUE", "1", "yes", "Yes"] {
            assert_eq!(switch("crop", Some(on)).ok(), Some(Some(true)), "{on}");
        }
        for off in ["false", "False", "0", "no", "NO"] {
            assert_eq!(switch("crop", Some(off)).ok(), Some(Some(false)), "{off}");
        }
        assert_eq!(switch("crop", None).ok(), Some(None));
        for bad in ["maybe", "on", "2", "tru"] {
            let err = switch("crop", Some(bad)).expect_err(bad);
            assert!(err.to_string().contains("true or false"), "{bad}: {err}");
        }
        assert_eq!(crop(None, None).ok(), Some(None));
        assert_eq!(
            crop(Some("yes"), Some("10%")).ok(),
            Some(Some(Margin::Relative(0.1)))
        );
        assert_eq!(crop(Some("1"), None).ok(), Some(Some(Margin::Pixels(0))));
        assert!(
            crop(Some("no"), Some("wide")).is_err(),
            "margin checked without crop"
        );
    }

    #[test]
    fn colours_and_margins_parse_or_say_what_is_expected() {
        assert_eq!(parse_color("#1e90ff").ok(), Some([0x1e, 0x90, 0xff, 255]));
        assert_eq!(parse_color("fff").ok(), Some([255, 255, 255, 255]));
        assert_eq!(parse_color("Green").ok(), Some([0, 128, 0, 255]));
        // With an alpha: 8 and 4 digits.
        assert_eq!(
            parse_color("#1e90ff80").ok(),
            Some([0x1e, 0x90, 0xff, 0x80])
        );
        assert_eq!(parse_color("f008").ok(), Some([255, 0, 0, 0x88]));
        for bad in [
            "",
            "#12",
            "#12345",
            "#1234567",
            "#123456789",
            "bluish",
            "#gggggg",
            "#ééé",
            "#1e90fg80",
        ] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_margin("12px").ok(), Some(Margin::Pixels(12)));
        assert_eq!(parse_margin("7").ok(), Some(Margin::Pixels(7)));
        assert_eq!(parse_margin("10%").ok(), Some(Margin::Relative(0.1)));
        assert_eq!(parse_margin("500px").ok(), Some(Margin::Pixels(500)));
        assert_eq!(parse_margin("50%").ok(), Some(Margin::Relative(0.5)));
        for bad in [
            "-3px",
            "150%",
            "51%",
            "501px",
            "4294967295px",
            "NaN%",
            "wide",
        ] {
            assert!(parse_margin(bad).is_err(), "{bad}");
        }
    }
}
