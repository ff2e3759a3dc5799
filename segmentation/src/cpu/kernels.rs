//! Which instruction set the CPU path's own loops (Winograd transforms, pool, upsampling, resizing)
//! run with, chosen once at run time. The crate is compiled for baseline x86-64 (SSE2) so that the
//! binary runs on any x86-64 CPU; [`vectorize`] runs a closure inside a function compiled for
//! x86-64-v4 (AVX-512F/BW/CD/DQ/VL + FMA) or x86-64-v3 (AVX2 + FMA) when the CPU has them, so the
//! loops inlined into it are vectorised for that set. `pulp` (already used by `gemm`) does the
//! detection and the `#[target_feature]` call behind a safe API: this crate needs no `unsafe`.
//!
//! The matrix products are the `gemm` crate's, which picks its own kernels the same way (its
//! AVX-512 ones with the `x86-v4` feature this workspace turns on).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};

/// A set of compiled kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelSet {
    /// AVX-512F/BW/CD/DQ/VL + AVX2 + FMA.
    X86V4,
    /// AVX2 + FMA.
    X86V3,
    /// What the crate is compiled for (SSE2 on x86-64), on any CPU.
    Baseline,
}

impl KernelSet {
    const ALL: [KernelSet; 3] = [KernelSet::X86V4, KernelSet::X86V3, KernelSet::Baseline];

    fn code(self) -> u8 {
        match self {
            KernelSet::X86V4 => 1,
            KernelSet::X86V3 => 2,
            KernelSet::Baseline => 3,
        }
    }

    /// Whether this CPU can run the set.
    pub fn is_supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            KernelSet::X86V4 => pulp::x86::V4::is_available(),
            #[cfg(target_arch = "x86_64")]
            KernelSet::X86V3 => pulp::x86::V3::is_available(),
            #[cfg(not(target_arch = "x86_64"))]
            KernelSet::X86V4 | KernelSet::X86V3 => false,
            KernelSet::Baseline => true,
        }
    }

    /// The best set this CPU supports.
    pub fn detect() -> KernelSet {
        Self::ALL
            .into_iter()
            .find(|set| set.is_supported())
            .unwrap_or(KernelSet::Baseline)
    }
}

impl fmt::Display for KernelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KernelSet::X86V4 => "x86-64-v4",
            KernelSet::X86V3 => "x86-64-v3",
            KernelSet::Baseline => "baseline",
        })
    }
}

/// `v4`, `v3` or `baseline` (also the full names `x86-64-v4`, `x86-64-v3`).
impl FromStr for KernelSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "v4" | "x86-64-v4" => Ok(KernelSet::X86V4),
            "v3" | "x86-64-v3" => Ok(KernelSet::X86V3),
            "baseline" | "v1" | "x86-64" => Ok(KernelSet::Baseline),
            other => Err(format!(
                "unknown kernel set {other:?} (expected v4, v3 or baseline)"
            )),
        }
    }
}

/// 0: not chosen yet; otherwise [`KernelSet::code`].
static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// The set the CPU path uses: the best one detected, unless [`use_kernels`] chose another.
pub fn kernels() -> KernelSet {
    match ACTIVE.load(Ordering::Relaxed) {
        1 => KernelSet::X86V4,
        2 => KernelSet::X86V3,
        3 => KernelSet::Baseline,
        _ => {
            let detected = KernelSet::detect();
            ACTIVE.store(detected.code(), Ordering::Relaxed);
            detected
        }
    }
}

/// Forces a kernel set for the whole process (benchmarks and tests: `imgigo-bench --kernels v3`
/// runs the AVX2 kernels on an AVX-512 machine). Refuses a set this CPU cannot run.
pub fn use_kernels(set: KernelSet) -> Result<(), String> {
    if !set.is_supported() {
        return Err(format!("this CPU cannot run the {set} kernels"));
    }
    ACTIVE.store(set.code(), Ordering::Relaxed);
    Ok(())
}

/// This CPU's model name (`/proc/cpuinfo`), for benchmarks' reports.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The SIMD features relevant to the kernels that this CPU has, by their usual names.
pub fn cpu_features() -> Vec<&'static str> {
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($name:tt),*) => {
                $(if std::arch::is_x86_feature_detected!($name) {
                    found.push($name);
                })*
            };
        }
        probe!(
            "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx2", "fma"
        );
    }
    found
}

/// The instruction set `gemm` chose for its matrix products (it detects on its own).
pub fn gemm_kernels() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("fma") {
            return "fma";
        }
    }
    "scalar"
}

/// Runs `f` compiled for the active kernel set. `f` must be an `#[inline(always)]` closure and
/// what it calls `#[inline(always)]` too: only code inlined into the `#[target_feature]` function
/// is compiled for the set (a closure left out of line stays SSE2 code, as the first profile
/// showed). A rayon task calls this inside the task, since target features do not cross function
/// boundaries.
#[inline(always)]
pub(crate) fn vectorize<R>(f: impl FnOnce() -> R) -> R {
    match kernels() {
        #[cfg(target_arch = "x86_64")]
        KernelSet::X86V4 => match pulp::x86::V4::try_new() {
            Some(simd) => simd.vectorize(f),
            None => f(),
        },
        #[cfg(target_arch = "x86_64")]
        KernelSet::X86V3 => match pulp::x86::V3::try_new() {
            Some(simd) => simd.vectorize(f),
            None => f(),
        },
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_baseline_always_runs() {
        for set in KernelSet::ALL {
            assert_eq!(set.to_string().parse::<KernelSet>(), Ok(set));
        }
        assert!(KernelSet::Baseline.is_supported());
        assert!(KernelSet::detect().is_supported());
        assert_eq!(vectorize(|| 2 + 2), 4);
    }
}
