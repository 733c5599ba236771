/**
 * Degree-n (n ≥ 3) approximants in compact Hermite form, MLPs and GLUs, under a single
 * Gaussian: Monte Carlo regression on every monomial up to degree 3 (the compact form's own
 * monomial coefficients are read off by an exact interpolating fit, since it is a polynomial),
 * exactness on polynomial layers, degree-2 consistency with the quadratic fit, native vs JS.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import * as js from '../lib/js/fit';
import * as jsh from '../lib/js/hermite';
import * as jsq from '../lib/js/quadratic';
import { parseGlu, parseInput, parseMlp } from '../lib/validate';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMlp } from './helpers/layers';
import { maxZ, regressPolynomial, sampleMixture } from './helpers/montecarlo';
import { evalGlu, evalMlp } from './helpers/networks';
import { Rng } from './helpers/random';

const backends = availableBackends();
const OPT: js.FitOptions = { rcond: 1e-10, ridge: 0, psdTol: 1e-8, single: false };

function gaussian(rng: Rng, n: number) {
  const mean = rng.normals(n, 0.4);
  const cov = rng.covariance(n, n + 1, 0.1);
  return { mean, cov, input: { type: 'gaussian' as const, mean, cov: { data: cov, shape: [n, n] } } };
}

/** The monomial coefficients of a polynomial map of degree ≤ d, by an exact least-squares fit. */
function monomialCoefficients(predict: (X: Float64Array, rows: number) => Float64Array, n: number, d: number, out: number, rng: Rng) {
  const rows = 400;
  const X = rng.normals(rows * n, 1.5);
  return regressPolynomial(X, predict(X, rows), rows, n, d, out).coef;
}

describe.each(backends)('compact degree-n fits on %s', (backend) => {
  it.each(['relu', 'gelu', 'sigmoid', 'tanh'])('MLP degree 3 matches Monte Carlo regression, %s', (act) => {
    const rng = new Rng(51);
    const n = 2;
    const net = randomMlp(rng, n, 8, 2, act, 1.5);
    const g = gaussian(rng, n);
    const c = pa.ols(mlpSpec(net), { degree: 3, input: g.input, backend });
    expect(c.degree).toBe(3);
    const exact = monomialCoefficients((X, rows) => c.predict({ data: X, shape: [rows, n] }).data, n, 3, 2, rng);
    const { X, rows } = sampleMixture({ weights: Float64Array.of(1), means: g.mean, covs: g.cov }, n, 200_000, rng);
    const mc = regressPolynomial(X, evalMlp(net, X, rows), rows, n, 3, 2);
    expect(maxZ(exact, mc.coef, mc.se, 0)).toBeLessThan(5);
  });

  it.each(['sigmoid', 'relu', 'gelu'])('GLU (with W2) degree 3 matches Monte Carlo regression, %s', (act) => {
    const rng = new Rng(53);
    const n = 2;
    const net = randomGlu(rng, n, 4, 2, act);
    const g = gaussian(rng, n);
    const c = pa.gluOls(gluSpec(net), { degree: 3, input: g.input, backend });
    const exact = monomialCoefficients((X, rows) => c.predict({ data: X, shape: [rows, n] }).data, n, 3, 2, rng);
    const { X, rows } = sampleMixture({ weights: Float64Array.of(1), means: g.mean, covs: g.cov }, n, 200_000, rng);
    const mc = regressPolynomial(X, evalGlu(net, X, rows), rows, n, 3, 2);
    expect(maxZ(exact, mc.coef, mc.se, 0)).toBeLessThan(5);
  });

  it('polynomial layers are reproduced exactly: identity MLP and bilinear GLU at degree 3 and 5', () => {
    const rng = new Rng(57);
    const n = 4;
    const mlp = randomMlp(rng, n, 6, 2, 'identity');
    const glu = randomGlu(rng, n, 5, null, 'identity');
    const g = gaussian(rng, n);
    const X = rng.normals(50 * n, 2);
    for (const degree of [3, 5] as const) {
      const a = pa.ols(mlpSpec(mlp), { degree, input: g.input, backend }).predict({ data: X, shape: [50, n] }).data;
      expect(maxRelDiff(a, evalMlp(mlp, X, 50))).toBeLessThan(1e-12);
      const b = pa.gluOls(gluSpec(glu), { degree, input: g.input, backend }).predict({ data: X, shape: [50, n] }).data;
      expect(maxRelDiff(b, evalGlu(glu, X, 50))).toBeLessThan(1e-12);
    }
  });

  it('higher degree explains more: Monte Carlo FVU decreases from degree 1 to 6 for a softplus MLP', () => {
    const rng = new Rng(59);
    const n = 3;
    const net = randomMlp(rng, n, 12, 1, 'softplus', 3);
    const g = gaussian(rng, n);
    const x = pa.sample(g.input, n, 50_000, { seed: 4 });
    const y = pa.mlpForward(mlpSpec(net), x, { backend });
    const fvus = [1, 2, 3, 4, 6].map((degree) => pa.fvu(y, pa.ols(mlpSpec(net), { degree, input: g.input, backend }).predict(x))[0]);
    for (let i = 1; i < fvus.length; i++) expect(fvus[i]).toBeLessThan(fvus[i - 1]);
  });

  it('degree limits are enforced with clear messages', () => {
    const glu = randomGlu(new Rng(1), 2, 3, 1, 'relu');
    expect(() => pa.gluOls(gluSpec(glu), { degree: 8, backend })).toThrow('invalid argument: options.degree must be at most 7 for a GLU, got 8');
  });
});

