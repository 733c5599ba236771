/**
 * Exact degree-2 approximants under Gaussian mixtures (lib/js/mixtureQuadratic.ts, issue 5):
 * against a dense solve of the full normal equations built from exact moments (Isserlis, up to
 * degree 4), against Monte Carlo regression on mixture samples, native vs JS, K = 1 (and a
 * mixture of identical components) equal to the single-Gaussian fit, singular mixtures, and the
 * solve's options (progress, AbortSignal, memory limit).
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { mixtureQuadraticFit } from '../lib/js/mixtureQuadratic';
import { mlpQuadraticFit, quadraticGamma } from '../lib/js/quadratic';
import { gemm, symmetricEigen, upperSandwich } from '../lib/js/linalg';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMixture, randomMlp } from './helpers/layers';
import { maxZ, regressQuadratic, sampleMixture } from './helpers/montecarlo';
import { evalGlu, evalMlp } from './helpers/networks';
import { Rng } from './helpers/random';

const backends = availableBackends();

/** Features [1, x_i, x_i x_j (i ≥ j)] as index lists, in regressQuadratic's / gamma's order. */
function features(n: number): number[][] {
  const f: number[][] = [[]];
  for (let i = 0; i < n; i++) f.push([i]);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) f.push([i, j]);
  return f;
}

/** E[Π_{i∈idx} x_i] under N(mu, S), |idx| ≤ 4, by expanding x = mu + u and Isserlis. */
function rawMoment(idx: number[], mu: ArrayLike<number>, S: ArrayLike<number>, n: number): number {
  const m = idx.length;
  let total = 0;
  for (let mask = 0; mask < 1 << m; mask++) {
    const u: number[] = [];
    let prod = 1;
    for (let t = 0; t < m; t++) {
      if (mask & (1 << t)) u.push(idx[t]);
      else prod *= mu[idx[t]];
    }
    let e: number;
    if (u.length === 0) e = 1;
    else if (u.length === 2) e = S[u[0] * n + u[1]];
    else if (u.length === 4) {
      const [a, b, c, d] = u;
      e = S[a * n + b] * S[c * n + d] + S[a * n + c] * S[b * n + d] + S[a * n + d] * S[b * n + c];
    } else e = 0;
    total += prod * e;
  }
  return total;
}

interface Mix {
  weights: Float64Array;
  means: Float64Array;
  covs: Float64Array;
}

function gram(n: number, mu: ArrayLike<number>, S: ArrayLike<number>): Float64Array {
  const f = features(n);
  const p = f.length;
  const M = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) M[a * p + b] = rawMoment([...f[a], ...f[b]], mu, S, n);
  return M;
}

/**
 * The dense normal equations Σ π_k E_k[φφᵀ] θ = Σ π_k E_k[φ q_k] with q_k the single-Gaussian fit
 * of component k (its coefficients θ_k in the same basis), solved by eigen-pseudo-inverse.
 * Returns θ per output: [out, p].
 */
function denseSolve(n: number, out: number, mix: Mix, fitK: (k: number) => pa.QuadraticApproximant): Float64Array {
  const p = 1 + n + (n * (n + 1)) / 2;
  const K = mix.weights.length;
  const wsum = mix.weights.reduce((a, b) => a + b, 0);
  const M = new Float64Array(p * p);
  const R = new Float64Array(out * p);
  for (let k = 0; k < K; k++) {
    const w = mix.weights[k] / wsum;
    const G = gram(n, mix.means.subarray(k * n, (k + 1) * n), mix.covs.subarray(k * n * n, (k + 1) * n * n));
    for (let i = 0; i < p * p; i++) M[i] += w * G[i];
    const q = fitK(k);
    const m = (n * (n + 1)) / 2;
    for (let o = 0; o < out; o++) {
      const th = new Float64Array(p);
      th[0] = q.alpha.data[o];
      for (let i = 0; i < n; i++) th[1 + i] = q.beta.data[i * out + o];
      for (let t = 0; t < m; t++) th[1 + n + t] = q.gamma!.data[o * m + t];
      for (let a = 0; a < p; a++) {
        let s = 0;
        for (let b = 0; b < p; b++) s += G[a * p + b] * th[b];
        R[o * p + a] += w * s;
      }
    }
  }
  const { vals, vecs } = symmetricEigen(p, M);
  const lmax = Math.max(...vals);
  const theta = new Float64Array(out * p);
  for (let o = 0; o < out; o++) {
    for (let t = 0; t < p; t++) {
      if (!(vals[t] > 1e-12 * lmax)) continue;
      let c = 0;
      for (let a = 0; a < p; a++) c += vecs[t * p + a] * R[o * p + a];
      c /= vals[t];
      for (let a = 0; a < p; a++) theta[o * p + a] += c * vecs[t * p + a];
    }
  }
  return theta;
}

