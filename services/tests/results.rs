//! The result store keeps its promises: only the link's key opens a result, results are gone after
//! 7 days (a clock moved by hand), spilled results are ciphertext on disk, early deletes work and
//! every failure looks the same from outside.

use chrono::TimeDelta;
use services::ErrorKind;
use services::results::{ResultId, ResultKey, ResultStore, StoreLimits};
use services::testing::ManualClock;

/// Bytes that stand out in a file scan.
fn distinctive(seed: u8) -> Vec<u8> {
    (0..4096u32)
        .map(|i| (i.wrapping_mul(31) as u8) ^ seed ^ 0x5A)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|entry| std::fs::read(entry.path()).expect("file"))
        .collect()
}

#[test]
fn a_result_opens_with_its_key_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp");
    let store =
        ResultStore::open(dir.path(), StoreLimits::default(), ManualClock::new()).expect("store");
    let (id, key) = store.put("image/png", b"the cutout").expect("put");
    let opened = store.get(&id, &key).expect("get");
    assert_eq!(opened.content_type, "image/png");
    assert_eq!(&opened.bytes[..], b"the cutout");

    let wrong_key = store
        .get(&id, &ResultKey::parse(&"A".repeat(43)).expect("key"))
        .err();
    let unknown_id = store
        .get(
            &ResultId::parse("AAAAAAAAAAAAAAAAAAAAAA").expect("id"),
            &key,
        )
        .err();
    for err in [wrong_key, unknown_id] {
        let err = err.expect("refused");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.public_message(), "result not found");
    }
}

#[test]
fn results_expire_after_seven_days_and_the_janitor_destroys_them() {
    let dir = tempfile::tempdir().expect("temp");
    let clock = ManualClock::new();
    // A budget of zero bytes: every result goes to disk, so the janitor must delete files too.
    let store = ResultStore::open(
        dir.path(),
        StoreLimits {
            ram_bytes: 0,
            ..StoreLimits::default()
        },
        clock.clone(),
    )
    .expect("store");
    let (old, old_key) = store.put("image/png", &distinctive(1)).expect("put");
    clock.advance(TimeDelta::days(3));
    let (young, young_key) = store.put("image/png", &distinctive(2)).expect("put");
    assert_eq!(files(dir.path()).len(), 2);

    clock.advance(TimeDelta::days(4) - TimeDelta::seconds(1));
    assert!(store.get(&old, &old_key).is_ok(), "still within 7 days");
    clock.advance(TimeDelta::seconds(1));
    assert_eq!(
        store.get(&old, &old_key).err().map(|e| e.kind()),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(store.purge_expired(), 1);
    assert_eq!(files(dir.path()).len(), 1, "the expired file is gone");
    assert!(store.get(&young, &young_key).is_ok());

    clock.advance(TimeDelta::days(3));
    assert_eq!(store.purge_expired(), 1);
    assert!(files(dir.path()).is_empty());
    assert_eq!(store.usage(), (0, 0));
}

#[test]
fn spilled_results_are_ciphertext_on_disk_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp");
    let clock = ManualClock::new();
    let limits = StoreLimits {
        ram_bytes: 6000,
        ..StoreLimits::default()
    };
    let store = ResultStore::open(dir.path(), limits, clock.clone()).expect("store");
    let results: Vec<_> = (0..4u8)
        .map(|seed| {
            (
                seed,
                store.put("image/webp", &distinctive(seed)).expect("put"),
            )
        })
        .collect();
    let (count, ram) = store.usage();
    assert_eq!(count, 4);
    assert!(ram <= 6000, "RAM within budget: {ram}");
    let on_disk = files(dir.path());
    assert_eq!(on_disk.len(), 3, "the oldest three spilled");
    for file in &on_disk {
        for (seed, _) in &results {
            assert!(
                !contains(file, &distinctive(*seed)[..64]),
                "plaintext on disk"
            );
        }
        assert!(!contains(file, b"image/webp"), "even the type is sealed");
    }
    for (seed, (id, key)) in &results {
        assert_eq!(
            &store.get(id, key).expect("get").bytes[..],
            &distinctive(*seed)[..]
        );
    }

    // A new process finds the spilled results (the RAM one died with the old process).
    drop(store);
    std::fs::write(dir.path().join("leftover.tmp"), b"half a write").expect("tmp");
    let reopened = ResultStore::open(dir.path(), limits, clock).expect("reopen");
    assert_eq!(reopened.usage().0, 3);
    assert!(!dir.path().join("leftover.tmp").exists());
    let (seed, (id, key)) = &results[0];
    assert_eq!(
        &reopened.get(id, key).expect("get").bytes[..],
        &distinctive(*seed)[..]
    );
}

