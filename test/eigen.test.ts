/**
 * Interaction eigendecomposition (pa.interactionEigen): spectra known in closed form, the eigen
 * equation against the formed G_o, dense vs Lanczos on the top k (both ends of the spectrum,
 * restarts, repeated eigenvalues), native vs JS to 1e-10, the async twin, 'auto', and argument
 * errors — every case on every available backend.
 *
 * Timings (native, 2-core reference machine, relu MLP with random weights, one output, top 10;
 * `node --import tsx bench/eigen.ts` reruns them): see lib/eigen.ts DENSE_MAX_IN and bench/eigen.ts.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { DENSE_MAX_IN } from '../lib/eigen';
import { lanczosBasisSize, StartSequence } from '../lib/js/eigen';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMlp } from './helpers/layers';
import { Rng } from './helpers/random';

const backends = availableBackends();
const ACTS = ['relu', 'gelu', 'tanh', 'sigmoid', 'softplus', 'swish'];

type Result = ReturnType<typeof pa.interactionEigen>;

/** max_j ‖G v_j − λ_j v_j‖ / |λ_0| with G formed by the fit, and the result's contracts. */
function checkEigenpairs(q: pa.QuadraticApproximant, o: number, r: Result, tol: number): void {
  const n = q.in;
  const k = r.values.length;
  expect(r.vectors.shape).toEqual([k, n]);
  const G = q.quadraticForm(o).data;
  const scale = Math.abs(r.values[0]);
  for (let j = 0; j < k; j++) {
    const v = r.vectors.data.subarray(j * n, (j + 1) * n);
    let res = 0;
    let arg = 0;
    for (let i = 0; i < n; i++) {
      let gv = 0;
      for (let t = 0; t < n; t++) gv += G[i * n + t] * v[t];
      res += (gv - r.values[j] * v[i]) ** 2;
      if (Math.abs(v[i]) > Math.abs(v[arg])) arg = i;
    }
    expect(Math.sqrt(res)).toBeLessThanOrEqual(tol * scale);
    expect(v[arg]).toBeGreaterThan(0);
    if (j > 0) expect(Math.abs(r.values[j])).toBeLessThanOrEqual(Math.abs(r.values[j - 1]));
    for (let l = 0; l <= j; l++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * r.vectors.data[l * n + i];
      expect(Math.abs(d - (l === j ? 1 : 0))).toBeLessThan(1e-10);
    }
  }
}

/** Largest difference between rows of a and b, each row compared up to sign. */
function vectorDiffUpToSign(a: Float64Array, b: Float64Array, n: number, rows: number): number {
  let worst = 0;
  for (let j = 0; j < rows; j++) {
    let plus = 0;
    let minus = 0;
    for (let i = 0; i < n; i++) {
      plus = Math.max(plus, Math.abs(a[j * n + i] - b[j * n + i]));
      minus = Math.max(minus, Math.abs(a[j * n + i] + b[j * n + i]));
    }
    worst = Math.max(worst, Math.min(plus, minus));
  }
  return worst;
}

/** Rows of a random orthogonal matrix (Gram–Schmidt, twice). */
function orthogonalRows(rng: Rng, n: number): Float64Array {
  const U = rng.normals(n * n);
  for (let i = 0; i < n; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let d = 0;
        for (let t = 0; t < n; t++) d += U[i * n + t] * U[j * n + t];
        for (let t = 0; t < n; t++) U[i * n + t] -= d * U[j * n + t];
      }
    }
    let s = 0;
    for (let t = 0; t < n; t++) s += U[i * n + t] ** 2;
    for (let t = 0; t < n; t++) U[i * n + t] /= Math.sqrt(s);
  }
  return U;
}

function signFixed(v: Float64Array): Float64Array {
  let arg = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[arg])) arg = i;
  return v[arg] < 0 ? v.map((x) => -x) : v.slice();
}

function byMagnitude(values: number[]): number[] {
  return values
    .map((_, i) => i)
    .sort((x, y) => Math.abs(values[y]) - Math.abs(values[x]) || values[y] - values[x] || x - y);
}

