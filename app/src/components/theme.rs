//! The colour theme: the device's, light or dark. Chosen in the footer of every page and kept in
//! this browser's localStorage (`imgigo.theme`), written only when a person picks one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The localStorage key of the choice.
pub const STORAGE_KEY: &str = "imgigo.theme";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Self::System, Self::Light, Self::Dark];

    pub fn key(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::System => "Match my device",
            Self::Light => "Light",
            Self::Dark => "Dark",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|theme| theme.key() == key)
    }
}

/// The theme this browser chose, if any. Earlier versions kept it among the editor's preferences
/// (`imgigo.prefs`); such a choice is moved to its own key the first time it is read. (Read with
/// the browser's own JSON rather than serde: this runs on the first load of every page.)
#[cfg(feature = "hydrate")]
pub fn saved() -> Theme {
    let Some(storage) = storage() else {
        return Theme::System;
    };
    let stored = |key: &str| {
        let text = storage.get_item(key).ok().flatten()?;
        js_sys::JSON::parse(&text).ok()
    };
    if let Some(theme) = stored(STORAGE_KEY)
        .and_then(|value| value.as_string())
        .and_then(|key| Theme::from_key(&key))
    {
        return theme;
    }
    let earlier = stored(crate::editor::prefs::STORAGE_KEY)
        .and_then(|prefs| js_sys::Reflect::get(&prefs, &"theme".into()).ok())
        .and_then(|value| value.as_string())
        .and_then(|key| Theme::from_key(&key));
    match earlier {
        Some(theme) => {
            save(theme);
            theme
        }
        None => Theme::System,
    }
}

/// Keeps `theme` in localStorage, as a JSON string (`"dark"`).
#[cfg(feature = "hydrate")]
fn save(theme: Theme) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, &format!("\"{}\"", theme.key()));
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Puts `theme` on the document (`<html data-theme>`; none for the device's).
#[cfg(feature = "hydrate")]
pub fn apply(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme {
        Theme::System => root.remove_attribute("data-theme"),
        other => root.set_attribute("data-theme", other.key()),
    };
}

/// The theme picker in the footer. The server renders the device's theme; the browser shows (and
/// applies) the saved choice once the page is hydrated.
#[component]
pub fn ThemeSelect() -> impl IntoView {
    let theme = RwSignal::new(Theme::System);
    // Effects run only in the browser.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let chosen = saved();
            apply(chosen);
            theme.set(chosen);
        }
    });
    let options = Theme::ALL
        .into_iter()
        .map(|option| {
            view! {
                <option value=option.key() prop:selected=move || theme.get() == option>
                    {option.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <label class="theme-select">
            <span>"Theme"</span>
            <select
                data-testid="theme"
                on:change=move |ev| {
                    let Some(chosen) = Theme::from_key(&event_target_value(&ev)) else {
                        return;
                    };
                    theme.set(chosen);
                    #[cfg(feature = "hydrate")]
                    {
                        apply(chosen);
                        save(chosen);
                    }
                }
            >
                {options}
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_theme_and_the_stored_form_is_the_key() {
        for theme in Theme::ALL {
            assert_eq!(Theme::from_key(theme.key()), Some(theme));
            assert_eq!(
                serde_json::to_string(&theme).expect("serialises"),
                format!("\"{}\"", theme.key())
            );
        }
        assert_eq!(Theme::from_key("purple"), None);
    }
}
