//! Which device the model runs on, chosen once at start from `IMGIGO_DEVICE=auto|cpu|gpu`:
//! - `cpu`: burn's Flex backend with this crate's CPU path (all cores, rayon);
//! - `gpu`: the first real GPU adapter wgpu finds (discrete, then integrated, then virtual); no
//!   adapter is an error, never a silent fall back to the CPU;
//! - `auto`: a real GPU when there is one, else the CPU.
//!
//! Software rasterisers (llvmpipe, SwiftShader, WARP: wgpu's `Cpu` and `Other` adapter types) are
//! never taken: on them inference would be far slower than the CPU path. GPU support needs the
//! `wgpu` cargo feature; a build without it answers `gpu` with an error that says so.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Device, FloatDType};

/// What the operator asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceRequest {
    #[default]
    Auto,
    Cpu,
    Gpu,
}

impl FromStr for DeviceRequest {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            _ => Err("expected auto, cpu or gpu".into()),
        }
    }
}

impl fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        })
    }
}

/// The float type the network computes in (`IMGIGO_GPU_PRECISION=f32|f16` for the benchmark).
/// f32 is the default everywhere: f16 halves the memory traffic and reaches a GPU's tensor cores,
/// but changes the mask slightly (see segmentation/bench/README.md) and is slow on the CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    #[default]
    F32,
    F16,
}

impl Precision {
    pub fn dtype(self) -> FloatDType {
        match self {
            Self::F32 => FloatDType::F32,
            Self::F16 => FloatDType::F16,
        }
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "f32" => Ok(Self::F32),
            "f16" => Ok(Self::F16),
            _ => Err("expected f32 or f16".into()),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
        })
    }
}

/// The kind of a graphics adapter, as wgpu reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdapterKind {
    DiscreteGpu,
    IntegratedGpu,
    VirtualGpu,
    /// A software rasteriser (wgpu's `Cpu`) or an unknown adapter (`Other`): never used.
    Software,
}

/// One adapter wgpu found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adapter {
    pub kind: AdapterKind,
    pub name: String,
    pub backend: String,
}

/// The device chosen, with what to log and report.
#[derive(Clone, Debug)]
pub struct SelectedDevice {
    pub device: Device,
    /// `"cpu"` or `"gpu"`.
    pub kind: &'static str,
    /// A human description: `"CPU (2 threads)"`, `"NVIDIA H200 (Vulkan)"`.
    pub name: String,
}

/// Why no device could be chosen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    #[error(
        "IMGIGO_DEVICE=gpu, but this build has no GPU support: build with `--features wgpu`, or set IMGIGO_DEVICE=cpu"
    )]
    NotCompiled,
    #[error(
        "IMGIGO_DEVICE=gpu, but no GPU adapter was found{software}: install the GPU's Vulkan (or Metal/DX12) driver, or set IMGIGO_DEVICE=cpu"
    )]
    NoGpu { software: String },
}

/// The decision alone, on a list of adapters: which one to use (`Some`) or the CPU (`None`).
pub fn choose(
    request: DeviceRequest,
    adapters: &[Adapter],
) -> Result<Option<Adapter>, DeviceError> {
    let best = adapters
        .iter()
        .filter(|adapter| adapter.kind != AdapterKind::Software)
        .min_by_key(|adapter| adapter.kind)
        .cloned();
    match (request, best) {
        (DeviceRequest::Cpu, _) => Ok(None),
        (DeviceRequest::Auto, best) => Ok(best),
        (DeviceRequest::Gpu, Some(best)) => Ok(Some(best)),
        (DeviceRequest::Gpu, None) => {
            let software: Vec<&str> = adapters.iter().map(|a| a.name.as_str()).collect();
            Err(DeviceError::NoGpu {
                software: if software.is_empty() {
                    String::new()
                } else {
                    format!(" (only software rasterisers: {})", software.join(", "))
                },
            })
        }
    }
}

/// The CPU device and its description.
pub fn cpu() -> SelectedDevice {
    SelectedDevice {
        device: Device::flex(),
        kind: "cpu",
        name: format!("CPU ({} threads)", rayon::current_num_threads()),
    }
}

/// Chooses and opens the device for `request`.
pub fn select(request: DeviceRequest) -> Result<SelectedDevice, DeviceError> {
    if request == DeviceRequest::Cpu {
        return Ok(cpu());
    }
    match gpu::select(request)? {
        Some(selected) => Ok(selected),
        None => Ok(cpu()),
    }
}

#[cfg(feature = "wgpu")]
mod gpu {
    use burn::tensor::{Device, DeviceKind};

    use super::{Adapter, AdapterKind, DeviceError, DeviceRequest, SelectedDevice, choose};

    /// Every adapter wgpu can open here, on every backend.
    pub fn adapters() -> Vec<Adapter> {
        let instance = wgpu::Instance::default();
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        adapters
            .iter()
            .map(|adapter| {
                let info = adapter.get_info();
                Adapter {
                    kind: match info.device_type {
                        wgpu::DeviceType::DiscreteGpu => AdapterKind::DiscreteGpu,
                        wgpu::DeviceType::IntegratedGpu => AdapterKind::IntegratedGpu,
                        wgpu::DeviceType::VirtualGpu => AdapterKind::VirtualGpu,
                        wgpu::DeviceType::Cpu | wgpu::DeviceType::Other => AdapterKind::Software,
                    },
                    name: info.name.clone(),
                    backend: format!("{:?}", info.backend),
                }
            })
            .collect()
    }

