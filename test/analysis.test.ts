/**
 * The analysis toolkit on every backend: the class mixture of a constructed dataset has exactly
 * its classes' moments, moment matching is the law of total covariance, accuracy and the softmax
 * KL are what they say, the SVD of beta reconstructs it, and ablation removes the directions.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { mlpSpec, randomMixture, randomMlp } from './helpers/layers';
import { Rng } from './helpers/random';

// Two classes in 3 dimensions with moments computable by hand. Class 0: (1,0,2), (3,0,2),
// (2,3,2), (2,−3,2): mean (2,0,2), covariance diag(0.5, 4.5, 0) (the third pixel never varies).
// Class 7: (0,0,0), (2,2,4): mean (1,1,2), covariance v vᵀ with v = (1,1,2) (rank 1).
const X3 = [
  [1, 0, 2],
  [0, 0, 0],
  [3, 0, 2],
  [2, 3, 2],
  [2, 2, 4],
  [2, -3, 2],
];
const Y3 = [0, 7, 0, 0, 7, 0];

/** Empirical mean and maximum-likelihood covariance of rows. */
function moments(X: Float64Array, rows: number, n: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) mean[j] += X[r * n + j] / rows;
  const cov = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cov[i * n + j] += ((X[r * n + i] - mean[i]) * (X[r * n + j] - mean[j])) / rows;
  }
  return { mean, cov };
}

/** Row-wise argmax of [rows, c] scores. */
function argmaxLabels(t: { data: Float64Array; shape: number[] }): number[] {
  const [rows, c] = t.shape;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (t.data[r * c + j] > t.data[r * c + best]) best = j;
    return best;
  });
}