describe('compact form at degree 2 equals the quadratic fit (JS steps)', () => {
  it.each(['relu', 'gelu', 'sigmoid', 'swish'])('%s, MLP and GLU', (act) => {
    const rng = new Rng(61);
    const n = 4;
    const g = gaussian(rng, n);
    const dist = parseInput(g.input, n);
    const mlp = parseMlp(mlpSpec(randomMlp(rng, n, 7, 2, act)));
    const glu = parseGlu(gluSpec(randomGlu(rng, n, 5, 3, act)));
    const X = rng.normals(20 * n);
    expect(maxRelDiff(jsh.compactPredict(jsh.mlpCompactFit(mlp, dist, 2, OPT), 20, X), jsq.quadraticPredict(jsq.mlpQuadraticFit(mlp, dist, OPT), 20, X))).toBeLessThan(1e-12);
    expect(maxRelDiff(jsh.compactPredict(jsh.gluCompactFit(glu, dist, 2, OPT), 20, X), jsq.quadraticPredict(jsq.gluQuadraticFit(glu, dist, OPT), 20, X))).toBeLessThan(1e-12);
    expect(maxRelDiff(jsh.compactPredict(jsh.mlpCompactFit(mlp, dist, 1, OPT), 20, X), js.linearPredict(js.mlpLinearFit(mlp, dist, OPT), 20, X))).toBeLessThan(1e-12);
  });
});

describe('compact fits: native and JS agree to 1e-12', () => {
  it.skipIf(!backends.includes('native')).each(['relu', 'gelu', 'sigmoid', 'swish', 'tanh', 'jump_relu', 'leaky_relu', 'softplus'])('%s, degree 4', (act) => {
    const rng = new Rng(67);
    const n = 8;
    const g = gaussian(rng, n);
    const X = rng.normals(9 * n);
    const mlp = mlpSpec(randomMlp(rng, n, 20, 3, act));
    const glu = gluSpec(randomGlu(rng, n, 10, 2, act));
    const pairs = [
      [pa.ols(mlp, { degree: 4, input: g.input, backend: 'native' }), pa.ols(mlp, { degree: 4, input: g.input, backend: 'js' })],
      [pa.gluOls(glu, { degree: 4, input: g.input, backend: 'native' }), pa.gluOls(glu, { degree: 4, input: g.input, backend: 'js' })],
    ];
    for (const [a, b] of pairs) {
      expect(maxRelDiff(a.compact.coef, b.compact.coef)).toBeLessThan(1e-12);
      expect(maxRelDiff(a.predict({ data: X, shape: [9, n] }).data, b.predict({ data: X, shape: [9, n] }).data)).toBeLessThan(1e-12);
    }
  });
});
