//! One stable sort for the estimator and the site. Each `sort_by` of a new element type or comparator
//! instantiates the standard library's sort again (2–4 KB of wasm each); this sorts indices through one
//! non-generic instance and moves the elements into place, so the site holds that sort once.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, stably (equal elements keep their order), as `v.sort_by(cmp)` does.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let order = stable_order(v.len(), &|i, j| cmp(&v[i], &v[j]));
    permute(v, &order);
}

/// Sorts `v` by its natural order, stably.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The indices `0..n` sorted stably by `cmp`.
fn stable_order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| cmp(i, j));
    order
}

/// Puts the element at `order[k]` at position `k`, by swaps: when position `i` is filled, the element it
/// wants has either not moved (`order[i] >= i`) or was swapped out of an earlier position to the place that
/// position's own index names, so following `order` from `order[i]` while below `i` finds it.
fn permute<T>(v: &mut [T], order: &[usize]) {
    for i in 0..v.len() {
        let mut j = order[i];
        while j < i {
            j = order[j];
        }
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_library_does(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            // Compare by the first member only, so stability shows in the second.
            let mut ours = v.clone();
            super::sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std_sorted = v;
            std_sorted.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std_sorted);
        }
    }

    #[test]
    fn floats_sort_by_total_order() {
        let mut v = vec![3.0, -0.0, f64::NAN, 0.0, -1.5, f64::INFINITY];
        super::sort_by(&mut v, f64::total_cmp);
        assert_eq!(format!("{v:?}"), "[-1.5, -0.0, 0.0, 3.0, inf, NaN]");
    }
}