describe.each(backends)('interaction eigendecomposition on %s', (backend) => {
  // W1 = diag(c) U with U orthogonal: G = ½ Σ a_i c_i² u_i u_iᵀ, so (½ a_i c_i², u_i) are the
  // eigenpairs whatever the activation (a from the fit's own compact form).
  it.each(ACTS)('an MLP with orthogonal rows has eigenpairs (½ a_i c_i², u_i), %s', (act) => {
    const rng = new Rng(101);
    const n = 12;
    const U = orthogonalRows(rng, n);
    const c = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.25 * i);
    const W1 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let t = 0; t < n; t++) W1[i * n + t] = c[i] * U[i * n + t];
    const W2 = Float64Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (1 + 0.3 * i));
    const b1 = rng.normals(n, 0.7);
    const q = pa.ols(
      { W1: { data: W1, shape: [n, n] }, b1, W2: { data: W2, shape: [1, n] }, act: act as pa.ActKind },
      { degree: 2, backend },
    );
    const lam = Array.from({ length: n }, (_, i) => 0.5 * q.compact.a[i] * c[i] ** 2);
    if (act === 'relu') {
      // Closed form under N(0, I): a_i = W2_i pdf(b_i / c_i) / c_i.
      for (let i = 0; i < n; i++) {
        const closed = (0.5 * W2[i] * c[i] * Math.exp(-0.5 * (b1[i] / c[i]) ** 2)) / Math.sqrt(2 * Math.PI);
        expect(lam[i]).toBeCloseTo(closed, 14);
      }
    }
    const order = byMagnitude(lam);
    for (const method of ['dense', 'lanczos'] as const) {
      const r = pa.interactionEigen(q, 0, { k: 5, method });
      expect(r.method).toBe(method);
      expect(r.converged).toBe(true);
      checkEigenpairs(q, 0, r, 1e-10);
      for (let j = 0; j < 5; j++) {
        const i = order[j];
        expect(Math.abs(r.values[j] - lam[i])).toBeLessThan(1e-12 * Math.abs(lam[order[0]]));
        const u = signFixed(U.slice(i * n, (i + 1) * n));
        expect(maxRelDiff(r.vectors.data.subarray(j * n, (j + 1) * n), u, 1)).toBeLessThan(1e-10);
      }
    }
  });

  it('a one-unit bilinear GLU has eigenvalues ½(w·v ± ‖w‖‖v‖) on w/‖w‖ ± v/‖v‖, then zeros', () => {
    const rng = new Rng(103);
    const n = 60; // > the Lanczos basis: the zero eigenvalues come from breakdowns and restarts
    const net = randomGlu(rng, n, 3, null, 'identity'); // output o is unit o alone
    const q = pa.gluOls(gluSpec(net), { degree: 2, backend });
    const o = 2;
    const w = net.W.subarray(o * n, (o + 1) * n);
    const v = net.V.subarray(o * n, (o + 1) * n);
    let wv = 0;
    let ww = 0;
    let vv = 0;
    for (let i = 0; i < n; i++) {
      wv += w[i] * v[i];
      ww += w[i] ** 2;
      vv += v[i] ** 2;
    }
    const nw = Math.sqrt(ww);
    const nv = Math.sqrt(vv);
    const lp = 0.5 * (wv + nw * nv);
    const lm = 0.5 * (wv - nw * nv);
    const unit = (s: number) => {
      const u = Float64Array.from({ length: n }, (_, i) => w[i] / nw + (s * v[i]) / nv);
      const norm = Math.hypot(...u);
      return signFixed(u.map((x) => x / norm));
    };
    const [first, second] = Math.abs(lp) >= Math.abs(lm) ? [[lp, unit(1)], [lm, unit(-1)]] as const : [[lm, unit(-1)], [lp, unit(1)]] as const;
    for (const method of ['dense', 'lanczos'] as const) {
      const r = pa.interactionEigen(q, o, { k: 4, method });
      expect(r.converged).toBe(true);
      checkEigenpairs(q, o, r, 1e-10);
      expect(r.values[0]).toBeCloseTo(first[0], 14);
      expect(r.values[1]).toBeCloseTo(second[0], 14);
      expect(Math.abs(r.values[2])).toBeLessThan(1e-14);
      expect(Math.abs(r.values[3])).toBeLessThan(1e-14);
      expect(maxRelDiff(r.vectors.data.subarray(0, n), first[1], 1)).toBeLessThan(1e-10);
      expect(maxRelDiff(r.vectors.data.subarray(n, 2 * n), second[1], 1)).toBeLessThan(1e-10);
    }
  });

  it.each(ACTS.concat(['identity']))('dense and Lanczos agree on the top k (restarted, both ends), MLP and GLU, %s', (act) => {
    const rng = new Rng(107);
    // in = 150, k = 6: a basis of 32, so Lanczos restarts several times.
    const mlp = pa.ols(mlpSpec(randomMlp(rng, 150, 300, 2, act)), { degree: 2, backend });
    const glu = pa.gluOls(gluSpec(randomGlu(rng, 120, 200, 2, act)), { degree: 2, backend });
    for (const q of act === 'identity' ? [glu] : [mlp, glu]) {
      for (let o = 0; o < 2; o++) {
        const d = pa.interactionEigen(q, o, { k: 6, method: 'dense' });
        const l = pa.interactionEigen(q, o, { k: 6, method: 'lanczos' });
        expect(d.iterations).toBe(0);
        expect(l.converged).toBe(true);
        expect(l.iterations).toBeGreaterThan(lanczosBasisSize(q.in, 6));
        checkEigenpairs(q, o, d, 1e-12);
        checkEigenpairs(q, o, l, 1e-10);
        expect(maxRelDiff(l.values, d.values)).toBeLessThan(1e-12);
        // Vectors: residual 1e-10 relative, so within 1e-10·|λ_max| / gap of the exact ones.
        expect(vectorDiffUpToSign(l.vectors.data, d.vectors.data, q.in, 6)).toBeLessThan(1e-6);
        // Random signs in W2 make the top |λ| come from both ends (relu: checked for this seed).
        if (act === 'relu' || act === 'identity') expect(d.values.some((x) => x > 0) && d.values.some((x) => x < 0)).toBe(true);
      }
    }
  });

  it('an identity MLP (G = 0) gives zeros and unit vectors, no NaN', () => {
    const q = pa.ols(mlpSpec(randomMlp(new Rng(109), 30, 10, 1, 'identity')), { degree: 2, backend });
    for (const method of ['dense', 'lanczos'] as const) {
      const r = pa.interactionEigen(q, 0, { k: 3, method });
      expect(r.values.every((x) => x === 0)).toBe(true);
      for (let j = 0; j < 3; j++) expect(Math.hypot(...r.vectors.data.subarray(j * 30, (j + 1) * 30))).toBeCloseTo(1, 12);
    }
  });

  it('maxIter stops Lanczos early and says so', () => {
    const q = pa.ols(mlpSpec(randomMlp(new Rng(113), 200, 400, 1, 'relu')), { degree: 2, backend });
    const r = pa.interactionEigen(q, 0, { k: 10, method: 'lanczos', maxIter: 1 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(lanczosBasisSize(200, 10)); // checked per restart cycle
    expect(r.values.length).toBe(10);
    expect(r.vectors.data.every(Number.isFinite)).toBe(true);
  });

  it("'auto' is dense up to DENSE_MAX_IN[backend] inputs or k ≥ in/4, Lanczos beyond; defaults", () => {
    const rng = new Rng(127);
    const small = pa.ols(mlpSpec(randomMlp(rng, 40, 30, 1, 'relu')), { degree: 2, backend });
    const r = pa.interactionEigen(small, 0);
    expect(r.method).toBe('dense');
    expect(r.values.length).toBe(10);
    const tiny = pa.ols(mlpSpec(randomMlp(rng, 4, 6, 1, 'relu')), { degree: 2, backend });
    expect(pa.interactionEigen(tiny, 0).values.length).toBe(4); // k defaults to min(10, in)
    const n = DENSE_MAX_IN[backend] + 8;
    const big = pa.ols(mlpSpec(randomMlp(rng, n, 8, 1, 'relu')), { degree: 2, backend, gamma: 'lazy' });
    const l = pa.interactionEigen(big, 0, { k: 3 });
    expect(l.method).toBe('lanczos');
    expect(l.converged).toBe(true);
    checkEigenpairs(big, 0, l, 1e-10);
    expect(pa.interactionEigen(big, 0, { k: Math.ceil(n / 4) }).method).toBe('dense');
  });

  it('the async twin gives the same result', async () => {
    const q = pa.gluOls(gluSpec(randomGlu(new Rng(131), 50, 40, 2, 'gelu')), { degree: 2, backend });
    for (const method of ['dense', 'lanczos'] as const) {
      const a = await pa.interactionEigenAsync(q, 1, { k: 4, method });
      const s = pa.interactionEigen(q, 1, { k: 4, method });
      expect(a.method).toBe(method);
      expect(Array.from(a.values)).toEqual(Array.from(s.values));
      expect(Array.from(a.vectors.data)).toEqual(Array.from(s.vectors.data));
    }
  });

  it('argument errors name the argument', async () => {
    const rng = new Rng(137);
    const net = mlpSpec(randomMlp(rng, 5, 6, 2, 'relu'));
    const q = pa.ols(net, { degree: 2, backend });
    const lin = pa.ols(net, { degree: 1, backend });
    const bad: [unknown, unknown, unknown, RegExp, ErrorConstructor][] = [
      [lin, 0, undefined, /^invalid argument: q must be a QuadraticApproximant \(a fit with degree: 2\), got a LinearApproximant$/, TypeError],
      [{}, 0, undefined, /q must be a QuadraticApproximant/, TypeError],
      [q, 2, undefined, /^invalid argument: o must be in 0\.\.1, got 2$/, RangeError],
      [q, 0.5, undefined, /o must be an integer output index, got 0.5/, TypeError],
      [q, 0, 3, /options must be an object, got 3/, TypeError],
      [q, 0, { k: 0 }, /^invalid argument: options.k must be in 1\.\.5, got 0$/, RangeError],
      [q, 0, { k: 6 }, /options.k must be in 1\.\.5, got 6/, RangeError],
      [q, 0, { k: 2.5 }, /options.k must be an integer, got 2.5/, TypeError],
      [q, 0, { method: 'qr' }, /options.method must be one of 'auto', 'dense', 'lanczos', got "qr"/, RangeError],
      [q, 0, { method: 1 }, /options.method must be one of/, TypeError],
      [q, 0, { tol: 0 }, /options.tol must be in \(0, 1\), got 0/, RangeError],
      [q, 0, { tol: Number.NaN }, /options.tol must be in \(0, 1\), got NaN/, RangeError],
      [q, 0, { tol: '1e-8' }, /options.tol must be a number/, TypeError],
      [q, 0, { maxIter: 0 }, /options.maxIter must be in 1\.\./, RangeError],
      [q, 0, { maxIter: 1.5 }, /options.maxIter must be an integer/, TypeError],
    ];
    for (const [qq, o, opts, msg, Ctor] of bad) {
      const call = () => pa.interactionEigen(qq as pa.QuadraticApproximant, o as number, opts as pa.InteractionEigenOptions);
      expect(call).toThrow(msg);
      expect(call).toThrow(Ctor);
      await expect(pa.interactionEigenAsync(qq as pa.QuadraticApproximant, o as number, opts as pa.InteractionEigenOptions)).rejects.toThrow(msg);
    }
    try {
      pa.interactionEigen(q, 9);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('ERR_POLYAPPROX_INVALID_ARGUMENT');
    }
  });
});

