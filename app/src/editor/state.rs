//! The editor's reactive state: what the page shows. Plain data in signals; the browser-only engine
//! (`browser/`) holds the canvases and images and follows these signals.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::document::{Document, Look};
use super::geometry::View;
use super::prefs::Prefs;

/// Where one image in the queue stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    Waiting,
    /// Upload progress in percent.
    Uploading(u8),
    /// Uploaded; the model is working.
    Processing,
    /// Waiting out a busy server before trying again by itself.
    Retrying(u64),
    Done,
    Failed(String),
}

impl ItemStatus {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Uploading(_) => "uploading",
            Self::Processing => "processing",
            Self::Retrying(_) => "retrying",
            Self::Done => "done",
            Self::Failed(_) => "failed",
        }
    }

    /// Still on its way to a cutout (waiting, uploading, cutting out or about to retry).
    pub fn in_progress(&self) -> bool {
        matches!(
            self,
            Self::Waiting | Self::Uploading(_) | Self::Processing | Self::Retrying(_)
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Waiting => "Waiting".into(),
            Self::Uploading(percent) => format!("Uploading {percent} %"),
            Self::Processing => "Cutting out…".into(),
            Self::Retrying(seconds) => format!("Server busy, retrying in {seconds} s"),
            Self::Done => "Ready".into(),
            Self::Failed(message) => message.clone(),
        }
    }
}

/// What the stage says while it shows no image: nothing yet, work under way, or that the photos
/// brought in could not be cut out (never "working" once nothing is).
pub fn stage_message(items: &[ItemView]) -> &'static str {
    if items.is_empty() {
        "Your cutout will appear here."
    } else if items.iter().any(|item| item.status.in_progress()) {
        "Working on it…"
    } else if items.iter().any(|item| item.status == ItemStatus::Done) {
        "Choose an image above to open it."
    } else {
        "That photo could not be cut out; the message says why. Choose another photo to try again."
    }
}

/// A destructive action waiting for the person's yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Clear the whole history, browser and server copies.
    ClearHistory,
    /// Remove one image (id, name).
    Forget(String, String),
}

impl Confirm {
    pub fn question(&self) -> String {
        match self {
            Self::ClearHistory => "Clear the whole history? Every image and edit is deleted from this browser, and the server's copies of the cutouts are deleted too. This cannot be undone.".into(),
            Self::Forget(_, name) => format!(
                "Remove “{name}”? The image and its edits are deleted from this browser, and the server's copy of its cutout is deleted too. This cannot be undone."
            ),
        }
    }

    pub fn action(&self) -> &'static str {
        match self {
            Self::ClearHistory => "Clear history",
            Self::Forget(..) => "Remove image",
        }
    }
}

/// The server's copy of a result: a link valid for 7 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLink {
    /// Path with the key, e.g. `/r/ID?key=KEY`.
    pub url: String,
    /// RFC 3339.
    pub expires: String,
}

impl ResultLink {
    /// `2026-12-05` from the RFC 3339 expiry.
    pub fn expiry_day(&self) -> &str {
        self.expires.get(..10).unwrap_or(&self.expires)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemView {
    pub id: String,
    pub name: String,
    /// An object URL of a small preview.
    pub thumbnail: Option<String>,
    pub status: ItemStatus,
    pub link: Option<ResultLink>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Move,
    Erase,
    Restore,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Self::Move, Self::Erase, Self::Restore];

    pub fn key(self) -> &'static str {
        match self {
            Self::Move => "move",
            Self::Erase => "erase",
            Self::Restore => "restore",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Move => "Move",
            Self::Erase => "Erase",
            Self::Restore => "Restore",
        }
    }

