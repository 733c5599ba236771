/**
 * Degree-2 approximants under a single Gaussian, MLPs and GLUs: the shared quadratic fixtures,
 * Monte Carlo regression on [1, x, x_i x_j] under general Gaussians, exact identities (a
 * bilinear GLU is its own quadratic; an identity MLP has gamma = 0), native vs JS, and the
 * compact form's contracts (gamma packing, quadraticForm, lazy gamma, predict).
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { f64, loadReferenceCases } from './helpers/fixtures';
import { gluSpec, mlpSpec, randomGlu, randomMlp } from './helpers/layers';
import { maxZ, regressQuadratic, sampleMixture } from './helpers/montecarlo';
import { evalGlu, evalMlp } from './helpers/networks';
import { Rng } from './helpers/random';

const backends = availableBackends();
const quadraticCases = loadReferenceCases().filter((c) => c.order === 'quadratic');
const MC_SAMPLES = 150_000;

function gaussian(rng: Rng, n: number) {
  const mean = rng.normals(n, 0.5);
  const cov = rng.covariance(n, n + 1, 0.1);
  return { mean, cov, input: { type: 'gaussian' as const, mean, cov: { data: cov, shape: [n, n] } } };
}

describe.each(backends)('quadratic fits on %s', (backend) => {
  it.each(quadraticCases.map((c) => [c.name, c] as const))('reference fixture %s', (_n, c) => {
    const p = c.params;
    const q = pa.ols({ W1: f64(p.W1), b1: f64(p.b1), W2: f64(p.W2), b2: f64(p.b2), act: c.act as pa.ActKind }, { degree: 2, backend });
    const exp = c.expected;
    const all = [...exp.alpha.data, ...exp.beta.data, ...exp.gamma!.data].map(Math.abs);
    const scale = Math.max(...all);
    const tol = Math.max(1e-9 * scale, 10 * c.independent_check.max_abs_diff);
    expect(q.gamma!.shape).toEqual(exp.gamma!.shape);
    expect(maxRelDiff(q.gamma!.data, exp.gamma!.data, scale) * scale).toBeLessThanOrEqual(tol);
    expect(maxRelDiff(q.beta.data, exp.beta.data, scale) * scale).toBeLessThanOrEqual(tol);
    expect(maxRelDiff(q.alpha.data, exp.alpha.data, scale) * scale).toBeLessThanOrEqual(tol);
  });

  it.each(['relu', 'gelu', 'sigmoid', 'tanh', 'softplus'])('MLP under a general Gaussian matches Monte Carlo regression, %s', (act) => {
    const rng = new Rng(17);
    const n = 3;
    const net = randomMlp(rng, n, 10, 2, act, 1.5);
    const g = gaussian(rng, n);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: g.input, backend });
    const { X, rows } = sampleMixture({ weights: Float64Array.of(1), means: g.mean, covs: g.cov }, n, MC_SAMPLES, rng);
    const mc = regressQuadratic(X, evalMlp(net, X, rows), rows, n, 2);
    expect(maxZ(q.gamma!.data, mc.gamma, mc.gammaSe, 0)).toBeLessThan(5);
    expect(maxZ(q.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(5);
    expect(maxZ(q.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(5);
  });

  it.each(['sigmoid', 'gelu', 'relu'])('GLU with W2 under a general Gaussian matches Monte Carlo regression, %s', (act) => {
    const rng = new Rng(19);
    const n = 3;
    const net = randomGlu(rng, n, 5, 2, act);
    const g = gaussian(rng, n);
    const q = pa.gluOls(gluSpec(net), { degree: 2, input: g.input, backend });
    const { X, rows } = sampleMixture({ weights: Float64Array.of(1), means: g.mean, covs: g.cov }, n, MC_SAMPLES, rng);
    const mc = regressQuadratic(X, evalGlu(net, X, rows), rows, n, 2);
    expect(maxZ(q.gamma!.data, mc.gamma, mc.gammaSe, 0)).toBeLessThan(5);
    expect(maxZ(q.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(5);
    expect(maxZ(q.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(5);
  });

  it('a bilinear GLU (identity activation) is exactly its own quadratic approximant', () => {
    const rng = new Rng(23);
    const n = 6;
    for (const W2 of [3, null]) {
      const net = randomGlu(rng, n, 9, W2, 'identity');
      const g = gaussian(rng, n);
      const q = pa.gluOls(gluSpec(net), { degree: 2, input: g.input, backend });
      const X = rng.normals(500 * n, 2);
      const y = evalGlu(net, X, 500);
      const yq = q.predict({ data: X, shape: [500, n] }).data;
      let ss = 0;
      let se = 0;
      let mean = 0;
      for (const v of y) mean += v / y.length;
      for (let i = 0; i < y.length; i++) {
        ss += (y[i] - mean) ** 2;
        se += (y[i] - yq[i]) ** 2;
      }
      expect(se / ss).toBeLessThan(1e-24); // FVU ≤ 1e-12 with room: rounding only
    }
  });

  it('an identity MLP has gamma = 0 and its exact linear coefficients', () => {
    const rng = new Rng(29);
    const net = randomMlp(rng, 5, 7, 2, 'identity');
    const g = gaussian(rng, 5);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: g.input, backend });
    expect(Math.max(...q.gamma!.data.map(Math.abs))).toBe(0);
    const lin = pa.ols(mlpSpec(net), { degree: 1, input: g.input, backend });
    expect(maxRelDiff(q.beta.data, lin.beta.data)).toBeLessThan(1e-13);
    expect(maxRelDiff(q.alpha.data, lin.alpha.data, 1)).toBeLessThan(1e-13);
  });

  it('gamma packing, quadraticForm, gammaRow, lazy gamma and predict agree', () => {
    const rng = new Rng(31);
    const n = 4;
    const net = randomMlp(rng, n, 6, 3, 'gelu');
    const g = gaussian(rng, n);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: g.input, backend });
    const lazy = pa.ols(mlpSpec(net), { degree: 2, input: g.input, backend, gamma: 'lazy' });
    expect(lazy.gamma).toBeNull();
    const x = rng.normals(n);
    const m = (n * (n + 1)) / 2;
    for (let o = 0; o < 3; o++) {
      const G = q.quadraticForm(o).data;
      const row = lazy.gammaRow(o);
      expect(maxRelDiff(row, q.gamma!.data.subarray(o * m, (o + 1) * m))).toBeLessThan(1e-13);
      let v = q.alpha.data[o];
      for (let i = 0; i < n; i++) {
        v += x[i] * q.beta.data[i * 3 + o];
        expect(G[i * n + i]).toBe(row[(i * (i + 1)) / 2 + i]);
        for (let j = 0; j < i; j++) {
          expect(G[i * n + j]).toBe(G[j * n + i]);
          expect(G[i * n + j]).toBeCloseTo(row[(i * (i + 1)) / 2 + j] / 2, 15);
          v += row[(i * (i + 1)) / 2 + j] * x[i] * x[j];
        }
        v += row[(i * (i + 1)) / 2 + i] * x[i] * x[i];
      }
      expect(q.predict(x).data[o]).toBeCloseTo(v, 12);
    }
    expect(() => q.quadraticForm(3)).toThrow('invalid argument: o must be in 0..2, got 3');
    const budget = pa.ols(mlpSpec(net), { degree: 2, input: g.input, backend, memoryBudget: 8 });
    expect(budget.gamma).toBeNull();
  });

  it('a singular covariance works without a solve', () => {
    const rng = new Rng(37);
    const n = 4;
    const net = randomMlp(rng, n, 8, 2, 'tanh');
    const cov = rng.covariance(n, 2);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: { type: 'gaussian', cov: { data: cov, shape: [n, n] } }, backend });
    expect(q.solve.rank).toBe(2);
    expect([...q.alpha.data, ...q.beta.data, ...q.gamma!.data].every(Number.isFinite)).toBe(true);
  });

  it('degree 2 under a mixture is the exact solve (test/mixture-quadratic.test.ts); degree 3 is refused', () => {
    const net = randomMlp(new Rng(1), 2, 3, 1, 'relu');
    expect(pa.ols(mlpSpec(net), { degree: 2, input: { type: 'mixture', means: [[0, 0], [1, 1]] }, backend }).solve.method).toBe('mixture-cg');
    expect(() => pa.ols(mlpSpec(net), { degree: 3, input: { type: 'mixture', means: [[0, 0], [1, 1]] }, backend })).toThrow(
      /options.degree must be 1 or 2 under a mixture input/,
    );
  });
});

describe('quadratic fits: native and JS agree to 1e-12', () => {
  it.skipIf(!backends.includes('native')).each(['relu', 'gelu', 'sigmoid', 'swish', 'tanh', 'jump_relu', 'leaky_relu', 'softplus', 'identity'])('%s', (act) => {
    const rng = new Rng(43);
    const n = 10;
    const mlp = randomMlp(rng, n, 25, 3, act);
    const glu = randomGlu(rng, n, 15, 2, act);
    const cov = rng.covariance(n, 6);
    const input = { type: 'gaussian' as const, mean: rng.normals(n, 0.4), cov: { data: cov, shape: [n, n] } };
    const pairs = [
      [pa.ols(mlpSpec(mlp), { degree: 2, input, backend: 'native' }), pa.ols(mlpSpec(mlp), { degree: 2, input, backend: 'js' })],
      [pa.gluOls(gluSpec(glu), { degree: 2, input, backend: 'native' }), pa.gluOls(gluSpec(glu), { degree: 2, input, backend: 'js' })],
    ];
    for (const [a, b] of pairs) {
      expect(maxRelDiff(a.alpha.data, b.alpha.data, 1)).toBeLessThan(1e-12);
      expect(maxRelDiff(a.beta.data, b.beta.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(a.gamma!.data, b.gamma!.data)).toBeLessThan(1e-12);
      const X = rng.normals(7 * n);
      expect(maxRelDiff(a.predict({ data: X, shape: [7, n] }).data, b.predict({ data: X, shape: [7, n] }).data)).toBeLessThan(1e-12);
    }
  });
});
