//! How long one password hash takes here with the production parameters (argon2id, m = 19 MiB,
//! t = 2, p = 1): `cargo run -p services --example argon2_timing` (argon2 and blake2 are optimised
//! even in the dev profile). Prints the median and the slowest of 15 hashes, and one verification.

use std::time::Instant;

use services::accounts::password::{LANES, MEMORY_KIB, PASSES, Passwords};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), services::Error> {
    let passwords = Passwords::default();
    let mut times = Vec::new();
    let mut last = String::new();
    for _ in 0..15 {
        let started = Instant::now();
        last = passwords.hash("correct horse battery staple").await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let started = Instant::now();
    let ok = passwords
        .verify("correct horse battery staple", &last)
        .await?;
    let verify_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("argon2id m={MEMORY_KIB} KiB t={PASSES} p={LANES}");
    println!(
        "hash: median {:.1} ms, slowest {:.1} ms (15 runs); verify {:.1} ms ({ok})",
        times[times.len() / 2],
        times[times.len() - 1],
        verify_ms
    );
    Ok(())
}
