/**
 * Analytic variance explained per Hermite degree (pa.varianceExplained) under one Gaussian:
 * Monte Carlo agreement of Var f, Var q and FVU, exactness for identity MLPs and for layers with
 * duplicated or mirrored units, Σ_k byDegree = varQ, the Parseval limit Σ_k byDegree → Var f,
 * an independent recomputation of byDegree through pa.derivEv, the pair-covariance routes
 * against each other, native vs JS, and argument errors.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import * as jsv from '../lib/js/variance';
import { parseActivation } from '../lib/activation';
import { derivEv } from '../lib/js/integrals';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { mlpSpec, randomMlp } from './helpers/layers';
import type { Mlp } from './helpers/networks';
import { Rng } from './helpers/random';

const backends = availableBackends();
const MC_SAMPLES = 200_000;

function gaussian(rng: Rng, n: number, rank = n + 1) {
  const mean = rng.normals(n, 0.5);
  const cov = rng.covariance(n, rank, rank >= n ? 0.1 : 0);
  return { mean, cov, input: { type: 'gaussian' as const, mean, cov: { data: cov, shape: [n, n] } } };
}

/** Column variances of Y [rows, out] with the standard error of each (from the 4th moment). */
function sampleVariances(Y: Float64Array, rows: number, out: number) {
  const v = new Float64Array(out);
  const se = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += Y[r * out + o] / rows;
    let m2 = 0;
    let m4 = 0;
    for (let r = 0; r < rows; r++) {
      const d = (Y[r * out + o] - mean) ** 2;
      m2 += d / rows;
      m4 += (d * d) / rows;
    }
    v[o] = m2;
    se[o] = Math.sqrt(Math.max(m4 - m2 * m2, 0) / rows);
  }
  return { v, se };
}

/** FVU = Σ(e − ē)² / Σ(y − ȳ)² per column (e = y − ŷ) with its delta-method standard error. */
function sampleFvu(Y: Float64Array, Yq: Float64Array, rows: number, out: number) {
  const fvu = new Float64Array(out);
  const se = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let my = 0;
    let me = 0;
    for (let r = 0; r < rows; r++) {
      my += Y[r * out + o] / rows;
      me += (Y[r * out + o] - Yq[r * out + o]) / rows;
    }
    let su = 0;
    let sw = 0;
    for (let r = 0; r < rows; r++) {
      su += (Y[r * out + o] - Yq[r * out + o] - me) ** 2 / rows;
      sw += (Y[r * out + o] - my) ** 2 / rows;
    }
    const R = su / sw;
    let vz = 0;
    for (let r = 0; r < rows; r++) {
      const z = (Y[r * out + o] - Yq[r * out + o] - me) ** 2 - R * (Y[r * out + o] - my) ** 2;
      vz += (z * z) / rows;
    }
    fvu[o] = R;
    se[o] = Math.sqrt(vz / rows) / sw;
  }
  return { fvu, se };
}

function maxAbsZ(got: ArrayLike<number>, mc: ArrayLike<number>, se: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < got.length; i++) z = Math.max(z, Math.abs(got[i] - mc[i]) / se[i]);
  return z;
}

/** K = W1 Σ W1ᵀ and the preactivation means, directly. */
function preactivations(net: Mlp, mean: Float64Array, cov: Float64Array) {
  const { in: n, hidden: h } = net;
  const m = new Float64Array(h);
  const K = new Float64Array(h * h);
  for (let i = 0; i < h; i++) {
    m[i] = net.b1[i];
    for (let p = 0; p < n; p++) m[i] += net.W1[i * n + p] * mean[p];
  }
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < h; j++) {
      let acc = 0;
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) acc += net.W1[i * n + p] * cov[p * n + q] * net.W1[j * n + q];
      K[i * h + j] = acc;
    }
  }
  return { m, K };
}