#[test]
fn an_early_delete_needs_the_key() {
    let dir = tempfile::tempdir().expect("temp");
    let store = ResultStore::open(
        dir.path(),
        StoreLimits {
            ram_bytes: 0,
            ..StoreLimits::default()
        },
        ManualClock::new(),
    )
    .expect("store");
    let (id, key) = store.put("image/png", b"bytes").expect("put");
    let wrong = ResultKey::parse(&format!("{}A", "B".repeat(42))).expect("key");
    assert_eq!(
        store.delete(&id, &wrong).err().map(|e| e.kind()),
        Some(ErrorKind::NotFound)
    );
    assert!(store.get(&id, &key).is_ok(), "a wrong key deletes nothing");
    store.delete(&id, &key).expect("delete");
    assert_eq!(
        store.get(&id, &key).err().map(|e| e.kind()),
        Some(ErrorKind::NotFound)
    );
    assert!(files(dir.path()).is_empty());
    assert_eq!(
        store.delete(&id, &key).err().map(|e| e.kind()),
        Some(ErrorKind::NotFound)
    );
}

#[test]
fn a_full_disk_budget_refuses_new_results_and_keeps_the_old_ones() {
    let dir = tempfile::tempdir().expect("temp");
    let clock = ManualClock::new();
    // Nothing stays in RAM; the disk holds two envelopes of a 4 KB result, not three.
    let limits = StoreLimits {
        ram_bytes: 0,
        disk_bytes: 10_000,
    };
    let store = ResultStore::open(dir.path(), limits, clock.clone()).expect("store");
    let kept: Vec<_> = (0..2u8)
        .map(|seed| store.put("image/png", &distinctive(seed)).expect("room"))
        .collect();
    let used = store.disk_used();
    assert!(used > 8192 && used <= 10_000, "{used}");
    match store.put("image/png", &distinctive(9)) {
        Err(services::Error::StorageFull { retry_after }) => {
            assert!((60..=3600).contains(&retry_after), "{retry_after}")
        }
        other => panic!("expected StorageFull, got {:?}", other.map(|_| ())),
    }
    assert_eq!(store.usage().0, 2, "the refused one left nothing behind");
    assert_eq!(files(dir.path()).len(), 2);
    for (seed, (id, key)) in kept.iter().enumerate() {
        assert_eq!(
            &store.get(id, key).expect("never lost early").bytes[..],
            &distinctive(seed as u8)[..]
        );
    }
    // A reopened store counts the files already there.
    drop(store);
    let store = ResultStore::open(dir.path(), limits, clock.clone()).expect("reopen");
    assert_eq!(store.disk_used(), used);
    assert!(store.put("image/png", &distinctive(9)).is_err());
    // Once the old ones expire and the janitor runs, there is room again.
    clock.advance(TimeDelta::days(7));
    assert_eq!(store.purge_expired(), 2);
    assert_eq!(store.disk_used(), 0);
    assert!(store.put("image/png", &distinctive(9)).is_ok());
}

#[test]
fn a_failed_spill_keeps_nothing_of_the_new_result_and_the_old_one_intact() {
    let parent = tempfile::tempdir().expect("temp");
    let dir = parent.path().join("results");
    let limits = StoreLimits {
        ram_bytes: 6000,
        ..StoreLimits::default()
    };
    let store = ResultStore::open(&dir, limits, ManualClock::new()).expect("store");
    let (first, first_key) = store.put("image/png", &distinctive(1)).expect("put");
    let (_, in_ram) = store.usage();
    assert!(in_ram > 4096, "the first result is held in RAM");

    // The folder turns into a file: the first result cannot spill to make room for a second.
    std::fs::remove_dir(&dir).expect("empty folder");
    std::fs::write(&dir, b"not a folder").expect("a file in its place");
    let Err(err) = store.put("image/png", &distinctive(2)) else {
        panic!("the second put fails");
    };
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert_eq!(store.usage(), (1, in_ram), "the second result is not kept");
    assert_eq!(std::fs::read(&dir).expect("file"), b"not a folder");

    // With the folder back, the first result is still next to spill, and does.
    std::fs::remove_file(&dir).expect("remove the file");
    std::fs::create_dir(&dir).expect("the folder back");
    store.put("image/png", &distinctive(3)).expect("put");
    assert_eq!(files(&dir).len(), 1, "one result spilled");
    assert!(
        dir.join(format!("{}.bin", first.as_str())).exists(),
        "the oldest, the first"
    );
    assert_eq!(store.usage().0, 2);
    assert_eq!(
        &store.get(&first, &first_key).expect("get").bytes[..],
        &distinctive(1)[..]
    );
}
