/**
 * dtype: 'float32' runs the large products (covariance projections, quadratic forms) in single
 * precision on the native backend. Its documented accuracy: within 1e-5 of the float64 result,
 * relative to the largest coefficient. The JS fallback computes in float64 whatever is asked.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMixture, randomMlp } from './helpers/layers';
import { Rng } from './helpers/random';

const backends = availableBackends();
const FLOAT32_TOL = 1e-5;

describe.each(backends)('dtype on %s', (backend) => {
  const rng = new Rng(71);
  const n = 60;
  const mlp = mlpSpec(randomMlp(rng, n, 80, 4, 'gelu'));
  const glu = gluSpec(randomGlu(rng, n, 40, 3, 'swish'));
  const mix = randomMixture(rng, n, 3, 1);
  const mixture = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [3, n] }, covs: { data: mix.covs, shape: [3, n, n] } };
  const gaussian = { type: 'gaussian' as const, mean: mix.means.subarray(0, n), cov: { data: mix.covs.subarray(0, n * n), shape: [n, n] } };
  const expected = backend === 'native' ? 'float32' : 'float64';

  it(`float32 linear mixture fits are within ${FLOAT32_TOL} of float64 (dtype reported: ${expected})`, () => {
    const a = pa.ols(mlp, { input: mixture, backend, ridge: 1e-3 });
    const b = pa.ols(mlp, { input: mixture, backend, ridge: 1e-3, dtype: 'float32' });
    expect(a.dtype).toBe('float64');
    expect(b.dtype).toBe(expected);
    const diff = maxRelDiff(b.beta.data, a.beta.data);
    expect(diff).toBeLessThan(FLOAT32_TOL);
    if (backend === 'native') expect(diff).toBeGreaterThan(0); // really computed in single
    else expect(diff).toBe(0);
  });

  it(`float32 quadratic fits (gamma, forms, predict) are within ${FLOAT32_TOL} of float64`, () => {
    for (const [a, b] of [
      [pa.ols(mlp, { degree: 2, input: gaussian, backend }), pa.ols(mlp, { degree: 2, input: gaussian, backend, dtype: 'float32' })],
      [pa.gluOls(glu, { degree: 2, input: gaussian, backend }), pa.gluOls(glu, { degree: 2, input: gaussian, backend, dtype: 'float32' })],
    ]) {
      expect(b.dtype).toBe(expected);
      expect(maxRelDiff(b.gamma!.data, a.gamma!.data)).toBeLessThan(FLOAT32_TOL);
      expect(maxRelDiff(b.quadraticForm(1).data, a.quadraticForm(1).data)).toBeLessThan(FLOAT32_TOL);
      expect(maxRelDiff(b.beta.data, a.beta.data)).toBeLessThan(FLOAT32_TOL);
      const X = rng.normals(5 * n);
      expect(maxRelDiff(b.predict({ data: X, shape: [5, n] }).data, a.predict({ data: X, shape: [5, n] }).data)).toBeLessThan(FLOAT32_TOL);
    }
  });

  it('rejects an unknown dtype', () => {
    expect(() => pa.ols(mlp, { backend, dtype: 'float16' as 'float32' })).toThrow(`invalid argument: options.dtype must be 'float64' or 'float32', got "float16"`);
  });
});