describe.each(backends)('variance explained on %s', (backend) => {
  it.each(['relu', 'gelu', 'sigmoid', 'tanh'])('Var f, Var q and FVU match Monte Carlo under a general Gaussian, %s', (act) => {
    const rng = new Rng(71);
    const n = 4;
    const net = randomMlp(rng, n, 10, 2, act, 1.5);
    const g = gaussian(rng, n);
    const X = pa.sample(g.input, n, MC_SAMPLES, { seed: 73 });
    const rows = X.shape[0];
    const Y = pa.mlpForward(mlpSpec(net), X, { backend }).data;
    const mcF = sampleVariances(Y, rows, 2);
    for (const degree of [1, 2] as const) {
      const q = pa.ols(mlpSpec(net), { degree, input: g.input, backend });
      const r = pa.varianceExplained(mlpSpec(net), q, g.input, { backend });
      expect(r.degree).toBe(degree);
      expect(r.byDegree.length).toBe(degree * 2);
      const Yq = q.predict(X).data;
      const mcQ = sampleVariances(Yq, rows, 2);
      const mcU = sampleFvu(Y, Yq, rows, 2);
      expect(maxAbsZ(r.varF, mcF.v, mcF.se)).toBeLessThan(4);
      expect(maxAbsZ(r.varQ, mcQ.v, mcQ.se)).toBeLessThan(4);
      expect(maxAbsZ(r.fvu, mcU.fvu, mcU.se)).toBeLessThan(4);
      // The fit explains a real share, and degree 2 more than degree 1.
      for (let o = 0; o < 2; o++) expect(r.fvu[o]).toBeGreaterThan(0);
    }
  });

  it('an identity MLP is its own linear approximant: FVU = 0, Var f = ‖W2 W1 Σ^½‖², nothing above degree 1', () => {
    const rng = new Rng(79);
    const n = 5;
    const net = randomMlp(rng, n, 7, 3, 'identity');
    const g = gaussian(rng, n);
    const { K } = preactivations(net, g.mean, g.cov);
    const r1 = pa.varianceExplained(mlpSpec(net), pa.ols(mlpSpec(net), { input: g.input, backend }), g.input, { backend });
    const r3 = pa.varianceExplained(mlpSpec(net), 3, g.input, { backend });
    for (let o = 0; o < 3; o++) {
      let v = 0;
      for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) v += net.W2[o * 7 + i] * net.W2[o * 7 + j] * K[i * 7 + j];
      expect(Math.abs(r1.varF[o] - v)).toBeLessThanOrEqual(1e-12 * v);
      expect(Math.abs(r1.fvu[o])).toBeLessThanOrEqual(1e-12);
      expect(r3.byDegree[3 + o]).toBe(0);
      expect(r3.byDegree[6 + o]).toBe(0);
    }
  });

  it.each(['relu', 'gelu', 'leaky_relu', 'sigmoid', 'softplus'])('Σ_k byDegree = varQ and byDegree ≥ 0, %s', (act) => {
    const rng = new Rng(83);
    const net = randomMlp(rng, 3, 9, 2, act, 2);
    const g = gaussian(rng, 3);
    for (const degree of [2, 5]) {
      const r = pa.varianceExplained(mlpSpec(net), degree, g.input, { backend });
      for (let o = 0; o < 2; o++) {
        let sum = 0;
        for (let k = 0; k < degree; k++) {
          expect(r.byDegree[k * 2 + o]).toBeGreaterThanOrEqual(-1e-15 * r.varF[o]);
          sum += r.byDegree[k * 2 + o];
        }
        expect(Math.abs(sum - r.varQ[o])).toBeLessThanOrEqual(1e-14 * r.varQ[o]);
        expect(Math.abs(r.fvu[o] - (1 - r.varQ[o] / r.varF[o]))).toBeLessThanOrEqual(1e-15);
      }
    }
  });

  it.each(['gelu', 'sigmoid', 'tanh', 'softplus', 'relu'])('Parseval: the partial sums over degrees 1..8 rise toward Var f, %s', (act) => {
    const rng = new Rng(89);
    const n = 3;
    // Moderate preactivation scales (s ≈ 0.5–1), where smooth units' Hermite energies decay fast.
    const net = randomMlp(rng, n, 8, 2, act, 0.5);
    const mean = rng.normals(n, 0.5);
    const cov = rng.covariance(n, n + 1, 0.1).map((v) => 0.5 * v);
    const input = { type: 'gaussian' as const, mean, cov: { data: cov, shape: [n, n] } };
    const q8 = pa.ols(mlpSpec(net), { degree: 8, input, backend });
    const r = pa.varianceExplained(mlpSpec(net), q8, input, { backend });
    expect(r.degree).toBe(8);
    for (let o = 0; o < 2; o++) {
      let partial = 0;
      let gap = r.varF[o];
      const gaps: number[] = [];
      for (let k = 0; k < 8; k++) {
        partial += r.byDegree[k * 2 + o];
        const next = r.varF[o] - partial;
        expect(next).toBeLessThanOrEqual(gap + 1e-15 * r.varF[o]);
        expect(next).toBeGreaterThanOrEqual(-1e-12 * r.varF[o]);
        gaps.push(next / r.varF[o]);
        gap = next;
      }
      // Smooth units: the degree-8 truncation leaves < 0.1% (measured 2e-8 … 7e-4 here);
      // relu's kink makes its Hermite energies decay like k^(-3/2) (measured ~1%).
      expect(gaps[7]).toBeLessThan(act === 'relu' ? 0.02 : 1e-3);
      expect(gaps[7]).toBeLessThan(gaps[0] / 10);
    }
  });

  it.each(['gelu', 'tanh', 'relu'])('byDegree equals (1/k!) Σ_ij W2 W2 E[φ^(k)] E[φ^(k)] K^k recomputed through pa.derivEv, k ≤ 8, %s', (act) => {
    const rng = new Rng(97);
    const n = 3;
    const h = 6;
    const net = randomMlp(rng, n, h, 2, act, 1.5);
    const g = gaussian(rng, n);
    const { m, K } = preactivations(net, g.mean, g.cov);
    const r = pa.varianceExplained(mlpSpec(net), 8, g.input, { backend });
    let fact = 1;
    for (let k = 1; k <= 8; k++) {
      fact *= k;
      const e = new Float64Array(h);
      for (let i = 0; i < h; i++) e[i] = pa.derivEv(act as pa.ActKind, k, m[i], Math.sqrt(K[i * h + i]), { backend });
      for (let o = 0; o < 2; o++) {
        let v = 0;
        let scale = 0;
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < h; j++) {
            const t = (net.W2[o * h + i] * net.W2[o * h + j] * e[i] * e[j] * K[i * h + j] ** k) / fact;
            v += t;
            scale += Math.abs(t);
          }
        }
        expect(Math.abs(r.byDegree[(k - 1) * 2 + o] - v)).toBeLessThanOrEqual(1e-10 * scale + 1e-300);
      }
    }
  });

  it.each(['relu', 'gelu', 'jump_relu', 'leaky_relu', 'sigmoid', 'tanh'])('duplicated units equal one unit with the summed weight (|corr| = 1), %s', (act) => {
    const rng = new Rng(101);
    const n = 4;
    const net = randomMlp(rng, n, 5, 2, act, 1.5);
    const g = gaussian(rng, n);
    // Unit 0 repeated as unit 5, its output weights split between the copies.
    const W1 = new Float64Array(6 * n);
    W1.set(net.W1);
    W1.set(net.W1.subarray(0, n), 5 * n);
    const b1 = Float64Array.from([...net.b1, net.b1[0]]);
    const W2 = new Float64Array(2 * 6);
    for (let o = 0; o < 2; o++) {
      for (let i = 0; i < 5; i++) W2[o * 6 + i] = net.W2[o * 5 + i];
      W2[o * 6 + 0] = 0.3 * net.W2[o * 5];
      W2[o * 6 + 5] = 0.7 * net.W2[o * 5];
    }
    const dup = { W1: { data: W1, shape: [6, n] }, b1, W2: { data: W2, shape: [2, 6] }, b2: net.b2, act: act as 'relu' };
    const a = pa.varianceExplained(mlpSpec(net), 2, g.input, { backend });
    const b = pa.varianceExplained(dup, 2, g.input, { backend });
    // jump_relu's E[φφ] varies like √(1 − ρ) at ρ = 1 (a discontinuous φ): only ~√ε there.
    const tol = act === 'jump_relu' ? 1e-7 : 1e-11;
    expect(maxRelDiff(b.varF, a.varF)).toBeLessThanOrEqual(tol);
    expect(maxRelDiff(b.byDegree, a.byDegree)).toBeLessThanOrEqual(1e-12);
  });

  it('mirrored relu units (corr = −1): relu(y) − relu(−y) = y, so Var f = wᵀΣw exactly and FVU = 0 at degree 1', () => {
    const rng = new Rng(103);
    const n = 4;
    const w = rng.normals(n);
    const W1 = Float64Array.from([...w, ...w.map((v) => -v)]);
    const g = gaussian(rng, n);
    const net = { W1: { data: W1, shape: [2, n] }, b1: Float64Array.of(0.3, -0.3), W2: { data: Float64Array.of(1, -1), shape: [1, 2] }, act: 'relu' as const };
    let v = 0;
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) v += w[p] * g.cov[p * n + q] * w[q];
    const r = pa.varianceExplained(net, 1, g.input, { backend });
    expect(Math.abs(r.varF[0] - v)).toBeLessThanOrEqual(1e-13 * v);
    expect(Math.abs(r.fvu[0])).toBeLessThanOrEqual(1e-13);
  });

  it('singular covariances, a dead input direction and constant units give finite results (no NaN)', () => {
    const rng = new Rng(107);
    const n = 4;
    for (const act of ['relu', 'gelu', 'sigmoid'] as const) {
      const net = randomMlp(rng, n, 6, 2, act);
      net.W1.fill(0, 0, n); // unit 0 is constant
      const g = gaussian(rng, n, 2); // rank 2
      const r = pa.varianceExplained(mlpSpec(net), 2, g.input, { backend });
      for (const v of [...r.varF, ...r.varQ, ...r.fvu, ...r.byDegree]) expect(Number.isFinite(v)).toBe(true);
      const zero = pa.varianceExplained(mlpSpec(net), 1, { type: 'gaussian', cov: { data: new Float64Array(n * n), shape: [n, n] } }, { backend });
      expect(Array.from(zero.varF)).toEqual([0, 0]);
      expect(Array.from(zero.fvu)).toEqual([0, 0]);
    }
  });

  it('varianceExplainedAsync resolves to the synchronous result', async () => {
    const rng = new Rng(109);
    const net = randomMlp(rng, 3, 6, 2, 'tanh');
    const g = gaussian(rng, 3);
    const a = pa.varianceExplained(mlpSpec(net), 2, g.input, { backend });
    const b = await pa.varianceExplainedAsync(mlpSpec(net), 2, g.input, { backend });
    expect(Array.from(b.varF)).toEqual(Array.from(a.varF));
    expect(Array.from(b.byDegree)).toEqual(Array.from(a.byDegree));
    expect(b.backend).toBe(backend);
  });

  it('argument errors', async () => {
    const rng = new Rng(113);
    const net = mlpSpec(randomMlp(rng, 3, 4, 2, 'relu'));
    const mixture = { type: 'mixture' as const, means: { data: rng.normals(6), shape: [2, 3] } };
    expect(() => pa.varianceExplained(net, 1, mixture, { backend })).toThrow(RangeError);
    expect(() => pa.varianceExplained(net, 1, mixture, { backend })).toThrow(/input must be a single Gaussian/);
    await expect(pa.varianceExplainedAsync(net, 1, mixture, { backend })).rejects.toThrow(/single Gaussian/);
    expect(() => pa.varianceExplained(net, 9, undefined, { backend })).toThrow('invalid argument: q must be a degree in 1..8, got 9');
    expect(() => pa.varianceExplained(net, 1.5, undefined, { backend })).toThrow(TypeError);
    expect(() => pa.varianceExplained(net, {} as never, undefined, { backend })).toThrow(TypeError);
    const other = pa.ols(mlpSpec(randomMlp(rng, 4, 4, 2, 'relu')), { backend });
    expect(() => pa.varianceExplained(net, other, undefined, { backend })).toThrow(/q must be an approximant of this network/);
    expect(() => pa.varianceExplained(net, 1, undefined, { backend, pairTol: 0 })).toThrow('invalid argument: options.pairTol must be in (0, 1), got 0');
    const bad = { type: 'gaussian' as const, cov: { data: Float64Array.of(1, 0, 0, 0, -1, 0, 0, 0, 1), shape: [3, 3] } };
    expect(() => pa.varianceExplained(net, 1, bad, { backend })).toThrow(/input.cov must be positive semidefinite/);
  });
});

