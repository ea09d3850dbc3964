//! The little linear algebra the regressions need: Cholesky solves of symmetric positive-definite systems.

/// `A x = b` for a symmetric positive-definite `A` (row-major, `n × n`), by Cholesky factorisation.
/// `A` is overwritten by its factor. `None` when `A` is not positive definite.
pub fn cholesky_solve(a: &mut [f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    cholesky(a, n)?;
    Some(solve_factored(a, n, b))
}

/// Overwrites the lower triangle of a symmetric positive-definite `A` (row-major, `n × n`) with its
/// Cholesky factor `L` (`A = L Lᵀ`). `None` when `A` is not positive definite.
pub fn cholesky(a: &mut [f64], n: usize) -> Option<()> {
    debug_assert_eq!(a.len(), n * n);
    // Row slices instead of indexing in the inner loops: no bounds checks, the same operations in the same
    // order (so the same bits), about 3× faster in the site's wasm.
    let dot_sub = |s: f64, x: &[f64], y: &[f64]| x.iter().zip(y).fold(s, |s, (p, q)| s - p * q);
    for j in 0..n {
        let row_j = &a[j * n..j * n + j];
        let d = dot_sub(a[j * n + j], row_j, row_j);
        if d.is_nan() || d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let (upper, lower) = a.split_at_mut(i * n);
            let s = dot_sub(lower[j], &lower[..j], &upper[j * n..j * n + j]);
            lower[j] = s / d;
        }
    }
    Some(())
}

/// `A x = b` given the factor [`cholesky`] left in `l`: one factorisation serves many right-hand sides.
pub fn solve_factored(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let a = l;
    // Forward then back substitution with L and Lᵀ.
    let mut y = b.to_vec();
    for i in 0..n {
        let mut s = y[i];
        for k in 0..i {
            s -= a[i * n + k] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[k * n + i] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system() {
        // A = [[4, 2], [2, 3]], b = [2, 1] → x = [0.5, 0] (4·0.5 + 2·0 = 2; 2·0.5 + 3·0 = 1).
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&mut a, 2, &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
    }

    #[test]
    fn rejects_indefinite() {
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert!(cholesky_solve(&mut a, 2, &[1.0, 1.0]).is_none());
    }
}
