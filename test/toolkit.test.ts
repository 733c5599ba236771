/**
 * The analysis toolkit on every backend: seeded sampling reproduces the law's moments, forward
 * passes match a direct evaluation, FVU is what it says, gemm is a matrix product.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMixture, randomMlp } from './helpers/layers';
import { evalGlu, evalMlp } from './helpers/networks';
import { Rng } from './helpers/random';

describe('sampling', () => {
  it('is reproducible for a seed and matches the mixture mean and covariance', () => {
    const rng = new Rng(8);
    const n = 3;
    const mix = randomMixture(rng, n, 2, 1);
    const input = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [2, n] }, covs: { data: mix.covs, shape: [2, n, n] } };
    const a = pa.sample(input, n, 60_000, { seed: 3 });
    expect(pa.sample(input, n, 60_000, { seed: 3 }).data).toEqual(a.data);
    expect(a.shape).toEqual([60_000, n]);
    const w = [1 / 3, 2 / 3];
    for (let j = 0; j < n; j++) {
      const mean = w[0] * mix.means[j] + w[1] * mix.means[n + j];
      let s = 0;
      let s2 = 0;
      for (let r = 0; r < 60_000; r++) {
        s += a.data[r * n + j];
        s2 += a.data[r * n + j] ** 2;
      }
      const m = s / 60_000;
      const v = s2 / 60_000 - m * m;
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(v / 60_000));
      // Law of total variance for coordinate j.
      const within = w[0] * mix.covs[j * n + j] + w[1] * mix.covs[n * n + j * n + j];
      const between = w[0] * (mix.means[j] - mean) ** 2 + w[1] * (mix.means[n + j] - mean) ** 2;
      expect(v / (within + between)).toBeGreaterThan(0.97);
      expect(v / (within + between)).toBeLessThan(1.03);
    }
    // Stratified: the first third of the rows come from component 0.
    expect(pa.sample(input, n, 9, { seed: 1 }).shape).toEqual([9, n]);
  });

  it('standard input gives standard normals', () => {
    const x = pa.sample(undefined, 2, 50_000, { seed: 1 });
    let s = 0;
    let s2 = 0;
    for (const v of x.data) {
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / 100_000)).toBeLessThan(0.02);
    expect(Math.abs(s2 / 100_000 - 1)).toBeLessThan(0.03);
  });
});

describe.each(availableBackends())('forward passes, FVU and gemm on %s', (backend) => {
  it('mlpForward and gluForward match a direct evaluation', () => {
    const rng = new Rng(4);
    for (const act of ['relu', 'gelu', 'sigmoid', 'softplus']) {
      const mlp = randomMlp(rng, 5, 7, 3, act);
      const glu = randomGlu(rng, 5, 6, 2, act);
      const X = rng.normals(40 * 5);
      expect(maxRelDiff(pa.mlpForward(mlpSpec(mlp), { data: X, shape: [40, 5] }, { backend }).data, evalMlp(mlp, X, 40))).toBeLessThan(1e-13);
      expect(maxRelDiff(pa.gluForward(gluSpec(glu), { data: X, shape: [40, 5] }, { backend }).data, evalGlu(glu, X, 40))).toBeLessThan(1e-13);
    }
  });

  it('gemm computes op(A)·op(B)', () => {
    const A = { data: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] };
    const B = { data: Float64Array.of(1, 0, 0, 1, 1, 1), shape: [3, 2] };
    expect([...pa.linalg.gemm(A, B, { backend }).data]).toEqual([4, 5, 10, 11]);
    expect([...pa.linalg.gemm(A, A, { transB: true, alpha: 2, backend }).data]).toEqual([28, 64, 64, 154]);
    expect(pa.linalg.gemm(A, A, { transA: true, backend }).shape).toEqual([3, 3]);
    expect(() => pa.linalg.gemm(A, A, { backend })).toThrow('invalid argument: B must have 3 rows to match A, got [2, 3]');
  });
});

describe('fvu', () => {
  it('is 0 for a perfect prediction, 1 for predicting the mean, per output', () => {
    const y = { data: Float64Array.of(1, 10, 2, 20, 3, 30), shape: [3, 2] };
    expect([...pa.fvu(y, y)]).toEqual([0, 0]);
    const mean = { data: Float64Array.of(2, 20, 2, 20, 2, 20), shape: [3, 2] };
    expect([...pa.fvu(y, mean)]).toEqual([1, 1]);
  });
});
