//! The editor's markup: intake, queue, stage and the panel of controls. Simple changes go straight
//! into the signals of [`Ui`]; anything needing the browser goes through [`client`].

use leptos::prelude::*;
use leptos_meta::Title;

use super::document::{Aspect, Background, Marketplace, Outline, Shadow, ShadowKind};
use super::geometry::{self, Rect, View};
use super::prefs::ExportFormat;
use super::presets::{LICENSES_URL, PRESETS, SWATCHES, normalise_hex};
use super::state::{Confirm, ItemStatus, Library, NoticeKind, Tool, Ui, stage_message};
use super::{client, engine};

pub const ACCEPT: &str = "image/jpeg,image/png,image/webp";

#[component]
pub fn EditorPage() -> impl IntoView {
    let ui = Ui::new();
    provide_context(ui);
    // Effects run only in the browser, after hydration: the picker works from here on, and the
    // engine's and the workspace's chunks are fetched while the person picks a photo.
    Effect::new(move |_| {
        ui.hydrated.set(true);
        client::start(ui);
        let _ = lazy_preload!(workspace_view);
    });
    on_cleanup(move || client::stop(ui));
    let has_image = move || ui.shown.get();
    // Once a photo is in, the editor takes the screen: the introduction steps aside.
    let has_items = move || ui.items.with(|items| !items.is_empty());
    // The workspace is drawn from the first photo on, and then stays (an emptied history shows
    // its empty stage). Its code is in a chunk of its own, fetched after the page is hydrated.
    let workspace = Memo::new(move |shown: Option<&bool>| shown == Some(&true) || has_items());
    view! {
        <Title text="imgigo · remove image backgrounds, privately"/>
        <section class="hero" hidden=has_items>
            <h1>"Remove the background from any photo"</h1>
            <p class="lede">
                "Free, open source and private: your photo is cut out in memory and deleted as soon as the cutout is made, and never used to train models. The server keeps the cutout encrypted for 7 days so you can download it again; only your link can open it. Your edits stay in this browser. No account needed."
            </p>
        </section>
        <section
            class="editor"
            aria-label="Editor"
            data-hydrated=move || ui.hydrated.get().to_string()
            class:has-image=has_image
            class:has-items=has_items
            on:dragover=move |ev| {
                ev.prevent_default();
                if !ui.dragging.get_untracked() {
                    ui.dragging.set(true);
                }
            }
            on:dragleave=move |_| ui.dragging.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                ui.dragging.set(false);
                client::files_dropped(ui, ev);
            }
        >
            <Intake ui/>
            <Suspense>
                {move || {
                    workspace.get().then(|| Suspend::new(async move { workspace_view(ui).await }))
                }}
            </Suspense>
            <Notices ui/>
        </section>
    }
    .into_any()
}

/// The queue, the stage, the panel of controls and the confirmation dialog: everything that has
/// a use only once there is an image. A split point: this view and the engine behind it are not in
/// the page's first chunk.
#[lazy]
fn workspace_view(ui: Ui) -> AnyView {
    view! {
        <Queue ui/>
        <div class="workspace">
            <Stage ui/>
            <Panel ui/>
        </div>
        <ConfirmDialog ui/>
    }
    .into_any()
}

#[component]
fn Intake(ui: Ui) -> impl IntoView {
    view! {
        <div class="intake" data-testid="dropzone" class:dragging=move || ui.dragging.get()>
            // Before the page's code has loaded, the button cannot work yet: it says so.
            <label
                class="button primary pick"
                data-testid="pick"
                class:not-ready=move || !ui.hydrated.get()
                aria-disabled=move || (!ui.hydrated.get()).to_string()
            >
                <input
                    type="file"
                    class="visually-hidden"
                    data-testid="file-input"
                    accept=ACCEPT
                    multiple
                    disabled=move || !ui.hydrated.get()
                    on:change=move |ev| client::files_chosen(ui, ev)
                />
                {move || if ui.hydrated.get() { "Choose photos" } else { "Loading the editor…" }}
            </label>
            <p class="hint">
                "…or drop them here, or paste with " <kbd>"Ctrl"</kbd> "+" <kbd>"V"</kbd>
                ". JPEG, PNG or WebP."
            </p>
        </div>
    }
    .into_any()
}

