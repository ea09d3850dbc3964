//! One parallel map for the fits' independent pieces (held-out groups): each item is computed alone and
//! its result put back in order, so the output is the same bits on any number of threads. Natively it
//! uses the machine's cores; on wasm32 (no threads) it runs in order.

/// `items.iter().map(f).collect()`, on up to the available cores natively. Items are handed out one at a
/// time (their costs differ by orders of magnitude).
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let threads = std::thread::available_parallelism().map_or(1, usize::from).min(items.len());
        if threads > 1 {
            let next = AtomicUsize::new(0);
            let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut out = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(item) = items.get(i) else { break out };
                                out.push((i, f(item)));
                            }
                        })
                    })
                    .collect();
                workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
            });
            done.sort_by_key(|(i, _)| *i);
            return done.into_iter().map(|(_, r)| r).collect();
        }
    }
    items.iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        // Uneven costs, so the threads finish out of order.
        let out = super::map(&items, |&i| (0..(i % 7) * 1000).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b)));
        let plain: Vec<u64> =
            items.iter().map(|&i| (0..(i % 7) * 1000).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b))).collect();
        assert_eq!(out, plain);
        assert!(super::map(&[] as &[u8], |_| 0).is_empty());
    }
}
