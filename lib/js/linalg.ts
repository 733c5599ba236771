/**
 * Dense linear algebra on row-major Float64Arrays: the JS fallback's versions of the steps in
 * native/core/linalg.cpp (same names, same conventions). Correct rather than fast: plain loops
 * where the native side calls BLAS/LAPACK.
 */

const EPS = 2.220446049250313e-16;

/** C[m,n] = alpha·op(A)·op(B) + beta·C (row-major; op = transpose when the flag is set). */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  beta: number,
  C: Float64Array,
): void {
  for (let i = 0; i < m * n; i++) C[i] *= beta;
  if (k === 0 || alpha === 0) return;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const a = transA ? A[p * m + i] : A[i * k + p];
      if (a === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) row[j] += a * B[j * k + p];
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] += a * B[off + j];
      }
    }
    const off = i * n;
    for (let j = 0; j < n; j++) C[off + j] += alpha * row[j];
  }
}

/**
 * out[off + i·r + j] += alpha · (C P)[i, j] for j ≥ i only, [r, r] operands whose product is
 * symmetric (native/core's upper_sandwich, which also scales by beta; here beta = 1). Entries
 * below the diagonal are left alone.
 */
export function upperSandwich(r: number, alpha: number, C: ArrayLike<number>, P: ArrayLike<number>, out: Float64Array, off = 0): void {
  for (let i = 0; i < r; i++) {
    for (let p = 0; p < r; p++) {
      const a = alpha * C[i * r + p];
      if (a === 0) continue;
      for (let j = i; j < r; j++) out[off + i * r + j] += a * P[p * r + j];
    }
  }
}

/** Pivoted Cholesky factor S = F Fᵀ with F = P L, L [n, rank] (see linalg.hpp CovFactor). */
export interface CovFactor {
  n: number;
  rank: number;
  /** perm[k] = original index of the k-th pivot. */
  perm: Int32Array;
  /** [n, rank] row-major, lower trapezoidal. */
  L: Float64Array;
}

/** Thrown for a covariance that is not positive semidefinite within tolerance. */
export class NotPsdError extends Error {}

/**
 * Pivoted Cholesky of a symmetric PSD matrix with the same stopping rule as LAPACK dpstrf
 * (pivot ≤ n·eps·max diag) and the same PSD check as the native side: the Schur complement
 * left when the factorization stops must be within psdTol·max(diag) of zero.
 */
export function factorCovariance(n: number, S: ArrayLike<number>, psdTol: number): CovFactor {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, S[i * n + i]);
  const tol = n * EPS * maxDiag;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  // Fast path, as native: a positive definite S factors without pivoting (which proves it PSD).
  const plain = maxDiag > 0 ? choleskyLower(n, S, 0, tol) : null;
  if (plain) return { n, rank: n, perm, L: plain };
  // Lfull[k, j] for the rows in pivot order; d = diagonal of the current Schur complement.
  const Lfull = new Float64Array(n * n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = S[i * n + i];
  let rank = 0;
  if (maxDiag > 0) {
    for (let j = 0; j < n; j++) {
      let p = j;
      for (let i = j + 1; i < n; i++) if (d[i] > d[p]) p = i;
      if (!(d[p] > tol)) break;
      if (p !== j) {
        [perm[j], perm[p]] = [perm[p], perm[j]];
        [d[j], d[p]] = [d[p], d[j]];
        for (let q = 0; q < j; q++) {
          const t = Lfull[j * n + q];
          Lfull[j * n + q] = Lfull[p * n + q];
          Lfull[p * n + q] = t;
        }
      }
      const ljj = Math.sqrt(d[j]);
      Lfull[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let v = S[perm[i] * n + perm[j]];
        for (let q = 0; q < j; q++) v -= Lfull[i * n + q] * Lfull[j * n + q];
        const lij = v / ljj;
        Lfull[i * n + j] = lij;
        d[i] -= lij * lij;
      }
      rank = j + 1;
    }
  }
  const L = new Float64Array(n * rank);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j <= Math.min(k, rank - 1); j++) L[k * rank + j] = Lfull[k * n + j];
  }
  const limit = psdTol * Math.max(maxDiag, 0);
  let worst = 0;
  let wi = -1;
  let wj = -1;
  for (let p = rank; p < n; p++) {
    for (let q = rank; q <= p; q++) {
      let v = S[perm[p] * n + perm[q]];
      for (let j = 0; j < rank; j++) v -= L[p * rank + j] * L[q * rank + j];
      if (Math.abs(v) > worst) {
        worst = Math.abs(v);
        wi = perm[p];
        wj = perm[q];
      }
    }
  }
  if (worst > limit || maxDiag < 0) {
    throw new NotPsdError(
      `not positive semidefinite: after a pivoted Cholesky factorization of rank ${rank} the ` +
        `remaining Schur complement has entry (${wi}, ${wj}) = ${worst} in magnitude, above the ` +
        `tolerance ${limit}`,
    );
  }
  return { n, rank, perm, L };
}

