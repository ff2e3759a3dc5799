//! The upload path from bytes to pixels: `SourceFormat::sniff`, then `decode` under small limits
//! (`common/upload_input.rs`). Any input must give a photo within the limits or an `Error`, never
//! a panic out of `decode`, a hang or an allocation past libFuzzer's memory limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/upload_input.rs"]
mod upload_input;

fuzz_target!(
    // libfuzzer-sys's panic hook aborts at the first panic, even one `decode` catches and answers
    // as a damaged image (it guards the third-party codecs). With a hook that only prints the
    // message, a panic caught there is the 422 it is in production, and one that escapes `decode`
    // still reaches libfuzzer-sys's own catch_unwind, which aborts: a crash, as before.
    init: std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}"))),
    |data: &[u8]| {
        let _ = upload_input::run(data);
    }
);
