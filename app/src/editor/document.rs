//! What one image's edit is: the look (background, crop, shadow, outline, export size) and the brush
//! strokes on its mask, with an undo/redo history. Plain data, saved as JSON in the browser's IndexedDB and replayed on reload.

use serde::{Deserialize, Serialize};

/// What shows behind the subject. Compositing happens in the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Background {
    Transparent,
    /// `#rrggbb`.
    Color {
        hex: String,
    },
    /// The original photo, blurred; strength 1–100.
    Blur {
        strength: u8,
    },
    /// One of the bundled photos, by id (see `presets`).
    Preset {
        id: String,
    },
    /// An image of the person's own, kept beside the workspace in IndexedDB.
    Own,
    /// A photo from the library (Pexels), fetched through our server by id, with the credit
    /// Pexels asks to show.
    Library {
        id: u64,
        photographer: String,
        photographer_url: String,
        pexels_url: String,
    },
}

impl Background {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transparent => "transparent",
            Self::Color { .. } => "color",
            Self::Blur { .. } => "blur",
            Self::Preset { .. } => "preset",
            Self::Own => "own",
            Self::Library { .. } => "library",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Transparent => "Transparent".into(),
            Self::Color { hex } => format!("Colour {hex}"),
            Self::Blur { strength } => format!("Blurred photo ({strength} %)"),
            Self::Preset { id } => match super::presets::find(id) {
                Some(preset) => format!("Photo: {}", preset.label),
                None => "Photo".into(),
            },
            Self::Own => "Your image".into(),
            Self::Library { photographer, .. } => format!("Photo by {photographer} (Pexels)"),
        }
    }
}

/// Output shapes for "crop to subject".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The subject's box plus the margin.
    Free,
    /// The photo's own proportions.
    Original,
    Square,
    Portrait4x5,
    Landscape3x2,
    Wide16x9,
    Story9x16,
}

impl Aspect {
    pub const ALL: [Aspect; 7] = [
        Self::Free,
        Self::Original,
        Self::Square,
        Self::Portrait4x5,
        Self::Landscape3x2,
        Self::Wide16x9,
        Self::Story9x16,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Original => "original",
            Self::Square => "1:1",
            Self::Portrait4x5 => "4:5",
            Self::Landscape3x2 => "3:2",
            Self::Wide16x9 => "16:9",
            Self::Story9x16 => "9:16",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Free => "Fit the subject",
            Self::Original => "Photo's proportions",
            Self::Square => "Square 1:1",
            Self::Portrait4x5 => "Portrait 4:5",
            Self::Landscape3x2 => "Landscape 3:2",
            Self::Wide16x9 => "Wide 16:9",
            Self::Story9x16 => "Story 9:16",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|aspect| aspect.key() == key)
    }

    /// Width over height, or `None` when the subject decides.
    pub fn ratio(self, image_width: u32, image_height: u32) -> Option<f64> {
        match self {
            Self::Free => None,
            Self::Original => Some(f64::from(image_width) / f64::from(image_height.max(1))),
            Self::Square => Some(1.0),
            Self::Portrait4x5 => Some(4.0 / 5.0),
            Self::Landscape3x2 => Some(3.0 / 2.0),
            Self::Wide16x9 => Some(16.0 / 9.0),
            Self::Story9x16 => Some(9.0 / 16.0),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crop {
    pub enabled: bool,
    /// Space around the subject, in percent of its larger side (0–50).
    pub margin: u8,
    pub aspect: Aspect,
}

impl Default for Crop {
    fn default() -> Self {
        Self {
            enabled: false,
            margin: 10,
            aspect: Aspect::Free,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShadowKind {
    /// The subject's silhouette cast behind it, offset and blurred.
    Drop,
    /// The silhouette flattened onto the ground at the subject's base.
    Contact,
}

/// A shadow under the subject; lengths are percent of the subject's larger side, as the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shadow {
    pub kind: ShadowKind,
    /// 0–100.
    pub opacity: u8,
    /// 0–100: from a hard edge to a wide blur.
    pub softness: u8,
    /// −50–50 each, right and down.
    pub offset: [i8; 2],
}

impl Shadow {
    /// The API's defaults for each kind.
    pub fn new(kind: ShadowKind) -> Self {
        match kind {
            ShadowKind::Drop => Self {
                kind,
                opacity: 50,
                softness: 50,
                offset: [2, 3],
            },
            ShadowKind::Contact => Self {
                kind,
                opacity: 50,
                softness: 40,
                offset: [0, 0],
            },
        }
    }
}

/// A stroke around the subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outline {
    /// `#rrggbb`.
    pub hex: String,
    /// In photo pixels, 1–100.
    pub width: u8,
}

/// Layouts that marketplaces ask for: white, square, the subject filling most of it, a fixed size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marketplace {
    /// Amazon's main image: 2000×2000, the product filling 85 %.
    Amazon,
    /// eBay: 1600×1600 (at least 500 px asked), 90 %.
    Ebay,
}

impl Marketplace {
    pub const ALL: [Marketplace; 2] = [Self::Amazon, Self::Ebay];

    pub fn key(self) -> &'static str {
        match self {
            Self::Amazon => "amazon",
            Self::Ebay => "ebay",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Amazon => "Amazon: white, 2000 × 2000",
            Self::Ebay => "eBay: white, 1600 × 1600",
        }
    }

    /// The square's side in pixels.
    pub fn side(self) -> u32 {
        match self {
            Self::Amazon => 2000,
            Self::Ebay => 1600,
        }
    }

    /// `look` laid out for this marketplace: white, cropped square to the subject with the margin
    /// that makes it fill 85 % (90 %) of the side, exported at the marketplace's size. Shadow and
    /// outline stay.
    pub fn apply(self, look: &mut Look) {
        // A margin m on each side of the larger side L: the subject fills L / (L + 2mL) = 1/(1+2m).
        let margin = match self {
            Self::Amazon => 9,
            Self::Ebay => 6,
        };
        look.background = Background::Color {
            hex: "#ffffff".into(),
        };
        look.crop = Crop {
            enabled: true,
            margin,
            aspect: Aspect::Square,
        };
        look.export_side = Some(self.side());
    }

    /// The marketplace whose layout `look` has, if any.
    pub fn of(look: &Look) -> Option<Self> {
        Self::ALL.into_iter().find(|market| {
            let mut laid_out = look.clone();
            market.apply(&mut laid_out);
            laid_out == *look
        })
    }
}

/// Background, crop, shadow, outline and export size: the settings part of an edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Look {
    pub background: Background,
    pub crop: Crop,
    /// Saved edits from before shadows existed have none.
    #[serde(default)]
    pub shadow: Option<Shadow>,
    #[serde(default)]
    pub outline: Option<Outline>,
    /// The export's longer side in pixels (a marketplace's size); `None`: full resolution.
    #[serde(default)]
    pub export_side: Option<u32>,
}

