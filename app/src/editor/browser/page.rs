//! The page around the canvas: keyboard focus, scrolling what matters into view, and the keyboard
//! shortcuts' help.

use super::dom;

/// Gives the keyboard's focus to the element `selector` finds.
pub(super) fn focus(selector: &str) {
    if let Some(element) = dom::element(selector) {
        let _ = element.focus();
    }
}

/// Scrolls the queue sideways (never the page) so the current image is in its middle.
pub(super) fn reveal_current_in_queue() {
    if let (Some(queue), Some(item)) = (dom::element(".queue"), dom::element(".queue-item.current"))
    {
        let left = item.offset_left() - (queue.client_width() - item.offset_width()) / 2;
        queue.set_scroll_left(left.max(0));
    }
}

/// Brings a new result into view when it is not all on screen (the page may be scrolled, or the
/// screen small): the stage at the top, the actions and backgrounds below it.
pub(super) fn reveal_result() {
    let Ok(window) = dom::window() else {
        return;
    };
    let Some(column) = dom::element(".stage-column") else {
        return;
    };
    let rect = column.get_bounding_client_rect();
    let height = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    if rect.top() < 0.0 || rect.bottom() > height {
        column.scroll_into_view_with_bool(true);
    }
}

/// Opens, closes (`Some`) or flips (`None`) the keyboard shortcuts' help.
pub(super) fn toggle_shortcuts(open: Option<bool>) {
    let Some(details) = dom::document()
        .ok()
        .and_then(|d| d.get_element_by_id("shortcuts"))
    else {
        return;
    };
    let open = open.unwrap_or(!details.has_attribute("open"));
    let _ = if open {
        details.set_attribute("open", "")
    } else {
        details.remove_attribute("open")
    };
    if open {
        details.scroll_into_view_with_bool(false);
    }
}
