//! glibc malloc settings for training: a training step allocates and frees many tensors of a
//! few MB each; by default glibc serves those with `mmap` and returns them to the system on
//! free, so every step pays page faults for fresh zeroed pages. Keeping them in the heap took
//! a 1-thread step of the `bench` preset from 0.76–0.87 s to 0.43–0.53 s on the development
//! machine (same effect as `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:…trim_threshold=…`).

/// Blocks below this size come from the heap rather than their own `mmap`.
const MMAP_THRESHOLD_BYTES: i32 = 32 << 20;

/// Raises glibc's `mmap` threshold to 32 MiB and stops it trimming the heap, so freed tensor
/// buffers are reused by the next step. A no-op on other platforms and C libraries.
pub(super) fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; it is thread-safe in glibc and
    // takes plain integers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