    pub fn shortcut(self) -> &'static str {
        match self {
            Self::Move => "V",
            Self::Erase => "E",
            Self::Restore => "R",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// Every signal the editor's page reads; `Copy`, so closures take it by value.
#[derive(Clone, Copy)]
pub struct Ui {
    pub hydrated: RwSignal<bool>,
    pub items: RwSignal<Vec<ItemView>>,
    pub current: RwSignal<Option<String>>,
    /// The current image's edit; `None` until one is open.
    pub doc: RwSignal<Option<Document>>,
    /// Whether the current image is drawn on the stage.
    pub shown: RwSignal<bool>,
    pub notice: RwSignal<Option<Notice>>,
    pub tool: RwSignal<Tool>,
    pub prefs: RwSignal<Prefs>,
    pub view: RwSignal<View>,
    /// Percent of the stage's width, from the left, that shows the original (0 = none).
    pub compare: RwSignal<u8>,
    pub dragging: RwSignal<bool>,
    pub busy_exporting: RwSignal<bool>,
    /// The photo's size of the open image.
    pub size: RwSignal<Option<(u32, u32)>>,
    /// The size of the result (the crop, or the whole photo).
    pub output: RwSignal<Option<(u32, u32)>>,
    /// The last copy to the clipboard worked (the Copy button says so for a moment).
    pub copied: RwSignal<bool>,
    /// A destructive action waiting for confirmation.
    pub confirm: RwSignal<Option<Confirm>>,
    /// The keyboard shortcuts' help is open.
    pub shortcuts: RwSignal<bool>,
}

/// The photo library's state in the page (a signal of the workspace's own, so none of it is in the
/// first load's code).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Library {
    /// The server has a library (an operator's Pexels key).
    pub available: bool,
    pub searching: bool,
    /// The last search's words and results.
    pub searched: Option<String>,
    pub photos: Vec<LibraryPhoto>,
}

/// One search result, as `GET /api/v1/backgrounds` sends it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct LibraryPhoto {
    pub id: u64,
    #[serde(default)]
    pub alt: String,
    pub photographer: String,
    pub photographer_url: String,
    pub pexels_url: String,
    /// Our own address of its thumbnail.
    pub thumbnail: String,
}

impl Ui {
    pub fn new() -> Self {
        Self {
            hydrated: RwSignal::new(false),
            items: RwSignal::new(Vec::new()),
            current: RwSignal::new(None),
            doc: RwSignal::new(None),
            shown: RwSignal::new(false),
            notice: RwSignal::new(None),
            tool: RwSignal::new(Tool::Move),
            prefs: RwSignal::new(Prefs::default()),
            view: RwSignal::new(View::default()),
            compare: RwSignal::new(0),
            dragging: RwSignal::new(false),
            busy_exporting: RwSignal::new(false),
            size: RwSignal::new(None),
            output: RwSignal::new(None),
            copied: RwSignal::new(false),
            confirm: RwSignal::new(None),
            shortcuts: RwSignal::new(false),
        }
    }

    /// Whether the page these signals belong to is still there (a call that waited for the engine's
    /// chunk may arrive after the person left the page).
    pub fn alive(&self) -> bool {
        self.hydrated.try_get_untracked().is_some()
    }

    pub fn error(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            kind: NoticeKind::Error,
            text: text.into(),
        }));
    }

    pub fn info(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            kind: NoticeKind::Info,
            text: text.into(),
        }));
    }

    /// The look in force for the open image (tracked: views re-run when it changes).
    pub fn look(&self) -> Option<Look> {
        self.doc
            .with(|doc| doc.as_ref().map(|doc| doc.look().clone()))
    }

    /// The same, read without subscribing (for the engine and event handlers).
    pub fn look_untracked(&self) -> Option<Look> {
        self.doc
            .with_untracked(|doc| doc.as_ref().map(|doc| doc.look().clone()))
    }

    /// Changes the open image's look (an undoable step) and remembers the background for the next
    /// image.
    pub fn set_look(&self, change: impl FnOnce(&mut Look)) {
        let Some(mut look) = self.look_untracked() else {
            return;
        };
        change(&mut look);
        let background = look.background.clone();
        let now = now_ms();
        self.doc.update(|doc| {
            if let Some(doc) = doc {
                doc.set_look(look, now);
            }
        });
        if self.prefs.with_untracked(|p| p.background != background) {
            self.prefs.update(|p| p.background = background);
        }
    }

    pub fn undo(&self) {
        self.doc.update(|doc| {
            if let Some(doc) = doc {
                doc.undo();
            }
        });
    }

    pub fn redo(&self) {
        self.doc.update(|doc| {
            if let Some(doc) = doc {
                doc.redo();
            }
        });
    }

    pub fn update_item(&self, id: &str, change: impl FnOnce(&mut ItemView)) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|item| item.id == id) {
                change(item);
            }
        });
    }

    pub fn current_item(&self) -> Option<ItemView> {
        let id = self.current.get()?;
        self.items
            .with(|items| items.iter().find(|item| item.id == id).cloned())
    }
}