describe('interaction eigendecomposition: native and JS agree to 1e-10', () => {
  // Both backends decompose the same compact form (the native fit's, rewrapped for the JS
  // backend), so this measures the eigen step alone; the fits' own agreement is
  // fit-quadratic.test.ts's business.
  it.skipIf(!backends.includes('native')).each(ACTS)('%s, dense and Lanczos, MLP and GLU', (act) => {
    const rng = new Rng(139);
    const fits = [
      pa.ols(mlpSpec(randomMlp(rng, 90, 160, 2, act)), { degree: 2, backend: 'native' }),
      pa.gluOls(gluSpec(randomGlu(rng, 70, 50, 2, act)), { degree: 2, backend: 'native' }),
    ];
    for (const a of fits) {
      const b = new pa.QuadraticApproximant({ ...a.compact }, { backend: 'js', input: a.input, dtype: 'float64' }, false);
      expect(b.backend).toBe('js');
      for (const method of ['dense', 'lanczos'] as const) {
        const ra = pa.interactionEigen(a, 1, { k: 5, method });
        const rb = pa.interactionEigen(b, 1, { k: 5, method });
        expect(ra.method).toBe(method);
        expect(rb.method).toBe(method);
        expect(ra.iterations).toBe(rb.iterations); // the same Krylov walk
        expect(maxRelDiff(ra.values, rb.values)).toBeLessThan(1e-10);
        expect(vectorDiffUpToSign(ra.vectors.data, rb.vectors.data, a.in, 5)).toBeLessThan(1e-10);
      }
    }
  });
});

describe('the Lanczos start sequence', () => {
  it('is the mulberry32 stream native/core/test/test_eigen.cpp pins', () => {
    const s = new StartSequence();
    expect(s.next()).toBe(-0.14111001964192837);
    expect(s.next()).toBe(-0.3940967385424301);
    expect(s.next()).toBe(0.17529047944117337);
  });
});