function thetaOf(q: pa.QuadraticApproximant): Float64Array {
  const { in: n, out } = q;
  const m = (n * (n + 1)) / 2;
  const p = 1 + n + m;
  const th = new Float64Array(out * p);
  for (let o = 0; o < out; o++) {
    th[o * p] = q.alpha.data[o];
    for (let i = 0; i < n; i++) th[o * p + 1 + i] = q.beta.data[i * out + o];
    for (let t = 0; t < m; t++) th[o * p + 1 + n + t] = q.gamma!.data[o * m + t];
  }
  return th;
}

function mixtureInput(mix: Mix, n: number) {
  const K = mix.weights.length;
  return {
    type: 'mixture' as const,
    weights: mix.weights,
    means: { data: mix.means, shape: [K, n] },
    covs: { data: mix.covs, shape: [K, n, n] },
  };
}

function gaussianOf(mix: Mix, n: number, k: number) {
  return {
    type: 'gaussian' as const,
    mean: mix.means.slice(k * n, (k + 1) * n),
    cov: { data: mix.covs.slice(k * n * n, (k + 1) * n * n), shape: [n, n] },
  };
}

describe.each(backends)('exact mixture quadratics on %s', (backend) => {
  it.each(['relu', 'gelu', 'tanh'])('MLP matches the dense exact normal equations, %s', (act) => {
    const rng = new Rng(31);
    const n = 4;
    const net = randomMlp(rng, n, 7, 2, act, 1.3);
    const mix = randomMixture(rng, n, 3);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-12 });
    expect(q.solve.method).toBe('mixture-cg');
    expect(q.solve.converged).toBe(true);
    const theta = denseSolve(n, 2, mix, (k) => pa.ols(mlpSpec(net), { degree: 2, input: gaussianOf(mix, n, k), backend }));
    expect(maxRelDiff(thetaOf(q), theta)).toBeLessThan(1e-8);
  });

  it('GLU matches the dense exact normal equations', () => {
    const rng = new Rng(37);
    const n = 3;
    const net = randomGlu(rng, n, 5, 2, 'sigmoid');
    const mix = randomMixture(rng, n, 4, 2);
    const q = pa.gluOls(gluSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-12 });
    expect(q.solve.converged).toBe(true);
    const theta = denseSolve(n, 2, mix, (k) => pa.gluOls(gluSpec(net), { degree: 2, input: gaussianOf(mix, n, k), backend }));
    expect(maxRelDiff(thetaOf(q), theta)).toBeLessThan(1e-8);
  });

  it('matches Monte Carlo regression on mixture samples (MLP and GLU)', () => {
    const rng = new Rng(41);
    const n = 3;
    const mix = randomMixture(rng, n, 3);
    const mlp = randomMlp(rng, n, 8, 2, 'gelu', 1.5);
    const glu = randomGlu(rng, n, 4, 2, 'relu');
    const qm = pa.ols(mlpSpec(mlp), { degree: 2, input: mixtureInput(mix, n), backend });
    const qg = pa.gluOls(gluSpec(glu), { degree: 2, input: mixtureInput(mix, n), backend });
    const { X, rows } = sampleMixture(mix, n, 150_000, rng);
    for (const [q, Y] of [
      [qm, evalMlp(mlp, X, rows)],
      [qg, evalGlu(glu, X, rows)],
    ] as const) {
      const mc = regressQuadratic(X, Y, rows, n, 2);
      expect(maxZ(q.gamma!.data, mc.gamma, mc.gammaSe, 0)).toBeLessThan(5);
      expect(maxZ(q.beta.data, mc.beta, mc.betaSe, 0)).toBeLessThan(5);
      expect(maxZ(q.alpha.data, mc.alpha, mc.alphaSe, 0)).toBeLessThan(5);
    }
  });

  it('a mixture of identical components equals the single-Gaussian fit to 1e-10', () => {
    const rng = new Rng(43);
    const n = 5;
    const net = randomMlp(rng, n, 9, 3, 'softplus');
    const one = randomMixture(rng, n, 1);
    const mix = {
      weights: Float64Array.of(1, 3),
      means: Float64Array.from([...one.means, ...one.means]),
      covs: Float64Array.from([...one.covs, ...one.covs]),
    };
    const q = pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend });
    const g = pa.ols(mlpSpec(net), { degree: 2, input: gaussianOf(mix, n, 0), backend });
    expect(q.solve.iterations).toBeLessThanOrEqual(2);
    expect(maxRelDiff(thetaOf(q), thetaOf(g))).toBeLessThan(1e-10);
    // predict / quadraticForm / interactionEigen work on the dense form.
    const x = rng.normals(4 * n);
    expect(maxRelDiff(q.predict({ data: x, shape: [4, n] }).data, g.predict({ data: x, shape: [4, n] }).data)).toBeLessThan(1e-10);
    expect(maxRelDiff(q.quadraticForm(1).data, g.quadraticForm(1).data)).toBeLessThan(1e-10);
    const e1 = pa.interactionEigen(q, 2, { k: 2 });
    const e2 = pa.interactionEigen(g, 2, { k: 2 });
    expect(maxRelDiff(e1.values, e2.values)).toBeLessThan(1e-9);
  });

  it('singular mixture: minimum-norm solution without ridge, ridge when asked', () => {
    const rng = new Rng(47);
    const n = 4;
    const K = 3;
    // Every component lives in the hyperplane x_3 = 0.5: the normal equations are singular.
    const means = rng.normals(K * n, 0.7);
    const covs = new Float64Array(K * n * n);
    for (let k = 0; k < K; k++) {
      means[k * n + 3] = 0.5;
      const c = rng.covariance(n - 1, n + 1, 0.05);
      for (let i = 0; i < n - 1; i++) for (let j = 0; j < n - 1; j++) covs[k * n * n + i * n + j] = c[i * (n - 1) + j];
    }
    const mix = { weights: Float64Array.of(1, 2, 3), means, covs };
    const net = randomMlp(rng, n, 6, 2, 'gelu');
    const q = pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-11 });
    expect(q.solve.converged).toBe(true);
    expect(q.solve.ridge).toBe(0);
    expect(q.solve.solution).toBe('minimum-norm');
    expect(q.solve.rank).toBe(n - 1); // the data's affine hull: the hyperplane x_3 = 0.5
    const theta = denseSolve(n, 2, mix, (k) => pa.ols(mlpSpec(net), { degree: 2, input: gaussianOf(mix, n, k), backend }));
    // Unique on the support: compare predictions on mixture samples.
    const { X, rows } = sampleMixture(mix, n, 200, rng);
    const p = 1 + n + (n * (n + 1)) / 2;
    const ref = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const phi = [1, ...X.subarray(r * n, (r + 1) * n)];
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) phi.push(X[r * n + i] * X[r * n + j]);
      for (let o = 0; o < 2; o++) ref[r * 2 + o] = phi.reduce((s, v, a) => s + v * theta[o * p + a], 0);
    }
    expect(maxRelDiff(q.predict({ data: X, shape: [rows, n] }).data, ref)).toBeLessThan(1e-7);
    const qr = pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, ridge: 1e-6 });
    expect(qr.solve.ridge).toBe(1e-6);
    expect(qr.solve.solution).toBe('ridge');
    expect(qr.solve.converged).toBe(true);
    expect(maxRelDiff(qr.predict({ data: X, shape: [rows, n] }).data, ref)).toBeLessThan(1e-3);
  });

  it.each([false, true])('a bilinear GLU is its own exact mixture quadratic (in = 12, K = 5, singular components: %s)', (singular) => {
    const rng = new Rng(singular ? 67 : 71);
    const n = 12;
    const net = randomGlu(rng, n, 9, 3, 'identity');
    const mix = randomMixture(rng, n, 5);
    // singular: every component of rank 4, so quadratics vanishing on all five supports exist
    // (91 unknowns, at most 5·15 constraints) and only the predictions on the supports are unique.
    if (singular) for (let k = 0; k < 5; k++) mix.covs.set(rng.covariance(n, 4), k * n * n);
    const q = pa.gluOls(gluSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-12 });
    expect(q.solve.converged).toBe(true);
    const { X, rows } = sampleMixture(mix, n, 50, rng);
    const Y = evalGlu(net, X, rows);
    expect(maxRelDiff(q.predict({ data: X, shape: [rows, n] }).data, Y)).toBeLessThan(1e-8);
  });

  it('block CG with dependent outputs: a repeated output and an all-zero one (the dropped directions)', () => {
    const rng = new Rng(73);
    const n = 4;
    const h = 6;
    const base = randomMlp(rng, n, h, 2, 'relu', 1.2);
    // Outputs [f0, f1, f0, 0]: the right-hand sides are rank 2, so the search block loses two
    // directions at once and the zero output has nothing to solve for.
    const W2 = new Float64Array(4 * h);
    W2.set(base.W2.subarray(0, 2 * h), 0);
    W2.set(base.W2.subarray(0, h), 2 * h);
    const net = { ...base, out: 4, W2, b2: Float64Array.of(base.b2[0], base.b2[1], base.b2[0], 0) };
    const mix = randomMixture(rng, n, 3);
    const q = pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-12 });
    expect(q.solve.converged).toBe(true);
    const q2 = pa.ols(mlpSpec(base), { degree: 2, input: mixtureInput(mix, n), backend, tol: 1e-12 });
    const th = thetaOf(q);
    const th2 = thetaOf(q2);
    const p = th.length / 4;
    const ref = Float64Array.from([...th2, ...th2.subarray(0, p), ...new Float64Array(p)]);
    expect(maxRelDiff(th, ref)).toBeLessThan(1e-9);
    expect(th.subarray(3 * p).every((v) => v === 0)).toBe(true);
    const theta = denseSolve(n, 2, mix, (k) => pa.ols(mlpSpec(base), { degree: 2, input: gaussianOf(mix, n, k), backend }));
    expect(maxRelDiff(th2, theta)).toBeLessThan(1e-8);
  });

  it('progress, AbortSignal and the memory limit', async () => {
    const rng = new Rng(53);
    const n = 4;
    const net = randomMlp(rng, n, 6, 2, 'relu');
    const mix = randomMixture(rng, n, 3);
    const seen: { iter: number; residual: number }[] = [];
    const q = await pa.olsAsync(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(q.solve.iterations);
    expect(seen[seen.length - 1].iter).toBe(q.solve.iterations);
    const ac = new AbortController();
    const p = pa.olsAsync(mlpSpec(net), {
      degree: 2,
      input: mixtureInput(mix, n),
      backend,
      tol: 1e-14,
      onProgress: ({ iter }) => {
        if (iter === 2) ac.abort();
      },
      signal: ac.signal,
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(() => pa.ols(mlpSpec(net), { degree: 2, input: mixtureInput(mix, n), backend, memoryLimit: 1000 })).toThrow(/memoryLimit/);
    expect(() => pa.ols(mlpSpec(net), { degree: 3, input: mixtureInput(mix, n), backend })).toThrow(RangeError);
  });
});

describe('exact mixture quadratics across backends', () => {
  it('K = 1 equals the single-Gaussian degree-2 fit to 1e-10 (JS solver called directly)', () => {
    const rng = new Rng(59);
    const n = 5;
    const net = randomMlp(rng, n, 8, 3, 'tanh');
    const mix = randomMixture(rng, n, 1);
    const netData = { in: n, hidden: 8, out: 3, W1: net.W1, b1: net.b1, W2: net.W2, b2: net.b2, act: { kind: 'tanh' } } as never;
    const dist = { in: n, K: 1, weights: null, means: mix.means, covs: mix.covs };
    const fit = { rcond: 1e-10, ridge: 0, psdTol: 1e-8, single: false };
    const exact = mixtureQuadraticFit({ kind: 'mlp', net: netData, dist, fit, opt: { ridge: 0, rcond: 1e-10, tol: 1e-8, maxIter: 500, memoryLimit: 2 ** 30 } });
    const single = mlpQuadraticFit(netData, dist, fit);
    expect(exact.solve.iterations).toBeLessThanOrEqual(1);
    expect(maxRelDiff(exact.alpha, single.alpha)).toBeLessThan(1e-10);
    expect(maxRelDiff(exact.beta, single.beta)).toBeLessThan(1e-10);
    expect(maxRelDiff(quadraticGamma(exact), quadraticGamma(single))).toBeLessThan(1e-10);
  });

  it.runIf(backends.includes('native'))("dtype 'float32': the operator runs in float32 below residual min(1e-2, 1e5·tol), the final residual is float64", () => {
    const rng = new Rng(79);
    const n = 7;
    const net = randomMlp(rng, n, 10, 3, 'gelu', 1.3);
    const mix = randomMixture(rng, n, 4);
    const opts = { degree: 2 as const, input: mixtureInput(mix, n), backend: 'native' as const, tol: 1e-10 };
    const q64 = pa.ols(mlpSpec(net), opts);
    const q32 = pa.ols(mlpSpec(net), { ...opts, dtype: 'float32' });
    expect(q64.solve.float32Iterations).toBe(0);
    expect(q32.solve.float32Iterations).toBeGreaterThan(0);
    expect(q32.solve.float32Iterations).toBeLessThanOrEqual(q32.solve.iterations!);
    expect(q32.dtype).toBe('float32');
    expect(q32.solve.converged).toBe(true);
    expect(q32.solve.residual).toBeLessThanOrEqual(1e-10);
    // Both solve the same equations to 1e-10: the solutions agree to the conditioning allows.
    expect(maxRelDiff(thetaOf(q32), thetaOf(q64))).toBeLessThan(1e-7);
    expect(pa.ols(mlpSpec(net), { ...opts, backend: 'js', dtype: 'float32' }).solve.float32Iterations).toBe(0);
  });

  it.runIf(backends.includes('native'))('native vs JS to 1e-10', () => {
    const rng = new Rng(61);
    const n = 6;
    const net = randomGlu(rng, n, 7, 3, 'gelu');
    const mix = randomMixture(rng, n, 4, 1);
    const opts = { degree: 2 as const, input: mixtureInput(mix, n), tol: 1e-12 };
    const a = pa.gluOls(gluSpec(net), { ...opts, backend: 'native' });
    const b = pa.gluOls(gluSpec(net), { ...opts, backend: 'js' });
    expect(maxRelDiff(thetaOf(a), thetaOf(b))).toBeLessThan(1e-10);
  });
});

describe('upperSandwich (the moment operator\'s half product)', () => {
  it('adds the upper triangle of alpha·C P, leaves the lower one, for C and P = S C + tI', () => {
    const rng = new Rng(83);
    for (const r of [1, 2, 7, 13]) {
      const sym = () => {
        const A = new Float64Array(r * r);
        for (let i = 0; i < r; i++) for (let j = 0; j <= i; j++) A[i * r + j] = A[j * r + i] = rng.normal();
        return A;
      };
      const C = sym();
      const P = new Float64Array(r * r);
      gemm(false, false, r, r, r, 1, sym(), C, 0, P);
      for (let i = 0; i < r; i++) P[i * r + i] += 0.3;
      const start = Float64Array.from({ length: r * r }, () => rng.normal());
      const want = start.slice();
      gemm(false, false, r, r, r, 0.7, C, P, 1, want);
      const got = new Float64Array(r * r + 3);
      got.set(start, 3);
      upperSandwich(r, 0.7, C, P, got, 3);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < r; j++) {
          const g = got[3 + i * r + j];
          if (j >= i) expect(Math.abs(g - want[i * r + j])).toBeLessThan(1e-12 * (1 + Math.abs(want[i * r + j])));
          else expect(g).toBe(start[i * r + j]);
        }
    }
  });
});
