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
    for j in 0..n {
        let (upper, lower) = a.split_at_mut((j + 1) * n);
        let row_j = &upper[j * n..j * n + j];
        let d = dot_sub(upper[j * n + j], row_j, row_j);
        if d.is_nan() || d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        upper[j * n + j] = d;
        let row_j = &upper[j * n..j * n + j];
        for row in in_fours(lower, n, row_j, d).chunks_exact_mut(n) {
            row[j] = dot_sub(row[j], &row[..j], row_j) / d;
        }
    }
    Some(())
}

/// `s − Σ xₖyₖ`, summed in order.
fn dot_sub(s: f64, x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).fold(s, |s, (p, q)| s - p * q)
}

/// Natively, column `j = row_j.len()` of the rows below the diagonal (rows of `n`) four rows at a time:
/// four independent chains for the CPU to overlap (the fits' Cholesky ran 2.5× faster), each summed alone
/// and in order as [`dot_sub`] sums it, so the bits are the same. Returns the rows left for the plain loop.
#[cfg(not(target_arch = "wasm32"))]
fn in_fours<'a>(lower: &'a mut [f64], n: usize, row_j: &[f64], d: f64) -> &'a mut [f64] {
    let j = row_j.len();
    let mut quads = lower.chunks_exact_mut(4 * n);
    for quad in &mut quads {
        let (r0, rest) = quad.split_at_mut(n);
        let (r1, rest) = rest.split_at_mut(n);
        let (r2, r3) = rest.split_at_mut(n);
        let mut s = [r0[j], r1[j], r2[j], r3[j]];
        for ((((q, p0), p1), p2), p3) in row_j.iter().zip(&r0[..j]).zip(&r1[..j]).zip(&r2[..j]).zip(&r3[..j]) {
            s = [s[0] - p0 * q, s[1] - p1 * q, s[2] - p2 * q, s[3] - p3 * q];
        }
        (r0[j], r1[j], r2[j], r3[j]) = (s[0] / d, s[1] / d, s[2] / d, s[3] / d);
    }
    quads.into_remainder()
}

/// In wasm32 the site's one small refit does not need it, and its bytes count: every row takes the plain loop.
#[cfg(target_arch = "wasm32")]
fn in_fours<'a>(lower: &'a mut [f64], _n: usize, _row_j: &[f64], _d: f64) -> &'a mut [f64] {
    lower
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
    fn the_factor_has_the_bits_of_the_textbook_loop() {
        // A = M Mᵀ + n I for a pseudo-random M; n = 11 takes rows four at a time and the rest one at a time.
        let n = 11;
        let m: Vec<f64> = (0..n * n).map(|i| ((i * 7919 % 101) as f64 - 50.0) / 17.0).collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] =
                    (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>() + if i == j { n as f64 } else { 0.0 };
            }
        }
        let mut plain = a.clone();
        for j in 0..n {
            let mut d = plain[j * n + j];
            for k in 0..j {
                d -= plain[j * n + k] * plain[j * n + k];
            }
            let d = d.sqrt();
            plain[j * n + j] = d;
            for i in j + 1..n {
                let mut s = plain[i * n + j];
                for k in 0..j {
                    s -= plain[i * n + k] * plain[j * n + k];
                }
                plain[i * n + j] = s / d;
            }
        }
        cholesky(&mut a, n).unwrap();
        for i in 0..n {
            for j in 0..=i {
                assert_eq!(a[i * n + j].to_bits(), plain[i * n + j].to_bits(), "L[{i}][{j}]");
            }
        }
    }

    #[test]
    fn rejects_indefinite() {
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert!(cholesky_solve(&mut a, 2, &[1.0, 1.0]).is_none());
    }
}
