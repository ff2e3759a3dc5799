//! Option values both APIs read the same way: yes/no switches, colours, crop margins and the crop
//! they make together. Each API keeps only its own vocabulary (sizes, formats) beside these.

use services::Error;
use services::cutout::effects::{MAX_OUTLINE, Outline, Shadow};
use services::cutout::layout::{Fit, Length, MAX_CANVAS_SIDE, Margins, Placement, Preset, Roi};

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
    parse_color_of("bg_color", text)
}

/// [`parse_color`] for the option `field`.
pub fn parse_color_of(field: &'static str, text: &str) -> Result<[u8; 4], Error> {
    if let Some((_, [r, g, b])) = NAMED
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok([*r, *g, *b, 255]);
    }
    let hex = text.trim_start_matches('#');
    let invalid = || Error::Invalid {
        field,
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

/// `crop` and `crop_margin` together: the margins to crop to, or `None` without `crop`. A margin
/// is checked even without `crop`: a wrong option is refused, never silently ignored.
pub fn crop(crop: Option<&str>, margin: Option<&str>) -> Result<Option<Margins>, Error> {
    let margins = parse_margins(margin.unwrap_or("0"))?;
    Ok(switch("crop", crop)?.unwrap_or(false).then_some(margins))
}

/// The largest crop margin, as remove.bg caps it: 500 pixels or 50 % of the subject.
pub const MAX_MARGIN_PIXELS: u32 = 500;
pub const MAX_MARGIN_PERCENT: f32 = 50.0;

/// The values of a list option: separated by spaces or commas, at most `most` of them.
fn values(text: &str, most: usize) -> Option<Vec<&str>> {
    let values: Vec<&str> = text
        .split([' ', ','])
        .filter(|value| !value.is_empty())
        .collect();
    (!values.is_empty() && values.len() <= most).then_some(values)
}

/// `12px`, `12` (pixels) or `10%`, within `max_pixels` and `max_percent`.
fn length(text: &str, max_pixels: u32, max_percent: f32) -> Option<Length> {
    if let Some(percent) = text.strip_suffix('%') {
        let value: f32 = percent.trim().parse().ok()?;
        (0.0..=max_percent)
            .contains(&value)
            .then_some(Length::Share(value / 100.0))
    } else {
        let pixels: u32 = text
            .strip_suffix("px")
            .unwrap_or(text)
            .trim()
            .parse()
            .ok()?;
        (pixels <= max_pixels).then_some(Length::Pixels(pixels))
    }
}

/// remove.bg's `crop_margin`: one value (every side), two (top and bottom, left and right) or four
/// (top, right, bottom, left), each `12px`, `12` or `10%`, at most 500 px or 50 %.
pub fn parse_margins(text: &str) -> Result<Margins, Error> {
    let invalid = || Error::Invalid {
        field: "crop_margin",
        message: format!(
            "{:?} is not a margin like 20px, 10% or 10px 20px (one, two or four values, each at most {MAX_MARGIN_PIXELS}px or {MAX_MARGIN_PERCENT}%)",
            text.chars().take(40).collect::<String>()
        ),
    };
    let lengths = values(text, 4)
        .ok_or_else(invalid)?
        .into_iter()
        .map(|value| length(value, MAX_MARGIN_PIXELS, MAX_MARGIN_PERCENT).ok_or_else(invalid))
        .collect::<Result<Vec<_>, _>>()?;
    match lengths[..] {
        [all] => Ok(Margins::all(all)),
        [vertical, horizontal] => Ok(Margins {
            top: vertical,
            right: horizontal,
            bottom: vertical,
            left: horizontal,
        }),
        [top, right, bottom, left] => Ok(Margins {
            top,
            right,
            bottom,
            left,
        }),
        _ => Err(invalid()),
    }
}

/// remove.bg's `roi`: `x1 y1 x2 y2`, each in pixels (`12px` or `12`) or percent of the photo.
pub fn parse_roi(text: &str) -> Result<Roi, Error> {
    let invalid = || Error::Invalid {
        field: "roi",
        message: format!(
            "{:?} is not a region like \"0% 0% 100% 100%\" or \"10px 20px 300px 400px\" (left, top, right, bottom)",
            text.chars().take(60).collect::<String>()
        ),
    };
    let corners = values(text, 4)
        .filter(|values| values.len() == 4)
        .ok_or_else(invalid)?
        .into_iter()
        .map(|value| length(value, 99_999, 100.0).ok_or_else(invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Roi {
        x1: corners[0],
        y1: corners[1],
        x2: corners[2],
        y2: corners[3],
    })
}

/// remove.bg's `scale`: `original` (`None`) or `10%`–`100%`, the share of the canvas the subject
/// fills.
pub fn parse_scale(text: &str) -> Result<Option<f32>, Error> {
    if text.eq_ignore_ascii_case("original") {
        return Ok(None);
    }
    text.strip_suffix('%')
        .and_then(|value| value.trim().parse::<f32>().ok())
        .filter(|value| (10.0..=100.0).contains(value))
        .map(|value| Some(value / 100.0))
        .ok_or_else(|| Error::Invalid {
            field: "scale",
            message: "use original or a share of the canvas from 10% to 100%".into(),
        })
}

/// remove.bg's `position`: `original` (`None`), `center`, or one or two values from `0%` to
/// `100%` (across, then down; one value is both).
pub fn parse_position(text: &str) -> Result<Option<(f32, f32)>, Error> {
    let invalid = || Error::Invalid {
        field: "position",
        message: "use original, center, or one or two values from 0% to 100% (across, down)".into(),
    };
    match text.to_ascii_lowercase().as_str() {
        "original" => return Ok(None),
        "center" | "centre" => return Ok(Some((0.5, 0.5))),
        _ => {}
    }
    let shares = values(text, 2)
        .ok_or_else(invalid)?
        .into_iter()
        .map(|value| match length(value, 0, 100.0) {
            Some(Length::Share(share)) => Ok(share),
            _ => Err(invalid()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(match shares[..] {
        [both] => (both, both),
        [across, down] => (across, down),
        _ => return Err(invalid()),
    }))
}

/// remove.bg's `scale` and `position` together: the placement on the result's own canvas, or
/// `None` when neither changes anything.
pub fn placement(scale: Option<&str>, position: Option<&str>) -> Result<Option<Placement>, Error> {
    let scale = scale.map(parse_scale).transpose()?.flatten();
    let position = position.map(parse_position).transpose()?.flatten();
    if scale.is_none() && position.is_none() {
        return Ok(None);
    }
    Ok(Some(Placement {
        canvas: None,
        fit: scale.map_or(Fit::Original, Fit::Subject),
        position,
    }))
}

/// `WxH` (`2000x2000`, `×` also accepted), within the canvas limits.
pub fn parse_size(text: &str) -> Result<(u32, u32), Error> {
    let invalid = || Error::Invalid {
        field: "output_size",
        message: format!(
            "{:?} is not a size like 2000x2000 (width x height in pixels)",
            text.chars().take(40).collect::<String>()
        ),
    };
    let (width, height) = text.split_once(['x', 'X', '×']).ok_or_else(invalid)?;
    let width: u32 = width.trim().parse().map_err(|_| invalid())?;
    let height: u32 = height.trim().parse().map_err(|_| invalid())?;
    Placement::check_canvas(width, height)?;
    Ok((width, height))
}

/// The native `output_size`, `fit` (`contain`, the default, or `cover`) and `padding` (pixels or
/// percent of the shorter side, with `contain`), or a `preset`. `None` when none is given.
pub fn canvas(
    output_size: Option<&str>,
    fit: Option<&str>,
    padding: Option<&str>,
) -> Result<Option<Placement>, Error> {
    let Some(size) = output_size else {
        if let Some(field) = [("fit", fit), ("padding", padding)]
            .iter()
            .find_map(|(name, value)| value.map(|_| *name))
        {
            return Err(Error::Invalid {
                field,
                message: "only with output_size".into(),
            });
        }
        return Ok(None);
    };
    let canvas = parse_size(size)?;
    let padding = padding
        .map(|text| {
            length(text, MAX_CANVAS_SIDE / 2, 45.0).ok_or_else(|| Error::Invalid {
                field: "padding",
                message: "use pixels (40px) or a share of the shorter side up to 45% (5%)".into(),
            })
        })
        .transpose()?;
    let fit = match fit.map(str::to_ascii_lowercase).as_deref() {
        None | Some("contain") => Fit::Contain {
            padding: padding.unwrap_or(Length::Pixels(0)),
        },
        Some("cover") if padding.is_none() => Fit::Cover,
        Some("cover") => {
            return Err(Error::Invalid {
                field: "padding",
                message: "padding goes with fit=contain: a cover fills the whole canvas".into(),
            });
        }
        Some(_) => {
            return Err(Error::Invalid {
                field: "fit",
                message: "use contain or cover".into(),
            });
        }
    };
    Ok(Some(Placement {
        canvas: Some(canvas),
        fit,
        position: None,
    }))
}

/// `refine`: `none` (the default) or `guided` (the fast guided filter on the mask's edges).
pub fn parse_refine(text: Option<&str>) -> Result<bool, Error> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("none") => Ok(false),
        Some("guided") => Ok(true),
        Some(_) => Err(Error::Invalid {
            field: "refine",
            message: "use none or guided".into(),
        }),
    }
}

/// A marketplace preset by name.
pub fn parse_preset(text: &str) -> Result<Preset, Error> {
    Preset::parse(text).ok_or_else(|| Error::Invalid {
        field: "preset",
        message: format!("use one of {}", Preset::NAMES),
    })
}

/// A whole number from `low` to `high`.
fn number(field: &'static str, text: &str, low: i32, high: i32) -> Result<i32, Error> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|value| (low..=high).contains(value))
        .ok_or_else(|| Error::Invalid {
            field,
            message: format!("use a whole number from {low} to {high}"),
        })
}

/// remove.bg's shadow: `shadow_type` (`none`, `drop`, or `3D`/`car`, given a contact shadow on the
/// ground) with `shadow_opacity` (0–100), or the legacy `add_shadow=true` (a drop shadow).
pub fn removebg_shadow(
    shadow_type: Option<&str>,
    opacity: Option<&str>,
    add_shadow: Option<&str>,
) -> Result<Option<Shadow>, Error> {
    let opacity = opacity
        .map(|text| number("shadow_opacity", text, 0, 100))
        .transpose()?
        .map_or(0.5, |value| value as f32 / 100.0);
    let legacy = switch("add_shadow", add_shadow)?.unwrap_or(false);
    match shadow_type.map(str::to_ascii_lowercase).as_deref() {
        None if legacy => Ok(Some(Shadow::drop(opacity))),
        None | Some("none") => Ok(None),
        Some("drop") => Ok(Some(Shadow::drop(opacity))),
        Some("3d" | "car") => Ok(Some(Shadow::contact(opacity))),
        Some(_) => Err(Error::Invalid {
            field: "shadow_type",
            message: "use none, drop, 3D or car".into(),
        }),
    }
}

/// The native shadow: `shadow` (`none`, `drop`, `contact`), `shadow_opacity`, `shadow_softness`
/// (0–100) and `shadow_offset` (`x y`, each −100 to 100 % of the subject's larger side).
pub fn native_shadow(
    kind: Option<&str>,
    opacity: Option<&str>,
    softness: Option<&str>,
    offset: Option<&str>,
) -> Result<Option<Shadow>, Error> {
    let mut shadow = match kind.map(str::to_ascii_lowercase).as_deref() {
        None | Some("none") => {
            if let Some(field) = [
                ("shadow_opacity", opacity),
                ("shadow_softness", softness),
                ("shadow_offset", offset),
            ]
            .iter()
            .find_map(|(name, value)| value.map(|_| *name))
            {
                return Err(Error::Invalid {
                    field,
                    message: "only with shadow=drop or shadow=contact".into(),
                });
            }
            return Ok(None);
        }
        Some("drop") => Shadow::drop(0.5),
        Some("contact") => Shadow::contact(0.5),
        Some(_) => {
            return Err(Error::Invalid {
                field: "shadow",
                message: "use none, drop or contact".into(),
            });
        }
    };
    if let Some(text) = opacity {
        shadow.opacity = number("shadow_opacity", text, 0, 100)? as f32 / 100.0;
    }
    if let Some(text) = softness {
        shadow.softness = number("shadow_softness", text, 0, 100)? as f32 / 100.0;
    }
    if let Some(text) = offset {
        let invalid = || {
            Error::Invalid {
            field: "shadow_offset",
            message: "use two values from -100 to 100 (percent of the subject's size, right and down), like \"2 3\""
                .into(),
        }
        };
        let parts = values(text, 2)
            .filter(|parts| parts.len() == 2)
            .ok_or_else(invalid)?;
        let parse = |part: &str| {
            number("shadow_offset", part.trim_end_matches('%'), -100, 100)
                .map(|value| value as f32 / 100.0)
                .map_err(|_| invalid())
        };
        shadow.offset = (parse(parts[0])?, parse(parts[1])?);
    }
    Ok(Some(shadow))
}

/// The native outline: `outline_width` (pixels, 0 = none, up to 200) and `outline_color`
/// (default white).
pub fn outline(width: Option<&str>, colour: Option<&str>) -> Result<Option<Outline>, Error> {
    let width = width
        .map(|text| number("outline_width", text, 0, MAX_OUTLINE as i32))
        .transpose()?
        .unwrap_or(0);
    let colour = colour
        .map(|text| parse_color_of("outline_color", text))
        .transpose()?;
    match (width, colour) {
        (0, None) => Ok(None),
        (0, Some(_)) => Err(Error::Invalid {
            field: "outline_width",
            message: format!("give the outline a width from 1 to {MAX_OUTLINE} pixels"),
        }),
        (width, colour) => Ok(Some(Outline {
            colour: colour.unwrap_or([255, 255, 255, 255]),
            width: width as u32,
        })),
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
            Some(Some(Margins::all(Length::Share(0.1))))
        );
        assert_eq!(
            crop(Some("1"), None).ok(),
            Some(Some(Margins::all(Length::Pixels(0))))
        );
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
        let all = |length| Some(Margins::all(length));
        assert_eq!(parse_margins("12px").ok(), all(Length::Pixels(12)));
        assert_eq!(parse_margins("7").ok(), all(Length::Pixels(7)));
        assert_eq!(parse_margins("10%").ok(), all(Length::Share(0.1)));
        assert_eq!(parse_margins("500px").ok(), all(Length::Pixels(500)));
        assert_eq!(parse_margins("50%").ok(), all(Length::Share(0.5)));
        // Two values: top and bottom, then left and right; four: clockwise from the top.
        assert_eq!(
            parse_margins("10px 20%").ok(),
            Some(Margins {
                top: Length::Pixels(10),
                right: Length::Share(0.2),
                bottom: Length::Pixels(10),
                left: Length::Share(0.2),
            })
        );
        assert_eq!(
            parse_margins("1px,2px,3px,4px").ok(),
            Some(Margins {
                top: Length::Pixels(1),
                right: Length::Pixels(2),
                bottom: Length::Pixels(3),
                left: Length::Pixels(4),
            })
        );
        for bad in [
            "-3px",
            "150%",
            "51%",
            "501px",
            "4294967295px",
            "NaN%",
            "wide",
            "1px 2px 3px",
            "1px 2px 3px 4px 5px",
            "10px 60%",
        ] {
            assert!(parse_margins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn layout_options_read_remove_bg_values_and_refuse_the_rest() {
        assert_eq!(
            parse_roi("10% 20px 100% 300").ok(),
            Some(Roi {
                x1: Length::Share(0.1),
                y1: Length::Pixels(20),
                x2: Length::Share(1.0),
                y2: Length::Pixels(300),
            })
        );
        for bad in [
            "",
            "1 2 3",
            "1 2 3 4 5",
            "101% 0 0 0",
            "-1 0 5 5",
            "a b c d",
        ] {
            assert!(parse_roi(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_scale("original").ok(), Some(None));
        assert_eq!(parse_scale("85%").ok(), Some(Some(0.85)));
        for bad in ["9%", "101%", "85", "big"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_position("center").ok(), Some(Some((0.5, 0.5))));
        assert_eq!(parse_position("0%").ok(), Some(Some((0.0, 0.0))));
        assert_eq!(parse_position("25% 100%").ok(), Some(Some((0.25, 1.0))));
        for bad in ["left", "10px", "101%", "1% 2% 3%"] {
            assert!(parse_position(bad).is_err(), "{bad}");
        }
        // Scaling alone centres; nothing at all places nothing.
        assert_eq!(placement(None, Some("original")).ok(), Some(None));
        assert_eq!(
            placement(Some("50%"), None).ok(),
            Some(Some(Placement {
                canvas: None,
                fit: Fit::Subject(0.5),
                position: None
            }))
        );
        assert_eq!(parse_size("2000x1500").ok(), Some((2000, 1500)));
        for bad in ["2000", "0x10", "10001x10", "9000x9000", "axb"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(canvas(None, Some("cover"), None).is_err(), "fit alone");
        assert!(canvas(Some("100x100"), Some("cover"), Some("5px")).is_err());
        assert_eq!(
            canvas(Some("100x100"), None, Some("5%")).ok(),
            Some(Some(Placement {
                canvas: Some((100, 100)),
                fit: Fit::Contain {
                    padding: Length::Share(0.05)
                },
                position: None
            }))
        );
    }

    #[test]
    fn shadows_and_outlines_read_their_options() {
        assert_eq!(removebg_shadow(None, None, None).ok(), Some(None));
        assert_eq!(
            removebg_shadow(None, Some("30"), Some("true")).ok(),
            Some(Some(Shadow::drop(0.3)))
        );
        assert_eq!(
            removebg_shadow(Some("3D"), None, None).ok(),
            Some(Some(Shadow::contact(0.5)))
        );
        for (kind, opacity) in [(Some("soft"), None), (Some("drop"), Some("101"))] {
            assert!(removebg_shadow(kind, opacity, None).is_err(), "{kind:?}");
        }
        let shadow = native_shadow(Some("drop"), Some("80"), Some("0"), Some("-5 10"))
            .ok()
            .flatten()
            .expect("shadow");
        assert_eq!(shadow.opacity, 0.8);
        assert_eq!(shadow.softness, 0.0);
        assert_eq!(shadow.offset, (-0.05, 0.1));
        assert!(native_shadow(None, Some("50"), None, None).is_err());
        assert!(native_shadow(Some("drop"), None, None, Some("5")).is_err());
        assert_eq!(outline(None, None).ok(), Some(None));
        assert_eq!(
            outline(Some("12"), Some("#ff000080")).ok(),
            Some(Some(Outline {
                colour: [255, 0, 0, 128],
                width: 12
            }))
        );
        assert!(outline(Some("201"), None).is_err());
        assert!(
            outline(None, Some("red")).is_err(),
            "a colour without a width"
        );
        let err = outline(Some("4"), Some("reddish")).expect_err("colour");
        assert!(matches!(
            err,
            Error::Invalid {
                field: "outline_color",
                ..
            }
        ));
    }
}
