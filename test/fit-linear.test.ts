/**
 * Linear approximants of MLPs and GLUs under standard, Gaussian and mixture inputs: Monte Carlo
 * least squares (fixed seeds, HC0 standard errors), exact identities, native vs JS agreement,
 * singular covariances, and the API's contracts (async, no mutation, predict).
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMixture, randomMlp } from './helpers/layers';
import { maxZ, regressLinear, sampleMixture } from './helpers/montecarlo';
import { evalGlu, evalMlp } from './helpers/networks';
import { Rng } from './helpers/random';

const backends = availableBackends();
const ACTS = ['relu', 'gelu', 'identity', 'sigmoid', 'swish', 'tanh', 'jump_relu', 'leaky_relu', 'softplus'];
const MC_SAMPLES = 120_000;
const Z_LIMIT = 5;

function gaussianAsMixture(mean: Float64Array, cov: Float64Array) {
  return { weights: Float64Array.of(1), means: mean, covs: cov };
}

describe.each(backends)('linear fits on %s: Monte Carlo regression', (backend) => {
  it.each(ACTS)('MLP, general Gaussian input, %s', (act) => {
    const rng = new Rng(11);
    const n = 4;
    const net = randomMlp(rng, n, 10, 3, act, 1.5);
    const mean = rng.normals(n, 0.5);
    const cov = rng.covariance(n, n + 1, 0.1);
    const fit = pa.ols(mlpSpec(net), { input: { type: 'gaussian', mean, cov: { data: cov, shape: [n, n] } }, backend });
    const { X, rows } = sampleMixture(gaussianAsMixture(mean, cov), n, MC_SAMPLES, rng);
    const mc = regressLinear(X, evalMlp(net, X, rows), rows, n, 3);
    const floor = act === 'identity' ? 1e-9 : 0;
    expect(maxZ(fit.beta.data, mc.beta, mc.betaSe, floor)).toBeLessThan(Z_LIMIT);
    expect(maxZ(fit.alpha.data, mc.alpha, mc.alphaSe, floor)).toBeLessThan(Z_LIMIT);
  });

  it.each(['relu', 'gelu', 'sigmoid', 'tanh'])('MLP, 3-component mixture with unequal weights and a singular component, %s', (act) => {
    const rng = new Rng(23);
    const n = 3;
    const net = randomMlp(rng, n, 12, 2, act);
    const mix = randomMixture(rng, n, 3, 1);
    const fit = pa.ols(mlpSpec(net), {
      input: { type: 'mixture', weights: mix.weights, means: { data: mix.means, shape: [3, n] }, covs: { data: mix.covs, shape: [3, n, n] } },
      backend,
    });
    expect(fit.solve.method).toBe('pinv');
    expect(fit.solve.rank).toBe(n);
    const { X, rows } = sampleMixture(mix, n, MC_SAMPLES, rng);
    const mc = regressLinear(X, evalMlp(net, X, rows), rows, n, 2);
    expect(maxZ(fit.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(Z_LIMIT);
    expect(maxZ(fit.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(Z_LIMIT);
  });

  it.each(['sigmoid', 'relu', 'gelu', 'swish'])('GLU with W2 and hidden ≠ in, general Gaussian input, %s', (act) => {
    const rng = new Rng(31);
    const n = 3;
    const net = randomGlu(rng, n, 7, 2, act);
    const mean = rng.normals(n, 0.6);
    const cov = rng.covariance(n, n + 1, 0.2);
    const fit = pa.gluOls(gluSpec(net), { input: { type: 'gaussian', mean, cov: { data: cov, shape: [n, n] } }, backend });
    const { X, rows } = sampleMixture(gaussianAsMixture(mean, cov), n, MC_SAMPLES, rng);
    const mc = regressLinear(X, evalGlu(net, X, rows), rows, n, 2);
    expect(maxZ(fit.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(Z_LIMIT);
    expect(maxZ(fit.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(Z_LIMIT);
  });

  it('GLU without W2 under a mixture', () => {
    const rng = new Rng(37);
    const n = 3;
    const net = randomGlu(rng, n, 4, null, 'gelu');
    const mix = randomMixture(rng, n, 2);
    const fit = pa.gluOls(gluSpec(net), {
      input: { type: 'mixture', weights: mix.weights, means: { data: mix.means, shape: [2, n] }, covs: { data: mix.covs, shape: [2, n, n] } },
      backend,
    });
    const { X, rows } = sampleMixture(mix, n, MC_SAMPLES, rng);
    const mc = regressLinear(X, evalGlu(net, X, rows), rows, n, 4);
    expect(maxZ(fit.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(Z_LIMIT);
    expect(maxZ(fit.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(Z_LIMIT);
  });
});

describe.each(backends)('linear fits on %s: exact identities', (backend) => {
  it('an identity MLP is its own linear approximant under every input law', () => {
    const rng = new Rng(5);
    const n = 5;
    const net = randomMlp(rng, n, 8, 3, 'identity');
    // f(x) = W2 (W1 x + b1) + b2 exactly: beta = (W2 W1)ᵀ, alpha = W2 b1 + b2.
    const beta = new Float64Array(n * 3);
    const alpha = Float64Array.from(net.b2);
    for (let o = 0; o < 3; o++) {
      for (let i = 0; i < 8; i++) {
        alpha[o] += net.W2[o * 8 + i] * net.b1[i];
        for (let j = 0; j < n; j++) beta[j * 3 + o] += net.W2[o * 8 + i] * net.W1[i * n + j];
      }
    }
    const mix = randomMixture(rng, n, 3, 0);
    for (const input of [
      undefined,
      { type: 'gaussian' as const, mean: mix.means.subarray(0, n), cov: { data: mix.covs.subarray(0, n * n), shape: [n, n] } },
      { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [3, n] }, covs: { data: mix.covs, shape: [3, n, n] } },
    ]) {
      const fit = pa.ols(mlpSpec(net), { input, backend });
      expect(maxRelDiff(fit.beta.data, beta)).toBeLessThan(1e-12);
      expect(maxRelDiff(fit.alpha.data, alpha, 1)).toBeLessThan(1e-12);
    }
  });

  it('a singular mixture gets the minimum-norm solution (beta orthogonal to the unreached direction), or the ridge one', () => {
    const rng = new Rng(41);
    const n = 4;
    const net = randomMlp(rng, n, 9, 2, 'relu');
    // Every component lives in the span of the first three coordinates: x_3 = 0 always.
    const mix = randomMixture(rng, n, 3);
    for (let k = 0; k < 3; k++) {
      mix.means[k * n + 3] = 0;
      for (let j = 0; j < n; j++) {
        mix.covs[k * n * n + 3 * n + j] = 0;
        mix.covs[k * n * n + j * n + 3] = 0;
      }
    }
    const input = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [3, n] }, covs: { data: mix.covs, shape: [3, n, n] } };
    const fit = pa.ols(mlpSpec(net), { input, backend });
    expect(fit.solve.method).toBe('pinv');
    expect(fit.solve.rank).toBe(3);
    for (let o = 0; o < 2; o++) expect(Math.abs(fit.beta.data[3 * 2 + o])).toBeLessThan(1e-12);
    expect([...fit.beta.data, ...fit.alpha.data].every(Number.isFinite)).toBe(true);
    // On the reached subspace it is the least-squares fit: compare with Monte Carlo there.
    const { X, rows } = sampleMixture(mix, n, MC_SAMPLES, rng);
    const X3 = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) for (let j = 0; j < 3; j++) X3[r * 3 + j] = X[r * n + j];
    const mc = regressLinear(X3, evalMlp(net, X, rows), rows, 3, 2);
    expect(maxZ(fit.beta.data.subarray(0, 6), mc.beta, mc.betaSe, 0)).toBeLessThan(Z_LIMIT);
    const ridged = pa.ols(mlpSpec(net), { input, backend, ridge: 1e-3 });
    expect(ridged.solve.method).toBe('ridge');
    expect(ridged.solve.ridge).toBe(1e-3);
    expect(maxRelDiff(ridged.beta.data, fit.beta.data)).toBeGreaterThan(1e-6);
    expect(maxRelDiff(ridged.beta.data, fit.beta.data)).toBeLessThan(0.05);
  });

  it('a singular single Gaussian needs no solve: beta = E∇f, predictions match Monte Carlo on the support', () => {
    const rng = new Rng(43);
    const n = 3;
    const net = randomMlp(rng, n, 6, 1, 'tanh');
    const mean = rng.normals(n, 0.3);
    const cov = rng.covariance(n, 2);
    const fit = pa.ols(mlpSpec(net), { input: { type: 'gaussian', mean, cov: { data: cov, shape: [n, n] } }, backend });
    expect(fit.solve.method).toBe('stein');
    expect(fit.solve.rank).toBe(2);
    const { X, rows } = sampleMixture(gaussianAsMixture(mean, cov), n, 20_000, rng);
    const y = evalMlp(net, X, rows);
    const pred = fit.predict({ data: X, shape: [rows, n] }).data;
    // Normal equations of least squares: the residual has mean 0 and is uncorrelated with every
    // coordinate (each checked to 5 standard errors of its sample mean).
    for (let j = -1; j < n; j++) {
      let s1 = 0;
      let s2 = 0;
      for (let r = 0; r < rows; r++) {
        const v = (y[r] - pred[r]) * (j < 0 ? 1 : X[r * n + j] - mean[j]);
        s1 += v;
        s2 += v * v;
      }
      const m = s1 / rows;
      const se = Math.sqrt((s2 / rows - m * m) / rows);
      expect(Math.abs(m)).toBeLessThan(5 * se);
    }
  });
});

describe('native and JS agree to 1e-12', () => {
  const both = backends.includes('native');
  it.skipIf(!both).each(ACTS)('MLP and GLU, mixture with singular components, pinv and ridge, %s', (act) => {
    const rng = new Rng(101);
    const n = 12;
    const mlp = randomMlp(rng, n, 30, 4, act);
    const glu = randomGlu(rng, n, 20, 3, act);
    const mix = randomMixture(rng, n, 4, 2);
    const input = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [4, n] }, covs: { data: mix.covs, shape: [4, n, n] } };
    for (const extra of [{}, { ridge: 1e-4 }]) {
      for (const [a, b] of [
        [pa.ols(mlpSpec(mlp), { input, backend: 'native', ...extra }), pa.ols(mlpSpec(mlp), { input, backend: 'js', ...extra })],
        [pa.gluOls(gluSpec(glu), { input, backend: 'native', ...extra }), pa.gluOls(gluSpec(glu), { input, backend: 'js', ...extra })],
        [pa.ols(mlpSpec(mlp), { input: { type: 'gaussian', mean: mix.means.subarray(0, n), cov: { data: mix.covs.subarray(0, n * n), shape: [n, n] } }, backend: 'native' }),
         pa.ols(mlpSpec(mlp), { input: { type: 'gaussian', mean: mix.means.subarray(0, n), cov: { data: mix.covs.subarray(0, n * n), shape: [n, n] } }, backend: 'js' })],
      ]) {
        expect(maxRelDiff(a.beta.data, b.beta.data)).toBeLessThan(1e-12);
        expect(maxRelDiff(a.alpha.data, b.alpha.data, 1)).toBeLessThan(1e-12);
        const { cutoff: ca, ...sa } = a.solve;
        const { cutoff: cb, ...sb } = b.solve;
        expect(sa).toEqual(sb);
        expect(Math.abs(ca - cb)).toBeLessThanOrEqual(1e-12 * Math.abs(cb));
      }
    }
  });
});

describe.each(backends)('API contracts on %s', (backend) => {
  it('olsAsync and gluOlsAsync equal their sync versions and never mutate inputs', async () => {
    const rng = new Rng(7);
    const n = 6;
    const net = randomMlp(rng, n, 10, 2, 'gelu');
    const glu = randomGlu(rng, n, 5, 2, 'sigmoid');
    const mix = randomMixture(rng, n, 2, 0);
    const snapshot = [net.W1, net.b1, net.W2, net.b2, glu.W, glu.V, mix.weights, mix.means, mix.covs].map((a) => a!.slice());
    const input = { type: 'mixture' as const, weights: mix.weights, means: { data: mix.means, shape: [2, n] }, covs: { data: mix.covs, shape: [2, n, n] } };
    const [a, b] = await Promise.all([pa.olsAsync(mlpSpec(net), { input, backend }), pa.gluOlsAsync(gluSpec(glu), { input, backend })]);
    expect(a.beta.data).toEqual(pa.ols(mlpSpec(net), { input, backend }).beta.data);
    expect(b.beta.data).toEqual(pa.gluOls(gluSpec(glu), { input, backend }).beta.data);
    [net.W1, net.b1, net.W2, net.b2, glu.W, glu.V, mix.weights, mix.means, mix.covs].forEach((arr, i) => expect(arr).toEqual(snapshot[i]));
  });

  it('olsAsync rejects (does not throw) on bad input', async () => {
    await expect(pa.olsAsync({ W1: [[1]], W2: [[1, 2]], act: 'relu' }, { backend })).rejects.toThrow(/W2 must have shape \[out, hidden\] = \[out, 1\], got \[1, 2\]/);
  });

  it('predict: y = x·beta + alpha, for one row and many, nested arrays and Float32Array', () => {
    const rng = new Rng(3);
    const net = randomMlp(rng, 3, 5, 2, 'softplus');
    const fit = pa.ols(mlpSpec(net), { backend });
    const x = [0.3, -1.2, 2];
    const one = fit.predict(x);
    expect(one.shape).toEqual([2]);
    for (let o = 0; o < 2; o++) {
      let v = fit.alpha.data[o];
      for (let j = 0; j < 3; j++) v += x[j] * fit.beta.data[j * 2 + o];
      expect(one.data[o]).toBeCloseTo(v, 14);
    }
    const many = fit.predict({ data: Float32Array.from([...x, ...x]), shape: [2, 3] });
    expect(many.shape).toEqual([2, 2]);
    expect(many.data[2]).toBeCloseTo(fit.predict(Float32Array.from(x).map((v) => v)).data[0], 12);
    expect(fit.backend).toBe(backend);
  });

  it('nested arrays, Float32Array and Float64Array weights give the same fit', () => {
    const W1 = [[0.5, -0.25], [1, 0.75], [-0.5, 0.125]];
    const W2 = [[1, -1, 0.5]];
    const a = pa.ols({ W1, W2, act: 'relu' }, { backend });
    const b = pa.ols({ W1: { data: Float32Array.from(W1.flat()), shape: [3, 2] }, W2: { data: Float64Array.from(W2.flat()), shape: [1, 3] }, act: 'relu' }, { backend });
    expect(a.beta.data).toEqual(b.beta.data);
    expect(a.alpha.data).toEqual(b.alpha.data);
  });
});