/// Milliseconds since the epoch, from the browser's clock (0 on the server, where nothing edits).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

impl Default for Ui {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::document::{Background, Document};

    #[test]
    fn a_look_change_is_an_undoable_step_and_the_next_images_default() {
        // Signals live in a reactive owner (its own arena when leptos sandboxes them).
        Owner::new_root(None).with(look_changes);
    }

    fn look_changes() {
        let ui = Ui::new();
        // Nothing open: nothing changes.
        ui.set_look(|look| look.crop.enabled = true);
        assert_eq!(ui.look(), None);

        ui.doc.set(Some(Document::default()));
        let white = Background::Color {
            hex: "#ffffff".into(),
        };
        ui.set_look(|look| look.background = white.clone());
        assert_eq!(ui.look().map(|l| l.background), Some(white.clone()));
        assert_eq!(ui.prefs.get_untracked().background, white);
        ui.undo();
        assert_eq!(
            ui.look().map(|l| l.background),
            Some(Background::Transparent)
        );
        ui.redo();
        assert_eq!(ui.look().map(|l| l.background), Some(white));
    }

    fn item(status: ItemStatus) -> ItemView {
        ItemView {
            id: "a".into(),
            name: "a.jpg".into(),
            thumbnail: None,
            status,
            link: None,
        }
    }

    #[test]
    fn the_stage_says_working_only_while_something_is() {
        assert_eq!(stage_message(&[]), "Your cutout will appear here.");
        for busy in [
            ItemStatus::Waiting,
            ItemStatus::Uploading(3),
            ItemStatus::Processing,
            ItemStatus::Retrying(2),
        ] {
            assert_eq!(
                stage_message(&[item(ItemStatus::Failed("x".into())), item(busy)]),
                "Working on it…"
            );
        }
        let failed = stage_message(&[item(ItemStatus::Failed("x".into()))]);
        assert!(failed.starts_with("That photo could not be cut out"));
        assert!(stage_message(&[item(ItemStatus::Done)]).starts_with("Choose an image"));
    }

    #[test]
    fn destructive_actions_ask_in_words() {
        let forget = Confirm::Forget("id".into(), "cat.png".into());
        assert!(forget.question().starts_with("Remove “cat.png”?"));
        assert!(
            Confirm::ClearHistory
                .question()
                .contains("cannot be undone")
        );
        assert_eq!(Confirm::ClearHistory.action(), "Clear history");
    }

    #[test]
    fn statuses_read_as_words() {
        assert_eq!(ItemStatus::Uploading(42).describe(), "Uploading 42 %");
        assert_eq!(
            ItemStatus::Retrying(3).describe(),
            "Server busy, retrying in 3 s"
        );
        assert_eq!(ItemStatus::Failed("no".into()).key(), "failed");
        let link = ResultLink {
            url: "/r/a?key=b".into(),
            expires: "2026-12-05T10:00:00+00:00".into(),
        };
        assert_eq!(link.expiry_day(), "2026-12-05");
    }
}
