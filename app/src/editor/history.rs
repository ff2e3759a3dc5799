//! Which images leave the browser's history: the oldest first, never the one being added.

/// How many images the history keeps.
pub const KEEP: usize = 20;

/// The image to drop so a new one fits: the oldest that is not `adding`. `ids` are oldest first.
pub fn make_room<'a>(ids: &'a [String], adding: &str) -> Option<&'a str> {
    ids.iter().map(String::as_str).find(|id| *id != adding)
}

/// The images beyond the history's size, oldest first. `ids` are oldest first.
pub fn over_limit(ids: &[String], keep: usize) -> &[String] {
    &ids[..ids.len().saturating_sub(keep)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn room_is_made_by_dropping_the_oldest_other_image() {
        let list = ids(&["a", "b", "new"]);
        assert_eq!(make_room(&list, "new"), Some("a"));
        assert_eq!(make_room(&ids(&["new", "b"]), "new"), Some("b"));
        assert_eq!(
            make_room(&ids(&["new"]), "new"),
            None,
            "nothing else to drop"
        );
        assert_eq!(make_room(&[], "new"), None);
    }

    #[test]
    fn the_history_keeps_the_newest() {
        let list = ids(&["a", "b", "c", "d"]);
        assert_eq!(over_limit(&list, 2), &ids(&["a", "b"])[..]);
        assert!(over_limit(&list, 4).is_empty());
        assert!(over_limit(&list, KEEP).is_empty());
    }
}