#[component]
fn Notices(ui: Ui) -> impl IntoView {
    view! {
        <div class="notices" aria-live="polite" data-testid="notices">
            {move || {
                ui.notice
                    .get()
                    .map(|notice| {
                        let error = notice.kind == NoticeKind::Error;
                        view! {
                            <div
                                class="notice"
                                class:error=error
                                role=if error { "alert" } else { "status" }
                                data-testid="notice"
                            >
                                <p>{notice.text}</p>
                                <button
                                    type="button"
                                    class="button ghost"
                                    aria-label="Dismiss message"
                                    on:click=move |_| ui.notice.set(None)
                                >
                                    "×"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
    .into_any()
}

#[component]
fn Queue(ui: Ui) -> impl IntoView {
    view! {
        <ol class="queue" data-testid="queue" aria-label="Your images">
            <For
                each=move || ui.items.get()
                key=|item| (item.id.clone(), item.status.clone(), item.thumbnail.clone())
                let:item
            >
                {
                    let id = item.id.clone();
                    let select_id = item.id.clone();
                    let forget = Confirm::Forget(item.id.clone(), item.name.clone());
                    let progress = match item.status {
                        ItemStatus::Uploading(p) => Some(p),
                        _ => None,
                    };
                    let status = item.status.describe();
                    let status_title = status.clone();
                    let selectable = item.status == ItemStatus::Done;
                    view! {
                        <li
                            class="queue-item"
                            data-testid="queue-item"
                            data-status=item.status.key()
                            class:current=move || ui.current.get().as_deref() == Some(id.as_str())
                        >
                            <button
                                type="button"
                                class="thumb"
                                disabled=!selectable
                                aria-label=format!("Open {}", item.name)
                                on:click=move |_| engine::select(ui, select_id.clone())
                            >
                                {item
                                    .thumbnail
                                    .map(|src| view! { <img src=src alt="" width="64" height="64"/> })}
                            </button>
                            <span class="queue-name" data-testid="queue-name" title=item.name.clone()>
                                {item.name.clone()}
                            </span>
                            <span class="queue-status" data-testid="queue-status" title=status_title>
                                {status}
                            </span>
                            {progress
                                .map(|p| {
                                    view! {
                                        <progress max="100" value=p.to_string() aria-label="Upload progress"></progress>
                                    }
                                })}
                            <button
                                type="button"
                                class="button ghost small"
                                aria-label=format!("Remove {} from history", item.name)
                                on:click=move |_| ui.confirm.set(Some(forget.clone()))
                            >
                                "×"
                            </button>
                        </li>
                    }
                }
            </For>
        </ol>
    }
    .into_any()
}

#[component]
fn Stage(ui: Ui) -> impl IntoView {
    // The engine may have opened an image before this view arrived: draw it once the canvas is in.
    Effect::new(move |_| engine::redraw(ui));
    let zoom_percent = move || format!("{:.0} %", ui.view.get().zoom * 100.0);
    let brush_tool = move || ui.tool.get() != Tool::Move;
    view! {
        <div class="stage-column">
            <div
                class="stage"
                data-testid="stage"
                data-ready=move || ui.shown.get().to_string()
                data-tool=move || ui.tool.get().key()
                class:brushing=brush_tool
            >
                <canvas
                    id="editor-canvas"
                    data-testid="canvas"
                    aria-label="Result preview"
                    role="img"
                    on:pointerdown=move |ev| engine::pointer(ui, ev)
                    on:pointermove=move |ev| engine::pointer(ui, ev)
                    on:pointerup=move |ev| engine::pointer(ui, ev)
                    on:pointercancel=move |ev| engine::pointer(ui, ev)
                    on:pointerleave=move |ev| engine::pointer(ui, ev)
                    on:wheel=move |ev| engine::wheel(ui, ev)
                ></canvas>
                <p class="stage-empty" data-testid="stage-message" hidden=move || ui.shown.get()>
                    {move || ui.items.with(|items| stage_message(items))}
                </p>
            </div>
            <ActionBar ui/>
            <div class="view-controls" hidden=move || !ui.shown.get()>
                <button
                    type="button"
                    class="button"
                    data-testid="zoom-out"
                    aria-label="Zoom out"
                    on:click=move |_| ui.view.update(|v| *v = v.zoomed(1.0 / 1.25))
                >
                    "−"
                </button>
                <output data-testid="zoom-level" aria-label="Zoom">{zoom_percent}</output>
                <button
                    type="button"
                    class="button"
                    data-testid="zoom-in"
                    aria-label="Zoom in"
                    on:click=move |_| ui.view.update(|v| *v = v.zoomed(1.25))
                >
                    "+"
                </button>
                <button
                    type="button"
                    class="button"
                    data-testid="zoom-fit"
                    on:click=move |_| ui.view.set(View::default())
                >
                    "Fit"
                </button>
                <label class="compare">
                    <span>"Before / after"</span>
                    <input
                        type="range"
                        min="0"
                        max="100"
                        data-testid="compare"
                        prop:value=move || ui.compare.get().to_string()
                        on:input=move |ev| {
                            ui.compare.set(event_target_value(&ev).parse().unwrap_or(0))
                        }
                    />
                </label>
            </div>
        </div>
    }
    .into_any()
}

/// A labelled range input that shows its value.
#[component]
fn Slider(
    label: &'static str,
    /// `data-testid` of the input.
    id: &'static str,
    range: (u32, u32),
    value: impl Fn() -> u32 + Send + Sync + Copy + 'static,
    set: impl Fn(u32) + 'static,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <label class="slider">
            <span>{label} ": " <span class="value">{value}</span></span>
            <input
                type="range"
                min=range.0.to_string()
                max=range.1.to_string()
                data-testid=id
                disabled=move || disabled.get()
                prop:value=move || value().to_string()
                on:input=move |ev| {
                    if let Ok(value) = event_target_value(&ev).parse() {
                        set(value);
                    }
                }
            />
        </label>
    }
    .into_any()
}

#[component]
fn Panel(ui: Ui) -> impl IntoView {
    let disabled = move || !ui.shown.get();
    view! {
        <div class="panel">
            <BackgroundControls ui disabled/>
            <RefineControls ui disabled/>
            <CropControls ui disabled/>
            <EffectControls ui disabled/>
            <MarketplaceControls ui disabled/>
            <ServerCopy ui/>
            <HistoryControls ui/>
        </div>
    }
    .into_any()
}

fn current_background(ui: Ui) -> Option<Background> {
    ui.doc
        .with(|doc| doc.as_ref().map(|doc| doc.look().background.clone()))
}

#[component]
fn BackgroundControls(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let kind = move || current_background(ui).map(|b| b.kind());
    let colour = move || match current_background(ui) {
        Some(Background::Color { hex }) => hex,
        _ => "#ffffff".to_string(),
    };
    let blur = move || match current_background(ui) {
        Some(Background::Blur { strength }) => strength,
        _ => 40,
    };
    // A colour picked with the picker rather than a swatch: the picker shows it is in use.
    let custom_colour = move || match current_background(ui) {
        Some(Background::Color { hex }) => !SWATCHES.iter().any(|(swatch, _)| *swatch == hex),
        _ => false,
    };
    let own = move || kind() == Some("own");
    let set_colour = move |hex: String| {
        if let Some(hex) = normalise_hex(&hex) {
            ui.set_look(|look| look.background = Background::Color { hex });
        }
    };
    let swatches = SWATCHES
        .into_iter()
        .map(|(hex, name)| {
            view! {
                <button
                    type="button"
                    class="swatch-dot"
                    data-testid=format!("swatch-{}", hex.trim_start_matches('#'))
                    aria-label=name
                    title=name
                    disabled=disabled
                    aria-pressed=move || (current_background(ui) == Some(Background::Color { hex: hex.to_string() })).to_string()
                    on:click=move |_| set_colour(hex.to_string())
                ></button>
            }
        })
        .collect_view();
    let presets = PRESETS
        .into_iter()
        .map(|preset| {
            let id = preset.id;
            view! {
                <button
                    type="button"
                    class="preset"
                    data-testid=format!("preset-{id}")
                    disabled=disabled
                    aria-pressed=move || (current_background(ui) == Some(Background::Preset { id: id.to_string() })).to_string()
                    on:click=move |_| ui.set_look(|look| look.background = Background::Preset { id: id.to_string() })
                >
                    <img src=preset.thumbnail() alt="" width="72" height="54" loading="lazy"/>
                    <span>{preset.label}</span>
                </button>
            }
        })
        .collect_view();
    view! {
        <fieldset class="group" data-testid="backgrounds">
            <legend>"Background"</legend>
            <div class="choices">
                <button
                    type="button"
                    class="choice"
                    data-testid="bg-transparent"
                    disabled=disabled
                    aria-pressed=move || (kind() == Some("transparent")).to_string()
                    on:click=move |_| ui.set_look(|look| look.background = Background::Transparent)
                >
                    "Transparent"
                </button>
                <button
                    type="button"
                    class="choice"
                    data-testid="bg-blur"
                    disabled=disabled
                    aria-pressed=move || (kind() == Some("blur")).to_string()
                    on:click=move |_| {
                        ui.set_look(|look| look.background = Background::Blur { strength: blur() })
                    }
                >
                    "Blur photo"
                </button>
            </div>
            <div class="colours">
                <label class="colour-picker" class:selected=custom_colour data-testid="bg-color-label">
                    <span>
                        "Colour"
                        <span class="visually-hidden" hidden=move || !custom_colour()>
                            " (in use)"
                        </span>
                    </span>
                    <input
                        type="color"
                        data-testid="bg-color"
                        disabled=disabled
                        prop:value=colour
                        on:input=move |ev| set_colour(event_target_value(&ev))
                    />
                </label>
                <div class="swatches" role="group" aria-label="Colour swatches">
                    {swatches}
                </div>
            </div>
            <div hidden=move || kind() != Some("blur")>
                <Slider
                    label="Blur strength"
                    id="blur-strength"
                    range=(1, 100)
                    value=move || u32::from(blur())
                    set=move |strength| {
                        let strength = strength.clamp(1, 100) as u8;
                        ui.set_look(|look| look.background = Background::Blur { strength });
                    }
                />
            </div>
            <div class="presets" role="group" aria-label="Photos">
                {presets}
            </div>
            <label class="button own-background" class:selected=own data-testid="bg-own">
                <input
                    type="file"
                    class="visually-hidden"
                    accept=ACCEPT
                    data-testid="bg-own-input"
                    disabled=disabled
                    on:change=move |ev| engine::own_background(ui, ev)
                />
                {move || if own() { "Your own image ✓ · choose another…" } else { "Use my own image…" }}
            </label>
            <p class="fine-print">
                "Photos are free to use: " <a href=LICENSES_URL>"sources and licences"</a> "."
            </p>
            <LibrarySearch ui disabled/>
        </fieldset>
    }
    .into_any()
}

/// Pexels photos as backgrounds, searched through our server (shown only where it has a library),
/// and the credit for the one in use.
#[component]
fn LibrarySearch(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let signal = RwSignal::new(Library::default());
    // Once, in the browser: does the server have a library?
    Effect::new(move |_| engine::check_library(ui, signal));
    let library = move || signal.get();
    let in_use = move || match current_background(ui) {
        Some(Background::Library {
            photographer,
            photographer_url,
            pexels_url,
            ..
        }) => Some((photographer, photographer_url, pexels_url)),
        _ => None,
    };
    let results = move || {
        library()
            .photos
            .into_iter()
            .map(|photo| {
                let chosen = Background::Library {
                    id: photo.id,
                    photographer: photo.photographer.clone(),
                    photographer_url: photo.photographer_url.clone(),
                    pexels_url: photo.pexels_url.clone(),
                };
                let pressed = chosen.clone();
                let label = format!("{} — photo by {}", photo.alt, photo.photographer);
                view! {
                    <button
                        type="button"
                        class="preset"
                        data-testid="library-photo"
                        title=label.clone()
                        aria-label=label
                        disabled=disabled
                        aria-pressed=move || (current_background(ui).as_ref() == Some(&pressed)).to_string()
                        on:click=move |_| {
                            let chosen = chosen.clone();
                            ui.set_look(|look| look.background = chosen)
                        }
                    >
                        <img src=photo.thumbnail alt="" width="72" height="54" loading="lazy"/>
                        <span>{photo.photographer}</span>
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <form
            class="library"
            data-testid="library"
            hidden=move || !library().available
            on:submit=move |ev| {
                ev.prevent_default();
                engine::search_library(ui, signal, query.get_untracked());
            }
        >
            <label class="select">
                <span>"Search photos from Pexels"</span>
                <input
                    type="search"
                    data-testid="library-query"
                    maxlength="100"
                    disabled=disabled
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </label>
            <button
                type="submit"
                class="button"
                data-testid="library-search"
                disabled=move || disabled() || library().searching
            >
                {move || if library().searching { "Searching…" } else { "Search" }}
            </button>
            <p class="fine-print" hidden=move || library().searched.is_none() || !library().photos.is_empty()>
                "No photos found for that. Try other words."
            </p>
            <div class="presets" role="group" aria-label="Pexels photos">{results}</div>
        </form>
        {move || {
            in_use()
                .map(|(photographer, photographer_url, pexels_url)| {
                    view! {
                        <p class="fine-print" data-testid="library-credit">
                            "Photo by "
                            <a href=photographer_url rel="noopener noreferrer" target="_blank">{photographer}</a>
                            " on "
                            <a href=pexels_url rel="noopener noreferrer" target="_blank">"Pexels"</a>
                        </p>
                    }
                })
        }}
    }
    .into_any()
}

#[component]
fn RefineControls(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let tools = Tool::ALL
        .into_iter()
        .map(|tool| {
            view! {
                <button
                    type="button"
                    class="choice"
                    data-testid=format!("tool-{}", tool.key())
                    disabled=disabled
                    aria-pressed=move || (ui.tool.get() == tool).to_string()
                    aria-keyshortcuts=tool.shortcut()
                    title=format!("{} ({})", tool.label(), tool.shortcut())
                    on:click=move |_| ui.tool.set(tool)
                >
                    {tool.label()}
                </button>
            }
        })
        .collect_view();
    let can_undo = move || ui.doc.with(|d| d.as_ref().is_some_and(|d| d.can_undo()));
    let can_redo = move || ui.doc.with(|d| d.as_ref().is_some_and(|d| d.can_redo()));
    view! {
        <fieldset class="group">
            <legend>"Refine"</legend>
            <div class="choices" role="group" aria-label="Tool">{tools}</div>
            <Slider
                label="Brush size"
                id="brush-size"
                range=(4, 200)
                value=move || ui.prefs.get().brush_size
                set=move |size| ui.prefs.update(|p| p.brush_size = size)
            />
            <Slider
                label="Hardness"
                id="brush-hardness"
                range=(0, 100)
                value=move || u32::from(ui.prefs.get().hardness)
                set=move |hardness| ui.prefs.update(|p| p.hardness = hardness.min(100) as u8)
            />
            <div class="choices">
                <button
                    type="button"
                    class="button"
                    data-testid="undo"
                    aria-keyshortcuts="Control+Z"
                    disabled=move || !can_undo()
                    on:click=move |_| ui.undo()
                >
                    "Undo"
                </button>
                <button
                    type="button"
                    class="button"
                    data-testid="redo"
                    aria-keyshortcuts="Control+Shift+Z"
                    disabled=move || !can_redo()
                    on:click=move |_| ui.redo()
                >
                    "Redo"
                </button>
            </div>
            <Shortcuts/>
        </fieldset>
    }
    .into_any()
}

#[component]
fn CropControls(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let crop = move || ui.look().map(|look| look.crop).unwrap_or_default();
    let aspects = Aspect::ALL
        .into_iter()
        .map(|aspect| {
            view! {
                <option value=aspect.key() prop:selected=move || crop().aspect == aspect>
                    {aspect.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <fieldset class="group">
            <legend>"Crop"</legend>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="crop-enabled"
                    disabled=disabled
                    prop:checked=move || crop().enabled
                    on:change=move |ev| {
                        let enabled = event_target_checked(&ev);
                        ui.set_look(|look| look.crop.enabled = enabled);
                    }
                />
                "Crop to the subject"
            </label>
            <Slider
                label="Margin (%)"
                id="crop-margin"
                range=(0, 50)
                disabled=Signal::derive(move || disabled() || !crop().enabled)
                value=move || u32::from(crop().margin)
                set=move |margin| ui.set_look(|look| look.crop.margin = margin.min(50) as u8)
            />
            <label class="select">
                <span>"Shape"</span>
                <select
                    data-testid="crop-aspect"
                    disabled=move || disabled() || !crop().enabled
                    on:change=move |ev| {
                        if let Some(aspect) = Aspect::from_key(&event_target_value(&ev)) {
                            ui.set_look(|look| look.crop.aspect = aspect);
                        }
                    }
                >
                    {aspects}
                </select>
            </label>
        </fieldset>
    }
    .into_any()
}

/// A shadow under the subject and an outline around it.
#[component]
fn EffectControls(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let shadow = move || ui.look().and_then(|look| look.shadow);
    let outline = move || ui.look().and_then(|look| look.outline);
    let no_shadow = Signal::derive(move || disabled() || shadow().is_none());
    let set_shadow = move |change: fn(&mut Shadow, i32), value: u32| {
        ui.set_look(|look| {
            if let Some(shadow) = look.shadow.as_mut() {
                change(shadow, value as i32);
            }
        });
    };
    let offset =
        move |axis: usize| shadow().map_or(50, |s| (i32::from(s.offset[axis]) + 50) as u32);
    let outline_width = move || outline().map_or(0, |o| u32::from(o.width));
    let outline_colour = move || outline().map_or_else(|| "#ffffff".to_string(), |o| o.hex);
    view! {
        <fieldset class="group">
            <legend>"Shadow and outline"</legend>
            <label class="select">
                <span>"Shadow"</span>
                <select
                    data-testid="shadow-kind"
                    disabled=disabled
                    on:change=move |ev| {
                        let kind = match event_target_value(&ev).as_str() {
                            "drop" => Some(ShadowKind::Drop),
                            "contact" => Some(ShadowKind::Contact),
                            _ => None,
                        };
                        ui.set_look(|look| look.shadow = kind.map(Shadow::new));
                    }
                >
                    <option value="none" prop:selected=move || shadow().is_none()>"None"</option>
                    <option value="drop" prop:selected=move || shadow().map(|s| s.kind) == Some(ShadowKind::Drop)>
                        "Drop shadow"
                    </option>
                    <option value="contact" prop:selected=move || shadow().map(|s| s.kind) == Some(ShadowKind::Contact)>
                        "Contact shadow"
                    </option>
                </select>
            </label>
            <Slider
                label="Opacity (%)"
                id="shadow-opacity"
                range=(0, 100)
                disabled=no_shadow
                value=move || shadow().map_or(50, |s| u32::from(s.opacity))
                set=move |v| set_shadow(|s, v| s.opacity = v.clamp(0, 100) as u8, v)
            />
            <Slider
                label="Softness (%)"
                id="shadow-softness"
                range=(0, 100)
                disabled=no_shadow
                value=move || shadow().map_or(50, |s| u32::from(s.softness))
                set=move |v| set_shadow(|s, v| s.softness = v.clamp(0, 100) as u8, v)
            />
            <Slider
                label="Offset across (50 = none)"
                id="shadow-offset-x"
                range=(0, 100)
                disabled=no_shadow
                value=move || offset(0)
                set=move |v| set_shadow(|s, v| s.offset[0] = (v - 50).clamp(-50, 50) as i8, v)
            />
            <Slider
                label="Offset down (50 = none)"
                id="shadow-offset-y"
                range=(0, 100)
                disabled=no_shadow
                value=move || offset(1)
                set=move |v| set_shadow(|s, v| s.offset[1] = (v - 50).clamp(-50, 50) as i8, v)
            />
            <Slider
                label="Outline (px, 0 = none)"
                id="outline-width"
                range=(0, 100)
                disabled=Signal::derive(disabled)
                value=outline_width
                set=move |width| {
                    ui.set_look(|look| {
                        let hex = look.outline.as_ref().map_or_else(|| "#ffffff".to_string(), |o| o.hex.clone());
                        look.outline = (width > 0).then(|| Outline { hex, width: width.min(100) as u8 });
                    })
                }
            />
            <label class="select">
                <span>"Outline colour"</span>
                <input
                    type="color"
                    data-testid="outline-color"
                    disabled=move || disabled() || outline().is_none()
                    prop:value=outline_colour
                    on:input=move |ev| {
                        if let Some(hex) = normalise_hex(&event_target_value(&ev)) {
                            ui.set_look(|look| {
                                if let Some(outline) = look.outline.as_mut() {
                                    outline.hex = hex;
                                }
                            });
                        }
                    }
                />
            </label>
        </fieldset>
    }
    .into_any()
}

/// Marketplace layouts in one click, and back to the full resolution.
#[component]
fn MarketplaceControls(
    ui: Ui,
    disabled: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let current = move || ui.look().and_then(|look| Marketplace::of(&look));
    let sized = move || ui.look().is_some_and(|look| look.export_side.is_some());
    let markets = Marketplace::ALL
        .into_iter()
        .map(|market| {
            view! {
                <button
                    type="button"
                    class="choice"
                    data-testid=format!("market-{}", market.key())
                    disabled=disabled
                    aria-pressed=move || (current() == Some(market)).to_string()
                    on:click=move |_| ui.set_look(|look| market.apply(look))
                >
                    {market.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <fieldset class="group">
            <legend>"Marketplace"</legend>
            <p class="fine-print">
                "White background, square, the subject filling 85 % (Amazon) or 90 % (eBay), exported at the marketplace's size."
            </p>
            <div class="choices">{markets}</div>
            <button
                type="button"
                class="button"
                data-testid="market-none"
                disabled=move || disabled() || !sized()
                on:click=move |_| ui.set_look(|look| look.export_side = None)
            >
                "Export at full resolution"
            </button>
        </fieldset>
    }
    .into_any()
}

/// The main actions, right under the result: download in a format, or copy.
#[component]
fn ActionBar(ui: Ui) -> impl IntoView {
    let formats = ExportFormat::ALL
        .into_iter()
        .map(|format| {
            view! {
                <option value=format.key() prop:selected=move || ui.prefs.get().format == format>
                    {format.label()}
                </option>
            }
        })
        .collect_view();
    let disabled = move || !ui.shown.get() || ui.busy_exporting.get();
    let size = move || {
        let (w, h) = ui.output.get().or(ui.size.get())?;
        if let Some(side) = ui.look().and_then(|look| look.export_side) {
            let output = Rect {
                x: 0,
                y: 0,
                width: w,
                height: h,
            };
            let (_, w, h) = geometry::export_size(output, Some(side));
            return Some(format!("Marketplace size: {w} × {h} pixels"));
        }
        let cropped = ui.output.get() != ui.size.get();
        Some(format!(
            "Full resolution: {w} × {h} pixels{}",
            if cropped { " (cropped)" } else { "" }
        ))
    };
    view! {
        <div class="actions" data-testid="actions" hidden=move || !ui.shown.get()>
            <button
                type="button"
                class="button primary"
                data-testid="download"
                disabled=disabled
                on:click=move |_| engine::export(ui, false)
            >
                "Download"
            </button>
            <label class="select format">
                <span class="visually-hidden">"Format"</span>
                <select
                    data-testid="export-format"
                    on:change=move |ev| {
                        if let Some(format) = ExportFormat::from_key(&event_target_value(&ev)) {
                            ui.prefs.update(|p| p.format = format);
                        }
                    }
                >
                    {formats}
                </select>
            </label>
            <button
                type="button"
                class="button"
                data-testid="copy"
                class:done=move || ui.copied.get()
                disabled=disabled
                on:click=move |_| engine::export(ui, true)
            >
                {move || if ui.copied.get() { "Copied ✓" } else { "Copy" }}
            </button>
            <p class="fine-print" data-testid="export-size">{size}</p>
        </div>
    }
    .into_any()
}

/// The link to the server's encrypted copy of the cutout, for downloading it again.
#[component]
fn ServerCopy(ui: Ui) -> impl IntoView {
    let link = move || ui.current_item().and_then(|item| item.link);
    view! {
        <fieldset class="group" hidden=move || link().is_none()>
            <legend>"Download again"</legend>
            {move || {
                link()
                    .map(|link| {
                        view! {
                            <p class="result-link">
                                "The server keeps an encrypted copy of the cutout, without your edits, until "
                                <time datetime=link.expires.clone()>{link.expiry_day().to_string()}</time>
                                ": "
                                <a href=link.url.clone() data-testid="result-link" download="">
                                    "download it again"
                                </a>
                                ". Only this link can open it; Remove or Clear history deletes it sooner."
                            </p>
                        }
                    })
            }}
        </fieldset>
    }
    .into_any()
}

/// The keyboard shortcuts, one press of <kbd>?</kbd> away.
#[component]
fn Shortcuts() -> impl IntoView {
    const KEYS: [(&[&str], &str); 9] = [
        (&["V"], "Move the picture"),
        (&["E"], "Erase brush"),
        (&["R"], "Restore brush"),
        (&["[", "]"], "Smaller / larger brush"),
        (&["Ctrl", "Z"], "Undo"),
        (&["Ctrl", "Shift", "Z"], "Redo"),
        (&["+", "−"], "Zoom in / out"),
        (&["0"], "Fit to the stage"),
        (&["Ctrl", "V"], "Paste a photo"),
    ];
    let rows = KEYS
        .into_iter()
        .map(|(keys, what)| {
            let keys = keys
                .iter()
                .map(|key| view! { <kbd>{*key}</kbd> })
                .collect_view();
            view! {
                <dt>{keys}</dt>
                <dd>{what}</dd>
            }
        })
        .collect_view();
    view! {
        <details class="shortcuts" id="shortcuts" data-testid="shortcuts">
            <summary aria-keyshortcuts="?">"Keyboard shortcuts " <kbd>"?"</kbd></summary>
            <dl>{rows}</dl>
        </details>
    }
    .into_any()
}

/// Asks before anything is deleted: Clear history, or removing one image.
#[component]
fn ConfirmDialog(ui: Ui) -> impl IntoView {
    view! {
        {move || {
            ui.confirm
                .get()
                .map(|confirm| {
                    let question = confirm.question();
                    let action = confirm.action();
                    view! {
                        <div class="confirm-backdrop">
                            <div
                                class="confirm"
                                role="alertdialog"
                                aria-modal="true"
                                aria-labelledby="confirm-question"
                                data-testid="confirm"
                            >
                                <p id="confirm-question">{question}</p>
                                <div class="choices">
                                    <button
                                        type="button"
                                        class="button danger"
                                        data-testid="confirm-yes"
                                        on:click=move |_| {
                                            ui.confirm.set(None);
                                            match &confirm {
                                                Confirm::ClearHistory => engine::clear_history(ui),
                                                Confirm::Forget(id, _) => engine::forget(ui, id.clone()),
                                            }
                                        }
                                    >
                                        {action}
                                    </button>
                                    <button
                                        type="button"
                                        class="button"
                                        data-testid="confirm-no"
                                        on:click=move |_| ui.confirm.set(None)
                                    >
                                        "Cancel"
                                    </button>
                                </div>
                            </div>
                        </div>
                    }
                })
        }}
    }
    .into_any()
}

#[component]
fn HistoryControls(ui: Ui) -> impl IntoView {
    view! {
        <fieldset class="group">
            <legend>"This browser"</legend>
            <p class="fine-print">
                "Your images and edits are kept only in this browser, so a reload brings them back."
            </p>
            <button
                type="button"
                class="button danger"
                data-testid="clear-history"
                disabled=move || ui.items.with(|items| items.is_empty())
                on:click=move |_| ui.confirm.set(Some(Confirm::ClearHistory))
            >
                "Clear history"
            </button>
        </fieldset>
    }
    .into_any()
}
