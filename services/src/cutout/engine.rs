//! One loaded segmentation model. Inference is blocking and heavy: callers on the async runtime
//! must move it to a dedicated thread (`tokio::task::spawn_blocking` or the inference queue).

use std::path::Path;

use image::{GrayImage, RgbImage};
use segmentation::device::SelectedDevice;
use segmentation::{IsNetConfig, Segmenter, store};

use super::solid;
use crate::Error;

/// Converts the published weights (an unpacked `@imgly/background-removal-data` package) into the
/// model file the server loads (`imgigo weights`, run by `make weights`). Returns the number of
/// tensors written; a package that is incomplete or not the verified one is a `Setup` error.
pub fn convert_weights(package_dir: &Path, out: &Path) -> Result<usize, Error> {
    segmentation::package::convert(package_dir, out).map_err(|err| Error::Setup(err.to_string()))
}

/// The square size the model runs at: the trained 1024 or a faster preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSize(usize);

impl ModelSize {
    pub const FULL: ModelSize = ModelSize(segmentation::TRAINED_SIZE);
    const MIN: usize = 256;

    /// Sizes from 256 to 1024 in steps of 32 (the network halves the map five times).
    pub fn new(size: usize) -> Result<Self, Error> {
        if (Self::MIN..=segmentation::TRAINED_SIZE).contains(&size) && size.is_multiple_of(32) {
            Ok(Self(size))
        } else {
            Err(Error::Invalid {
                field: "size",
                message: format!(
                    "must be a multiple of 32 from {} to {}",
                    Self::MIN,
                    segmentation::TRAINED_SIZE
                ),
            })
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

pub struct Engine {
    segmenter: Segmenter,
}

impl Engine {
    /// Loads the converted weights (`make weights`) onto `device` and prepares them for it.
    pub fn load(model_file: &Path, device: &SelectedDevice) -> Result<Self, Error> {
        let model =
            store::load(&IsNetConfig::dis(), model_file, &device.device).map_err(|err| {
                tracing::error!(error = %err, "cannot load the segmentation model");
                Error::Unavailable("segmentation model")
            })?;
        Ok(Self::from_segmenter(Segmenter::new(
            model,
            device.device.clone(),
        )))
    }

    pub fn from_segmenter(segmenter: Segmenter) -> Self {
        Self { segmenter }
    }

    /// The alpha mask at the image's own size, solid inside the subject ([`solid`]). Blocking. An
    /// unreadable model output is an error.
    pub fn mask(&self, image: &RgbImage, size: ModelSize) -> Result<GrayImage, Error> {
        let mut mask = self.network_mask(image, size)?;
        tracing::info_span!("solid").in_scope(|| solid::solidify(&mut mask));
        Ok(mask)
    }

    /// The network's own mask, upsampled to the image, before [`solid`]: what the edge evaluation
    /// (`imgigo-edges-eval`) compares the refinements with.
    pub fn network_mask(&self, image: &RgbImage, size: ModelSize) -> Result<GrayImage, Error> {
        self.segmenter.segment(image, size.get()).map_err(|err| {
            tracing::error!(error = %err, "the model's output is unusable");
            Error::Internal(format!("segmentation failed: {err}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_multiples_of_32_up_to_the_trained_size() {
        assert_eq!(ModelSize::new(1024).unwrap(), ModelSize::FULL);
        assert_eq!(ModelSize::new(512).unwrap().get(), 512);
        for bad in [0, 100, 1000, 2048, 224] {
            assert!(ModelSize::new(bad).is_err(), "{bad}");
        }
    }
}
