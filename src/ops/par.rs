//! Splitting row-wise work into blocks: scoped threads natively, the calling thread on wasm32.
//! Each block runs through [`vectorized`]; callers pass `#[inline(always)]` closures so that
//! their loops are compiled for the wide vector instructions too.

use super::simd::vectorized;

/// Fewest elements worth a thread of their own (a spawn costs ~10–20 µs; a pass over this many
/// f32 takes ~10 µs or more).
#[cfg(not(target_arch = "wasm32"))]
const MIN_ELEMS_PER_THREAD: usize = 32 * 1024;

/// Number of threads to use for `elems` elements of work (`RAYON_NUM_THREADS`, as candle's own
/// CPU kernels, else all cores).
#[cfg(not(target_arch = "wasm32"))]
fn threads_for(elems: usize) -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let max = *THREADS.get_or_init(candle_core::utils::get_num_threads);
    (elems / MIN_ELEMS_PER_THREAD).clamp(1, max.max(1))
}

/// Splits `out` — rows of `row_len` elements, the last one possibly shorter — into one contiguous block of rows per
/// thread and calls `f(first_row, block)` on each block; returns the results in row order.
///
/// `f` sees disjoint output blocks, so the result does not depend on the number of threads
/// unless `f` returns per-block partial sums (which the caller then adds in block order).
/// `work` estimates the elementary operations of the whole call (the element count for
/// elementwise kernels) and sets how many threads are worth starting.
#[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
pub(super) fn for_row_blocks<T, R, F>(out: &mut [T], row_len: usize, work: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(usize, &mut [T]) -> R + Sync,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        let rows = if row_len == 0 { 0 } else { out.len().div_ceil(row_len) };
        let threads = threads_for(work).min(rows.max(1));
        if threads > 1 {
            let rows_per_block = rows.div_ceil(threads);
            let f = &f;
            return std::thread::scope(|scope| {
                let mut blocks = out.chunks_mut(rows_per_block * row_len).enumerate();
                // The calling thread takes the first block itself.
                let (_, first) = blocks.next().expect("threads > 1 implies rows > 1");
                let handles: Vec<_> = blocks
                    .map(|(b, block)| scope.spawn(move || vectorized(#[inline(always)] || f(b * rows_per_block, block))))
                    .collect();
                let mut results = vec![vectorized(#[inline(always)] || f(0, first))];
                results.extend(handles.into_iter().map(|h| h.join().expect("op worker panicked")));
                results
            });
        }
    }
    vec![vectorized(#[inline(always)] || f(0, out))]
}

/// Splits `0..n` items of `item_len` elements of work each into one contiguous range per
/// thread, calls `f(range)` on each and returns the results in order (for partial sums).
#[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
pub(super) fn for_ranges<R, F>(n: usize, item_len: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(std::ops::Range<usize>) -> R + Sync,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = threads_for(n.saturating_mul(item_len)).min(n.max(1));
        if threads > 1 {
            let per = n.div_ceil(threads);
            let f = &f;
            return std::thread::scope(|scope| {
                let handles: Vec<_> = (1..n.div_ceil(per))
                    .map(|i| scope.spawn(move || vectorized(#[inline(always)] || f(i * per..((i + 1) * per).min(n)))))
                    .collect();
                let mut results = vec![vectorized(#[inline(always)] || f(0..per.min(n)))];
                results.extend(handles.into_iter().map(|h| h.join().expect("op worker panicked")));
                results
            });
        }
    }
    vec![vectorized(#[inline(always)] || f(0..n))]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranges partition 0..n in order, for counts that do and do not divide evenly.
    #[test]
    fn ranges_partition_the_items_in_order() {
        for n in [0usize, 1, 5, 7, 100_001] {
            let ranges = for_ranges(n, 1, |r| r);
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert_eq!(ranges.last().map(|r| r.end), Some(n));
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start && w[0].start < w[0].end));
        }
    }

    /// Every row is visited exactly once with its own index, whatever the block split.
    #[test]
    fn blocks_cover_every_row_once_in_order() {
        for (rows, row_len) in [(1usize, 5usize), (3, 4), (10_000, 16), (9_999, 7)] {
            let mut out = vec![0u64; rows * row_len];
            let partial: Vec<u64> = for_row_blocks(&mut out, row_len, rows * row_len, |first, block| {
                for (r, row) in block.chunks_mut(row_len).enumerate() {
                    row.iter_mut().for_each(|v| *v += (first + r) as u64);
                }
                (block.len() / row_len) as u64
            });
            assert_eq!(partial.iter().sum::<u64>(), rows as u64);
            for (r, row) in out.chunks(row_len).enumerate() {
                assert!(row.iter().all(|&v| v == r as u64), "row {r}");
            }
        }
    }
}