/**
 * Unpivoted Cholesky S + shift·I = L Lᵀ (L [n, n] row-major lower), or null when a pivot is
 * ≤ minPivot (singular or indefinite).
 */
export function choleskyLower(n: number, S: ArrayLike<number>, shift: number, minPivot: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let djj = S[j * n + j] + shift;
    for (let q = 0; q < j; q++) djj -= L[j * n + q] * L[j * n + q];
    if (!(djj > minPivot)) return null;
    const ljj = Math.sqrt(djj);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let v = S[i * n + j];
      for (let q = 0; q < j; q++) v -= L[i * n + q] * L[j * n + q];
      L[i * n + j] = v / ljj;
    }
  }
  return L;
}

/** B[rows, rank] = W[rows, n]·F: w_iᵀ S w_j = B[i,:]·B[j,:]. */
export function projectOntoFactor(rows: number, W: ArrayLike<number>, f: CovFactor): Float64Array {
  const { n, rank: r, perm, L } = f;
  const B = new Float64Array(rows * r);
  for (let i = 0; i < rows; i++) {
    const out = i * r;
    for (let k = 0; k < n; k++) {
      const w = W[i * n + perm[k]];
      if (w === 0) continue;
      const lim = Math.min(k, r - 1);
      for (let j = 0; j <= lim; j++) B[out + j] += w * L[k * r + j];
    }
  }
  return B;
}

/**
 * Symmetric eigendecomposition: ascending eigenvalues and eigenvectors as rows of `vecs`
 * (vecs[j*n + i] = component i of eigenvector j), like native symmetric_eigen. Householder
 * tridiagonalization then implicit QL (the EISPACK tred2/tql2 pair).
 */
export function symmetricEigen(n: number, S: ArrayLike<number>): { vals: Float64Array; vecs: Float64Array } {
  // V[k][j] = V[k*n + j]; columns become eigenvectors.
  const V = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) V[i] = S[i];
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { vals: d, vecs: V };
  tridiagonalize(n, V, d, e);
  tridiagonalQl(n, V, d, e);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b]);
  const vals = new Float64Array(n);
  const vecs = new Float64Array(n * n);
  order.forEach((src, j) => {
    vals[j] = d[src];
    for (let k = 0; k < n; k++) vecs[j * n + k] = V[k * n + src];
  });
  return { vals, vecs };
}

function tridiagonalize(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the Householder transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tridiagonalQl(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1) {
      if (Math.abs(e[m]) <= EPS * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigen: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            const vk = k * n;
            h = V[vk + i + 1];
            V[vk + i + 1] = s * V[vk + i] + c * h;
            V[vk + i] = c * V[vk + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
}

export interface SolveReport {
  rank: number;
  cutoff: number;
  minKept: number;
}

/**
 * X[n, r] solving S X = R: Cholesky of S + ridge·I when ridge > 0, else the minimum-norm
 * solution dropping eigenvalues below rcond·max eigenvalue (native solve_symmetric).
 */
export function solveSymmetric(
  n: number,
  r: number,
  S: ArrayLike<number>,
  R: ArrayLike<number>,
  ridge: number,
  rcond: number,
): { X: Float64Array; report: SolveReport } {
  const X = new Float64Array(n * r);
  if (n === 0) return { X, report: { rank: 0, cutoff: 0, minKept: 0 } };
  if (ridge > 0) {
    const L = choleskyLower(n, S, ridge, 0);
    if (!L) throw new RangeError('Cholesky of the ridge-regularized covariance failed');
    for (let c = 0; c < r; c++) {
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let v = R[i * r + c];
        for (let q = 0; q < i; q++) v -= L[i * n + q] * y[q];
        y[i] = v / L[i * n + i];
      }
      for (let i = n - 1; i >= 0; i--) {
        let v = y[i];
        for (let q = i + 1; q < n; q++) v -= L[q * n + i] * X[q * r + c];
        X[i * r + c] = v / L[i * n + i];
      }
    }
    return { X, report: { rank: n, cutoff: 0, minKept: 0 } };
  }
  const { vals, vecs } = symmetricEigen(n, S);
  const top = Math.max(vals[n - 1], 0);
  const cutoff = rcond * top;
  const Y = new Float64Array(n * r);
  gemm(false, false, n, r, n, 1, vecs, R, 0, Y);
  let rank = 0;
  let minKept = 0;
  for (let j = 0; j < n; j++) {
    if (vals[j] > cutoff && vals[j] > 0) {
      for (let c = 0; c < r; c++) Y[j * r + c] /= vals[j];
      if (rank === 0 || vals[j] < minKept) minKept = vals[j];
      rank++;
    } else {
      for (let c = 0; c < r; c++) Y[j * r + c] = 0;
    }
  }
  gemm(true, false, n, r, n, 1, vecs, Y, 0, X);
  return { X, report: { rank, cutoff, minKept } };
}