impl Default for Look {
    fn default() -> Self {
        Self {
            background: Background::Transparent,
            crop: Crop::default(),
            shadow: None,
            outline: None,
            export_side: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrushMode {
    /// Removes from the cutout (lowers the mask).
    Erase,
    /// Brings the original back (raises the mask).
    Restore,
}

/// One brush stroke on the mask, in the photo's pixel coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    pub mode: BrushMode,
    /// Diameter in photo pixels.
    pub size: f32,
    /// 0 (soft edge) to 100 (hard edge).
    pub hardness: u8,
    pub points: Vec<[f32; 2]>,
}

/// One undoable step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Stroke(Stroke),
    Look(Look),
}

/// An image's edit: where it started and the steps taken since, with the undone ones kept for redo.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Document {
    pub initial: Look,
    pub done: Vec<Change>,
    pub undone: Vec<Change>,
    /// When the last look step was recorded (milliseconds); not saved.
    #[serde(skip)]
    last_look_at: Option<f64>,
}

/// Two edits are the same when their steps are; when the last step was taken does not count.
impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.initial == other.initial && self.done == other.done && self.undone == other.undone
    }
}

impl Document {
    pub fn new(initial: Look) -> Self {
        Self {
            initial,
            done: Vec::new(),
            undone: Vec::new(),
            last_look_at: None,
        }
    }

    /// The look in force: the latest look change, or the starting one.
    pub fn look(&self) -> &Look {
        self.done
            .iter()
            .rev()
            .find_map(|change| match change {
                Change::Look(look) => Some(look),
                Change::Stroke(_) => None,
            })
            .unwrap_or(&self.initial)
    }

    /// The strokes to replay over the model's mask, oldest first.
    pub fn strokes(&self) -> impl Iterator<Item = &Stroke> {
        self.done.iter().filter_map(|change| match change {
            Change::Stroke(stroke) => Some(stroke),
            Change::Look(_) => None,
        })
    }

    pub fn stroke_count(&self) -> usize {
        self.strokes().count()
    }

    pub fn add_stroke(&mut self, stroke: Stroke) {
        if stroke.points.is_empty() {
            return;
        }
        self.done.push(Change::Stroke(stroke));
        self.undone.clear();
        self.last_look_at = None;
    }

