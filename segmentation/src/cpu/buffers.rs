//! A per-thread pool of f32 buffers for the CPU path's feature maps and scratch space.
//!
//! A 1024² pass moves through several hundred megabytes of feature maps. Allocating each one fresh
//! costs a page fault per 4 KiB on first touch (tens of milliseconds per map, more in a VM), so
//! buffers go back to this pool when a [`Buffer`] is dropped and the next request of a similar
//! size reuses one. A reused buffer holds stale values: every user writes all of it before reading.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Buffers kept per thread; beyond this the smallest are freed.
const KEEP: usize = 24;

thread_local! {
    static FREE: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A `len`-long f32 buffer from the pool (contents unspecified), returned to it on drop.
pub(crate) struct Buffer(Vec<f32>);

impl Buffer {
    pub(crate) fn new(len: usize) -> Self {
        let reused = FREE.with(|free| {
            let mut free = free.borrow_mut();
            // Best fit: the smallest free buffer that is large enough.
            let index = free
                .iter()
                .enumerate()
                .filter(|(_, buffer)| buffer.capacity() >= len)
                .min_by_key(|(_, buffer)| buffer.capacity())
                .map(|(index, _)| index)?;
            Some(free.swap_remove(index))
        });
        let mut vec = reused.unwrap_or_default();
        if vec.len() < len {
            vec.resize(len, 0.0);
        } else {
            vec.truncate(len);
        }
        Self(vec)
    }

    /// Hands the storage over (to a burn tensor); it leaves the pool for good.
    pub(crate) fn into_vec(mut self) -> Vec<f32> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let vec = std::mem::take(&mut self.0);
        if vec.capacity() == 0 {
            return;
        }
        FREE.with(|free| {
            let mut free = free.borrow_mut();
            free.push(vec);
            if free.len() > KEEP {
                let smallest = free
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, buffer)| buffer.capacity())
                    .map(|(index, _)| index);
                if let Some(index) = smallest {
                    free.swap_remove(index);
                }
            }
        });
    }
}

impl Deref for Buffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_reused_for_a_request_that_fits() {
        let first = Buffer::new(1000);
        let address = first.as_ptr();
        drop(first);
        let second = Buffer::new(800);
        assert_eq!(second.len(), 800);
        assert_eq!(
            second.as_ptr(),
            address,
            "the freed buffer should be reused"
        );
        let bigger = Buffer::new(5000);
        assert_eq!(bigger.len(), 5000);
        assert_ne!(bigger.as_ptr(), address);
    }
}