describe.each(availableBackends())('analysis toolkit on %s', (backend) => {
  describe('fitClassMixture', () => {
    it('has exactly the class frequencies, means and (maximum-likelihood) covariances', () => {
      const mix = pa.fitClassMixture(X3, Y3, { backend });
      expect(mix.type).toBe('mixture');
      expect(mix.classes).toEqual([0, 7]);
      expect(mix.counts).toEqual([4, 2]);
      expect([...mix.weights.data]).toEqual([4 / 6, 2 / 6]);
      expect(mix.means.shape).toEqual([2, 3]);
      expect([...mix.means.data]).toEqual([2, 0, 2, 1, 1, 2]);
      expect(mix.covs.shape).toEqual([2, 3, 3]);
      const want = [0.5, 0, 0, 0, 4.5, 0, 0, 0, 0, 1, 1, 2, 1, 1, 2, 2, 2, 4];
      expect(maxRelDiff(mix.covs.data, want)).toBeLessThan(1e-15);
      // Exactly symmetric, so it passes the fits' symmetry check with no slack.
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(mix.covs.data[9 + i * 3 + j]).toBe(mix.covs.data[9 + j * 3 + i]);
    });

    it('orders components by opts.classes, ignores other labels, and shrinks toward tr(Σ)/in · I', () => {
      const mix = pa.fitClassMixture(X3, Y3, { classes: [7, 0], backend });
      expect(mix.classes).toEqual([7, 0]);
      expect([...mix.means.data]).toEqual([1, 1, 2, 2, 0, 2]);
      const only = pa.fitClassMixture(X3, Y3, { classes: [0], backend });
      expect(only.counts).toEqual([4]);
      expect([...only.weights.data]).toEqual([1]);
      const s = 0.25;
      const shrunk = pa.fitClassMixture(X3, Y3, { shrinkage: s, backend });
      expect(shrunk.shrinkage).toBe(s);
      // Class 0: tr = 5, so the diagonal becomes 0.75·diag(0.5, 4.5, 0) + 0.25·5/3.
      const d = [0.5, 4.5, 0].map((v) => (1 - s) * v + (s * 5) / 3);
      expect(maxRelDiff([shrunk.covs.data[0], shrunk.covs.data[4], shrunk.covs.data[8]], d)).toBeLessThan(1e-15);
      expect(shrunk.covs.data[9 + 1]).toBeCloseTo(0.75, 15);
    });

    it('its moment-matched Gaussian is the data’s own mean and covariance (law of total covariance)', () => {
      const rng = new Rng(11);
      const n = 6;
      const rows = 300;
      const X = rng.normals(rows * n);
      const labels = Array.from({ length: rows }, () => Math.floor(rng.uniform() * 4));
      for (let r = 0; r < rows; r++) X[r * n + (labels[r] % n)] += 2 + labels[r];
      const g = pa.momentMatchedGaussian(pa.fitClassMixture({ data: X, shape: [rows, n] }, labels, { backend }), { backend });
      const m = moments(X, rows, n);
      expect(maxRelDiff(g.mean.data, m.mean)).toBeLessThan(1e-13);
      expect(maxRelDiff(g.cov.data, m.cov)).toBeLessThan(1e-13);
    });

    it('feeds the fits even though its covariances are singular', () => {
      const net = mlpSpec(randomMlp(new Rng(3), 3, 8, 2, 'relu'));
      const mix = pa.fitClassMixture(X3, Y3, { backend });
      const fit = pa.ols(net, { degree: 1, input: mix, backend });
      expect(fit.solve.method).toBe('pinv');
      expect(fit.beta.data.every(Number.isFinite)).toBe(true);
      const q = pa.ols(net, { degree: 2, input: pa.momentMatchedGaussian(mix, { backend }), backend });
      expect(q.beta.data.every(Number.isFinite)).toBe(true);
      expect(pa.sample(mix, 3, 10, { seed: 1 }).data.every(Number.isFinite)).toBe(true);
    });

    it('rejects bad arguments by name', () => {
      expect(() => pa.fitClassMixture(X3, [0, 1], { backend })).toThrow('invalid argument: labels must be of length 6 (one label per row), got length 2');
      expect(() => pa.fitClassMixture(X3, [0, 1, 0, 0, 1.5, 0], { backend })).toThrow('invalid argument: labels[4] must be an integer, got 1.5');
      expect(() => pa.fitClassMixture(X3, Y3, { classes: 3, backend })).toThrow('invalid argument: labels must contain class 1 at least once, got no rows of it');
      expect(() => pa.fitClassMixture(X3, Y3, { shrinkage: 2, backend })).toThrow(RangeError);
      expect(() => pa.fitClassMixture([1, 2, 3] as never, [0], { backend })).toThrow('invalid argument: x must have shape [rows, in], got [3]');
    });
  });

  describe('momentMatchedGaussian', () => {
    it('is Σ π_k Σ_k + Σ π_k (μ_k − μ)(μ_k − μ)ᵀ with normalized weights', () => {
      const rng = new Rng(5);
      const n = 4;
      const K = 3;
      const mix = randomMixture(rng, n, K, 1);
      const input = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [K, n] }, covs: { data: mix.covs, shape: [K, n, n] } };
      const g = pa.momentMatchedGaussian(input, { backend });
      expect(g.type).toBe('gaussian');
      const w = [...mix.weights].map((v) => v / 6);
      const mu = new Float64Array(n);
      for (let k = 0; k < K; k++) for (let j = 0; j < n; j++) mu[j] += w[k] * mix.means[k * n + j];
      const cov = new Float64Array(n * n);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            cov[i * n + j] += w[k] * (mix.covs[k * n * n + i * n + j] + (mix.means[k * n + i] - mu[i]) * (mix.means[k * n + j] - mu[j]));
          }
        }
      }
      expect(maxRelDiff(g.mean.data, mu)).toBeLessThan(1e-14);
      expect(maxRelDiff(g.cov.data, cov)).toBeLessThan(1e-14);
    });

    it('defaults to equal weights and identity covariances, and checks its argument', () => {
      const g = pa.momentMatchedGaussian({ type: 'mixture', means: [[1, 0], [-1, 0]] }, { backend });
      expect([...g.mean.data]).toEqual([0, 0]);
      expect([...g.cov.data]).toEqual([2, 0, 0, 1]);
      expect(() => pa.momentMatchedGaussian({ type: 'gaussian' } as never, { backend })).toThrow("invalid argument: mixture.type must be 'mixture'");
      expect(() => pa.momentMatchedGaussian({ type: 'mixture', means: [[1, 0]], weights: [-1] }, { backend })).toThrow('invalid argument: mixture.weights[0] must be non-negative');
    });
  });

  describe('accuracy and softmaxKl', () => {
    it('accuracy counts argmax hits, first index on ties', () => {
      const logits = [
        [0.1, 0.9, 0],
        [2, 2, 1],
        [0, 0, 3],
        [5, -1, 4],
      ];
      expect(pa.accuracy(logits, [1, 0, 2, 2])).toBe(0.75);
      expect(pa.accuracy(logits, Int32Array.of(1, 1, 2, 0))).toBe(0.75);
      expect(() => pa.accuracy(logits, [1, 0, 3, 0])).toThrow('invalid argument: labels[2] must be in 0..2, got 3');
    });

    it('KL is ≥ 0, 0 exactly for equal (or constant-shifted) logits, and matches the definition', () => {
      const rng = new Rng(9);
      const p = { data: rng.normals(50 * 4, 3), shape: [50, 4] };
      const q = { data: rng.normals(50 * 4, 3), shape: [50, 4] };
      expect(pa.softmaxKl(p, q)).toBeGreaterThan(0);
      expect(pa.softmaxKl(q, p)).toBeGreaterThan(0);
      expect(pa.softmaxKl(p, p)).toBe(0);
      const shifted = { data: p.data.map((v, i) => v + 10 * Math.floor(i / 4)), shape: [50, 4] };
      expect(pa.softmaxKl(p, shifted)).toBeLessThan(1e-14);
      // Two classes: p = (½, ½), q = (¼, ¾): ½ ln 2 + ½ ln(2/3).
      expect(pa.softmaxKl([[0, 0]], [[0, Math.log(3)]])).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 14);
      // Huge logits neither overflow nor lose the answer.
      expect(pa.softmaxKl([[1000, 0]], [[0, 1000]])).toBeCloseTo(1000, 9);
      expect(() => pa.softmaxKl(p, [[1, 2]])).toThrow('invalid argument: qLogits must have shape [rows, classes] = [50, 4], got [1, 2]');
    });
  });

  describe('betaSvd, ablation and the attack curve', () => {
    const rng = new Rng(21);
    const n = 30;
    const m = 5;
    const beta = { data: rng.normals(n * m), shape: [n, m] };

    it('the SVD reconstructs beta with orthonormal factors and descending σ', () => {
      const { U, S, V } = pa.betaSvd(beta, { backend });
      expect(U.shape).toEqual([m, n]);
      expect(V.shape).toEqual([m, m]);
      for (let i = 1; i < m; i++) expect(S[i]).toBeLessThanOrEqual(S[i - 1]);
      const UUt = pa.linalg.gemm(U, U, { transB: true });
      const VVt = pa.linalg.gemm(V, V, { transB: true });
      const I = Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0));
      expect(maxRelDiff(UUt.data, I)).toBeLessThan(1e-13);
      expect(maxRelDiff(VVt.data, I)).toBeLessThan(1e-13);
      // beta = Uᵀ diag(S) V.
      const SV = V.data.map((v, i) => v * S[Math.floor(i / m)]);
      const UtSV = pa.linalg.gemm(U, { data: SV, shape: [m, m] }, { transA: true });
      expect(maxRelDiff(UtSV.data, beta.data)).toBeLessThan(1e-12);
      // Each u_i's largest-|entry| is positive.
      for (let i = 0; i < m; i++) {
        const u = [...U.data.subarray(i * n, (i + 1) * n)];
        const big = u.reduce((b, v, j) => (Math.abs(v) > Math.abs(u[b]) ? j : b), 0);
        expect(u[big]).toBeGreaterThan(0);
      }
    });

    it('leaves numerically null directions out (rank-deficient beta)', () => {
      const b = Float64Array.from(beta.data);
      for (let r = 0; r < n; r++) b[r * m + 4] = b[r * m + 0] - 2 * b[r * m + 1];
      const { U, S } = pa.betaSvd({ data: b, shape: [n, m] }, { backend });
      expect(U.shape).toEqual([4, n]);
      expect(S.length).toBe(4);
    });

    it('ablation removes exactly the first k directions and keeps the rest', () => {
      const { U } = pa.betaSvd(beta, { backend });
      const rows = 7;
      const x = { data: rng.normals(rows * n), shape: [rows, n] };
      for (const k of [0, 1, 3, m]) {
        const xa = pa.ablate(x, U, k, { backend });
        expect(xa.shape).toEqual([rows, n]);
        const before = pa.linalg.gemm(x, U, { transB: true }).data;
        const after = pa.linalg.gemm(xa, U, { transB: true }).data;
        for (let r = 0; r < rows; r++) {
          for (let i = 0; i < m; i++) {
            if (i < k) expect(Math.abs(after[r * m + i])).toBeLessThan(1e-13);
            else expect(after[r * m + i]).toBeCloseTo(before[r * m + i], 13);
          }
        }
        // The same as applying P_k, which is a symmetric idempotent matrix.
        const P = pa.ablationProjector(U, k, { backend });
        expect(maxRelDiff(pa.linalg.gemm(x, P).data, xa.data)).toBeLessThan(1e-13);
        expect(maxRelDiff(pa.linalg.gemm(P, P).data, P.data)).toBeLessThan(1e-13);
      }
      expect(pa.ablate(x, U, 0, { backend }).data).toEqual(x.data);
      const one = pa.ablate(x.data.subarray(0, n), U, 2, { backend });
      expect(one.shape).toEqual([n]);
      expect(() => pa.ablate(x, U, m + 1, { backend })).toThrow(`invalid argument: k must be in 0..${m} (the rows of U), got ${m + 1}`);
    });

    it('the attack curve: ablating all of beta’s row space leaves the linear approximant its constant', () => {
      const r2 = new Rng(4);
      const net = mlpSpec(randomMlp(r2, 12, 20, 4, 'relu'));
      const fit = pa.ols(net, { degree: 1, input: { type: 'gaussian' }, backend });
      const rows = 200;
      const x = { data: r2.normals(rows * 12), shape: [rows, 12] };
      const labels = argmaxLabels(pa.mlpForward(net, x));
      const { U } = pa.betaSvd(fit.beta, { backend });
      const curve = pa.attackCurve({ mlp: (t) => pa.mlpForward(net, t, { backend }), linear: fit }, x, labels, U, { backend });
      expect(curve.ks).toEqual([0, 1, 2, 3, 4]);
      expect(curve.accuracy.mlp[0]).toBe(1);
      expect(curve.accuracy.linear[0]).toBe(pa.accuracy(fit.predict(x), labels));
      // With all four directions gone, x·beta = 0: every row gets the class argmax(alpha).
      const constant = [...fit.alpha.data].reduce((b, v, j, a) => (v > a[b] ? j : b), 0);
      expect(curve.accuracy.linear[4]).toBeCloseTo(labels.filter((l) => l === constant).length / rows, 15);
      const some = pa.attackCurve({ linear: fit }, x, labels, U, { ks: [4, 0], backend });
      expect(some.ks).toEqual([4, 0]);
      expect(some.accuracy.linear).toEqual([curve.accuracy.linear[4], curve.accuracy.linear[0]]);
      expect(() => pa.attackCurve({ bad: 3 as never }, x, labels, U, { backend })).toThrow('invalid argument: models.bad must be a function');
    });
  });
});