    pub fn select(request: DeviceRequest) -> Result<Option<SelectedDevice>, DeviceError> {
        let Some(adapter) = choose(request, &adapters())? else {
            return Ok(None);
        };
        let kind = match adapter.kind {
            AdapterKind::DiscreteGpu => DeviceKind::DiscreteGpu(0),
            AdapterKind::IntegratedGpu => DeviceKind::IntegratedGpu(0),
            AdapterKind::VirtualGpu => DeviceKind::VirtualGpu(0),
            AdapterKind::Software => return Ok(None),
        };
        Ok(Some(SelectedDevice {
            device: Device::wgpu(kind),
            kind: "gpu",
            name: format!("{} ({})", adapter.name, adapter.backend),
        }))
    }
}

#[cfg(not(feature = "wgpu"))]
mod gpu {
    use super::{DeviceError, DeviceRequest, SelectedDevice};

    pub fn select(request: DeviceRequest) -> Result<Option<SelectedDevice>, DeviceError> {
        match request {
            DeviceRequest::Gpu => Err(DeviceError::NotCompiled),
            _ => Ok(None),
        }
    }
}

#[cfg(feature = "wgpu")]
pub use gpu::adapters;

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(kind: AdapterKind, name: &str) -> Adapter {
        Adapter {
            kind,
            name: name.into(),
            backend: "Vulkan".into(),
        }
    }

    #[test]
    fn requests_parse_case_insensitively_and_refuse_anything_else() {
        assert_eq!("GPU".parse::<DeviceRequest>(), Ok(DeviceRequest::Gpu));
        assert_eq!(" cpu ".parse::<DeviceRequest>(), Ok(DeviceRequest::Cpu));
        assert_eq!("auto".parse::<DeviceRequest>(), Ok(DeviceRequest::Auto));
        assert!("cuda".parse::<DeviceRequest>().is_err());
    }

    #[test]
    fn precisions_parse_and_print_alike() {
        assert_eq!("F16".parse::<Precision>(), Ok(Precision::F16));
        assert_eq!(" f32".parse::<Precision>(), Ok(Precision::F32));
        assert!("bf16".parse::<Precision>().is_err());
        assert_eq!(Precision::default(), Precision::F32);
        assert_eq!(Precision::F16.to_string(), "f16");
    }

    #[test]
    fn auto_takes_the_best_real_gpu_and_never_a_software_rasteriser() {
        let llvmpipe = adapter(AdapterKind::Software, "llvmpipe (LLVM 15.0.6, 256 bits)");
        let igpu = adapter(AdapterKind::IntegratedGpu, "Intel UHD 770");
        let dgpu = adapter(AdapterKind::DiscreteGpu, "NVIDIA H200");
        assert_eq!(choose(DeviceRequest::Auto, &[]), Ok(None));
        assert_eq!(
            choose(DeviceRequest::Auto, std::slice::from_ref(&llvmpipe)),
            Ok(None)
        );
        assert_eq!(
            choose(
                DeviceRequest::Auto,
                &[llvmpipe.clone(), igpu.clone(), dgpu.clone()]
            ),
            Ok(Some(dgpu.clone()))
        );
        assert_eq!(
            choose(DeviceRequest::Auto, &[llvmpipe.clone(), igpu.clone()]),
            Ok(Some(igpu))
        );
        assert_eq!(choose(DeviceRequest::Cpu, &[dgpu]), Ok(None));
    }

    #[test]
    fn gpu_without_a_real_adapter_fails_with_a_message_instead_of_falling_back() {
        let llvmpipe = adapter(AdapterKind::Software, "llvmpipe");
        let err = choose(DeviceRequest::Gpu, &[llvmpipe]).expect_err("no real GPU");
        let message = err.to_string();
        assert!(message.contains("no GPU adapter"), "{message}");
        assert!(message.contains("llvmpipe"), "{message}");
        assert!(message.contains("IMGIGO_DEVICE=cpu"), "{message}");
        assert!(choose(DeviceRequest::Gpu, &[]).is_err());
    }

    #[test]
    fn select_honours_cpu_and_auto_here() {
        let selected = select(DeviceRequest::Cpu).expect("cpu always works");
        assert_eq!(selected.kind, "cpu");
        assert!(selected.name.starts_with("CPU ("), "{}", selected.name);
        // This machine has no GPU: auto settles on the CPU.
        if std::env::var_os("IMGIGO_TEST_EXPECT_GPU").is_none() {
            assert_eq!(select(DeviceRequest::Auto).expect("auto").kind, "cpu");
        }
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn gpu_in_a_build_without_wgpu_says_how_to_get_it() {
        let err = select(DeviceRequest::Gpu).expect_err("no wgpu");
        assert!(err.to_string().contains("--features wgpu"), "{err}");
    }
}
