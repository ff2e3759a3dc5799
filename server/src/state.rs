//! The router's state: the services' application state plus the options Leptos renders with.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

#[derive(Clone, FromRef)]
pub struct ServerState {
    pub app: services::AppState,
    pub leptos_options: LeptosOptions,
}

impl ServerState {
    pub fn new(app: services::AppState) -> Self {
        let config = &app.config;
        let leptos_options = LeptosOptions::builder()
            .output_name("imgigo")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        Self {
            app,
            leptos_options,
        }
    }
}