describe('JS internals: pair covariance routes and row blocks', () => {
  it('any block size of K gives the same sums', () => {
    const rng = new Rng(139);
    const net = randomMlp(rng, 4, 11, 3, 'gelu');
    const g = gaussian(rng, 4);
    const spec = mlpSpec(net);
    const parsed = { in: 4, hidden: 11, out: 3, W1: net.W1, b1: net.b1, W2: net.W2, b2: net.b2, act: parseActivation('gelu') };
    const dist = { in: 4, K: 1, weights: null, means: g.mean, covs: g.cov };
    const a = jsv.mlpVarianceExplained(parsed, dist, 2, { psdTol: 1e-8, pairTol: 1e-12 });
    expect(maxRelDiff(a.varF, pa.varianceExplained(spec, 2, g.input, { backend: 'js' }).varF)).toBe(0);
    for (const blockRows of [1, 3, 7]) {
      const b = jsv.mlpVarianceExplained(parsed, dist, 2, { psdTol: 1e-8, pairTol: 1e-12, blockRows });
      expect(maxRelDiff(b.varF, a.varF)).toBeLessThanOrEqual(1e-14);
      expect(maxRelDiff(b.byDegree, a.byDegree)).toBeLessThanOrEqual(1e-14);
    }
  });

  it.each(['relu', 'gelu', 'leaky_relu', 'jump_relu', 'identity'])('the closed form agrees with quadrature over E[φ(y_j) | y_i], %s', (name) => {
    const act = parseActivation(name === 'jump_relu' ? { name, threshold: 0.5 } : name);
    const rng = new Rng(127);
    for (let t = 0; t < 12; t++) {
      const ma = 2 * rng.normal();
      const mb = 2 * rng.normal();
      const sa = 0.3 + 2 * rng.uniform();
      const sb = 0.3 + 2 * rng.uniform();
      const rho = [2 * rng.uniform() - 1, 0.99, -0.97, 0.05 * rng.normal()][t % 4];
      const k = rho * sa * sb;
      const closed = jsv.piecewiseCovariance(jsv.piecewiseUnit(act, ma, sa), jsv.piecewiseUnit(act, mb, sb), k);
      const ea = derivEv(act, 0, ma, sa);
      const eb = derivEv(act, 0, mb, sb);
      const quad = jsv.pairCovarianceByQuadrature(act, ma, sa, ea, mb, sb, eb, k, 1e-14 * sa * sb);
      expect(Math.abs(closed - quad)).toBeLessThanOrEqual(1e-11 * sa * sb);
    }
  });

  it('relu cross moment: E[relu(y_i) relu(y_j)] − E relu E relu is the closed-form covariance; the bivariate CDF matches known values', () => {
    const mi = 0.4;
    const si = 1.3;
    const mj = -0.7;
    const sj = 0.9;
    const k = 0.6 * si * sj;
    const relu = parseActivation('relu');
    const cov = jsv.piecewiseCovariance(jsv.piecewiseUnit(relu, mi, si), jsv.piecewiseUnit(relu, mj, sj), k);
    const moment = jsv.reluCrossMoment(mi, si, mj, sj, k);
    const e = (m: number, s: number) => pa.ev('relu', m, s, { backend: 'js' });
    expect(Math.abs(moment - e(mi, si) * e(mj, sj) - cov)).toBeLessThanOrEqual(1e-15);
    // mpmath, 40 digits (P(X ≤ h, Y ≤ k) by a 1-D integral of pdf · Φ).
    expect(jsv.bivariateNormalCdf(0, 0, 0.5)).toBeCloseTo(1 / 3, 15);
    expect(jsv.bivariateNormalCdf(-1, 0.5, -0.3)).toBeCloseTo(0.082153783474017527, 15);
    expect(Math.abs(jsv.bivariateNormalUpper(6, 6, 0.29) / 5.3955897447140521e-15 - 1)).toBeLessThan(1e-13);
    expect(jsv.bivariateNormalUpper(0.3, -0.2, 0.999)).toBeCloseTo(0.38208857781104736, 15);
  });

  it.each(['sigmoid', 'tanh', 'swish', 'softplus'])('the Mehler series agrees with quadrature where its bound admits it, %s', (name) => {
    const act = parseActivation(name);
    const rng = new Rng(131);
    for (let t = 0; t < 6; t++) {
      const ma = rng.normal();
      const mb = rng.normal();
      const sa = 0.4 + rng.uniform();
      const sb = 0.4 + rng.uniform();
      const k = (0.9 * (2 * rng.uniform() - 1)) * sa * sb;
      const a = jsv.smoothUnit(act, ma, sa, pa.ev(name as pa.ActKind, ma, sa, { backend: 'js' }));
      const b = jsv.smoothUnit(act, mb, sb, pa.ev(name as pa.ActKind, mb, sb, { backend: 'js' }));
      const route = { value: 0 };
      const c = jsv.smoothCovariance(act, a, b, k, 1e-12, route);
      const quad = jsv.pairCovarianceByQuadrature(act, ma, sa, a.mean, mb, sb, b.mean, k, 1e-14 * Math.sqrt(a.var * b.var));
      expect(Math.abs(c - quad)).toBeLessThanOrEqual(2e-12 * Math.sqrt(a.var * b.var));
      if (route.value === 1) expect(a.tail[a.tail.length - 1]).toBeLessThan(a.var);
    }
  });
});