    /// Records a new look at time `now` (milliseconds). A change that moves the same control again
    /// within a second (a colour picker being dragged, a slider) replaces the previous step instead
    /// of adding one per pixel moved.
    pub fn set_look(&mut self, look: Look, now: f64) {
        if *self.look() == look {
            return;
        }
        let previous = self.look().clone();
        let recent = self
            .last_look_at
            .is_some_and(|at| (0.0..COALESCE_MS).contains(&(now - at)));
        self.last_look_at = Some(now);
        if let Some(Change::Look(last)) = self.done.last_mut()
            && recent
            && same_control(&previous, &look)
        {
            *last = look;
        } else {
            self.done.push(Change::Look(look));
        }
        self.undone.clear();
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Steps back; returns the step undone.
    pub fn undo(&mut self) -> Option<&Change> {
        self.last_look_at = None;
        let change = self.done.pop()?;
        self.undone.push(change);
        self.undone.last()
    }

    /// Steps forward again; returns the step redone.
    pub fn redo(&mut self) -> Option<&Change> {
        self.last_look_at = None;
        let change = self.undone.pop()?;
        self.done.push(change);
        self.done.last()
    }
}

const COALESCE_MS: f64 = 1000.0;

/// Whether `next` differs from `previous` only in one continuous control of the same kind.
fn same_control(previous: &Look, next: &Look) -> bool {
    // A shadow's or an outline's slider: the rest unchanged, the effect on before and after.
    if previous.shadow != next.shadow || previous.outline != next.outline {
        let mut rest = previous.clone();
        rest.shadow = next.shadow;
        rest.outline = next.outline.clone();
        let same_kind = previous.shadow.map(|s| s.kind) == next.shadow.map(|s| s.kind);
        let both_outlined = previous.outline.is_some() == next.outline.is_some();
        return rest == *next && same_kind && both_outlined;
    }
    if previous.export_side != next.export_side {
        return false;
    }
    if previous.crop != next.crop {
        return previous.background == next.background
            && previous.crop.enabled == next.crop.enabled
            && previous.crop.aspect == next.crop.aspect;
    }
    matches!(
        (&previous.background, &next.background),
        (Background::Color { .. }, Background::Color { .. })
            | (Background::Blur { .. }, Background::Blur { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(x: f32) -> Stroke {
        Stroke {
            mode: BrushMode::Erase,
            size: 20.0,
            hardness: 100,
            points: vec![[x, 1.0]],
        }
    }

    fn colour(hex: &str) -> Look {
        Look {
            background: Background::Color { hex: hex.into() },
            ..Look::default()
        }
    }

    #[test]
    fn undo_and_redo_walk_strokes_and_looks_in_order() {
        let mut doc = Document::default();
        assert!(!doc.can_undo());
        doc.add_stroke(stroke(1.0));
        doc.set_look(colour("#ff0000"), 0.0);
        doc.add_stroke(stroke(2.0));
        assert_eq!(doc.stroke_count(), 2);
        assert_eq!(doc.look(), &colour("#ff0000"));

        assert!(matches!(doc.undo(), Some(Change::Stroke(_))));
        assert_eq!(doc.stroke_count(), 1);
        assert!(matches!(doc.undo(), Some(Change::Look(_))));
        assert_eq!(doc.look(), &Look::default());
        assert!(doc.can_redo());
        doc.redo();
        assert_eq!(doc.look(), &colour("#ff0000"));
        doc.redo();
        assert_eq!(doc.stroke_count(), 2);
        assert!(doc.redo().is_none());
    }

    #[test]
    fn a_new_step_after_undo_drops_the_redo_branch() {
        let mut doc = Document::default();
        doc.add_stroke(stroke(1.0));
        doc.add_stroke(stroke(2.0));
        doc.undo();
        doc.add_stroke(stroke(3.0));
        assert!(!doc.can_redo());
        let xs: Vec<f32> = doc.strokes().map(|s| s.points[0][0]).collect();
        assert_eq!(xs, [1.0, 3.0]);
    }

    #[test]
    fn dragging_one_control_is_one_step() {
        let mut doc = Document::default();
        doc.set_look(colour("#000001"), 0.0);
        // A second later the picker is dragged: one step for the whole drag.
        doc.set_look(colour("#000002"), 1500.0);
        doc.set_look(colour("#000003"), 1600.0);
        doc.set_look(colour("#000004"), 1700.0);
        assert_eq!(doc.done.len(), 2);
        doc.undo();
        assert_eq!(doc.look(), &colour("#000001"));
        doc.undo();
        assert_eq!(doc.look(), &Look::default());
        doc.redo();
        // A different kind of change is its own step, however quick.
        let blurred = Look {
            background: Background::Blur { strength: 40 },
            ..Look::default()
        };
        doc.set_look(blurred.clone(), 5000.0);
        doc.set_look(blurred, 5001.0);
        assert_eq!(doc.done.len(), 2);
        let mut margin = doc.look().clone();
        margin.crop.enabled = true;
        doc.set_look(margin.clone(), 5100.0);
        margin.crop.margin = 20;
        doc.set_look(margin.clone(), 7000.0);
        margin.crop.margin = 30;
        doc.set_look(margin, 7100.0);
        assert_eq!(doc.done.len(), 4, "enable crop, then one margin drag");
    }

    #[test]
    fn empty_strokes_are_not_steps() {
        let mut doc = Document::default();
        doc.add_stroke(Stroke {
            points: vec![],
            ..stroke(0.0)
        });
        assert!(!doc.can_undo());
    }

    #[test]
    fn survives_a_json_round_trip() {
        let mut doc = Document::new(colour("#123456"));
        doc.add_stroke(stroke(5.5));
        doc.set_look(
            Look {
                background: Background::Preset {
                    id: "studio".into(),
                },
                crop: Crop {
                    enabled: true,
                    margin: 5,
                    aspect: Aspect::Square,
                },
                shadow: Some(Shadow::new(ShadowKind::Contact)),
                outline: Some(Outline {
                    hex: "#00ff00".into(),
                    width: 3,
                }),
                export_side: Some(1600),
            },
            0.0,
        );
        doc.undo();
        let json = serde_json::to_string(&doc).expect("serialises");
        let back: Document = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, doc);
    }

    #[test]
    fn aspect_keys_round_trip() {
        for aspect in Aspect::ALL {
            assert_eq!(Aspect::from_key(aspect.key()), Some(aspect));
        }
        assert_eq!(Aspect::Original.ratio(300, 200), Some(1.5));
        assert_eq!(Aspect::Free.ratio(300, 200), None);
    }

    #[test]
    fn shadow_sliders_coalesce_but_switching_effects_are_steps() {
        let mut doc = Document::default();
        let mut look = Look {
            shadow: Some(Shadow::new(ShadowKind::Drop)),
            ..Look::default()
        };
        doc.set_look(look.clone(), 0.0);
        for (opacity, at) in [(60, 2000.0), (70, 2100.0), (80, 2200.0)] {
            look.shadow = look.shadow.map(|s| Shadow { opacity, ..s });
            doc.set_look(look.clone(), at);
        }
        assert_eq!(doc.done.len(), 2, "the switch, then one slider drag");
        // Another kind, or an outline, is a step of its own however quick.
        look.shadow = Some(Shadow::new(ShadowKind::Contact));
        doc.set_look(look.clone(), 2300.0);
        look.outline = Some(Outline {
            hex: "#ff0000".into(),
            width: 4,
        });
        doc.set_look(look.clone(), 2400.0);
        assert_eq!(doc.done.len(), 4);
        doc.undo();
        assert_eq!(doc.look().outline, None);
        assert_eq!(doc.look().shadow.map(|s| s.kind), Some(ShadowKind::Contact));
    }

    #[test]
    fn a_marketplace_layout_is_one_step_and_is_recognised() {
        let mut look = Look::default();
        assert_eq!(Marketplace::of(&look), None);
        Marketplace::Amazon.apply(&mut look);
        assert_eq!(Marketplace::of(&look), Some(Marketplace::Amazon));
        assert_eq!(look.export_side, Some(2000));
        assert_eq!(look.crop.aspect, Aspect::Square);
        // 9 % each side: the subject fills 1 / 1.18 ≈ 85 % of the square.
        assert!((1.0 / (1.0 + 2.0 * f64::from(look.crop.margin) / 100.0) - 0.85).abs() < 0.01);
        look.crop.margin = 20;
        assert_eq!(
            Marketplace::of(&look),
            None,
            "changed by hand: no longer the preset"
        );
        // Saved before effects existed: still read.
        let old: Look = serde_json::from_str(
            r##"{"background":{"kind":"color","hex":"#ffffff"},"crop":{"enabled":false,"margin":10,"aspect":"free"}}"##,
        )
        .expect("an old look");
        assert_eq!(old.shadow, None);
        assert_eq!(old.export_side, None);
    }
}
