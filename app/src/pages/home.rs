use leptos::prelude::*;
use leptos_meta::Title;

/// The backgrounds a cutout can be previewed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backdrop {
    Transparent,
    White,
    Black,
    Blur,
}

impl Backdrop {
    pub const ALL: [Backdrop; 4] = [Self::Transparent, Self::White, Self::Black, Self::Blur];

    pub fn key(self) -> &'static str {
        match self {
            Self::Transparent => "transparent",
            Self::White => "white",
            Self::Black => "black",
            Self::Blur => "blur",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Transparent => "Transparent",
            Self::White => "White",
            Self::Black => "Black",
            Self::Blur => "Blurred photo",
        }
    }
}

/// `/`: where the editor lives. Today it shows the preview stage and its background picker, which
/// works only once the page is hydrated.
#[component]
pub fn HomePage() -> impl IntoView {
    let (backdrop, set_backdrop) = signal(Backdrop::Transparent);
    // Effects run only in the browser, after hydration: the marker tells people's tools (and the
    // browser tests) that the controls are live.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let choices = Backdrop::ALL
        .into_iter()
        .map(|choice| {
            view! {
                <button
                    type="button"
                    class="swatch"
                    data-backdrop=choice.key()
                    data-testid=format!("backdrop-{}", choice.key())
                    aria-pressed=move || (backdrop.get() == choice).to_string()
                    on:click=move |_| set_backdrop.set(choice)
                >
                    {choice.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <Title text="imgigo · remove image backgrounds, privately"/>
        <section class="hero">
            <h1>"Remove the background from any photo"</h1>
            <p class="lede">
                "Free, open source and private: your photo is processed in memory, never kept in plain form, and never used to train models. No account needed."
            </p>
        </section>
        <section class="editor" aria-label="Editor" data-hydrated=move || hydrated.get().to_string()>
            <div class="stage" data-testid="stage" data-backdrop=move || backdrop.get().key()>
                <div class="subject" aria-hidden="true"></div>
            </div>
            <div class="toolbar">
                <fieldset class="backdrops">
                    <legend>"Background"</legend>
                    {choices}
                </fieldset>
                <p class="status" aria-live="polite" data-testid="backdrop-status">
                    "Background: " {move || backdrop.get().label()}
                </p>
            </div>
        </section>
    }
}