describe.skipIf(!backends.includes('native'))('native vs JS', () => {
  it.each(['relu', 'gelu', 'identity', 'sigmoid', 'swish', 'tanh', 'jump_relu', 'leaky_relu', 'softplus'])('agree to 1e-10, %s', (act) => {
    const rng = new Rng(137);
    const n = 5;
    const net = randomMlp(rng, n, 9, 3, act, 1.5);
    net.W1.set(net.W1.subarray(0, n), 8 * n); // a duplicated unit
    net.b1[8] = net.b1[0];
    for (const g of [gaussian(rng, n), gaussian(rng, n, 3)]) {
      const a = pa.varianceExplained(mlpSpec(net), 4, g.input, { backend: 'native' });
      const b = pa.varianceExplained(mlpSpec(net), 4, g.input, { backend: 'js' });
      expect(maxRelDiff(a.varF, b.varF)).toBeLessThanOrEqual(1e-10);
      expect(maxRelDiff(a.varQ, b.varQ)).toBeLessThanOrEqual(1e-10);
      expect(maxRelDiff(a.byDegree, b.byDegree)).toBeLessThanOrEqual(1e-10);
      expect(maxRelDiff(a.fvu, b.fvu, 1)).toBeLessThanOrEqual(1e-10);
      expect(a.pairs).toEqual(b.pairs);
    }
  });
});
