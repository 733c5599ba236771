/**
 * The CUDA backend against the native CPU one: the key cases of the CPU suites (linear fits under
 * standard, Gaussian, singular-Gaussian and mixture inputs, MLPs and GLUs; degree-2 fits with gamma,
 * quadratic forms and predict; the dense interaction eigendecomposition; gemm; async) must agree in
 * float64 within 1e-10 (relative to the largest entry). The CPU suites themselves also run on
 * 'cuda' wherever it is available, since backends() lists it. Skipped, with the reason in the
 * suite's name, where the CUDA addon is not built or finds no device; POLYAPPROX_REQUIRE_CUDA=1
 * turns that into a failure (for GPU machines that must test it).
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { cpuFallback, CUDA_AUTO_MIN_WORK, fitWork, resolveBackend } from '../lib/backend';
import { maxRelDiff } from './helpers/backends';
import { gluSpec, mlpSpec, randomGlu, randomMixture, randomMlp } from './helpers/layers';
import { Rng } from './helpers/random';

const info = pa.backendInfo();
const hasCuda = info.backends.includes('cuda');
const hasNative = info.backends.includes('native');
const reason = hasCuda ? (hasNative ? '' : 'the native addon (the reference) did not load') : `CUDA backend unavailable: ${info.cuda.error}`;
if (process.env.POLYAPPROX_REQUIRE_CUDA === '1' && reason !== '') {
  throw new Error(`POLYAPPROX_REQUIRE_CUDA=1 but ${reason}`);
}
const TOL = 1e-10;

function gaussian(rng: Rng, n: number, rank = n + 1, diag = 0.1) {
  const mean = rng.normals(n, 0.5);
  const cov = rng.covariance(n, rank, diag);
  return { type: 'gaussian' as const, mean, cov: { data: cov, shape: [n, n] } };
}

function mixture(rng: Rng, n: number, K: number) {
  const m = randomMixture(rng, n, K);
  return { type: 'mixture' as const, weights: m.weights, means: { data: m.means, shape: [K, n] }, covs: { data: m.covs, shape: [K, n, n] } };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = TOL): void {
  expect(a.length).toBe(b.length);
  expect(maxRelDiff(a, b)).toBeLessThanOrEqual(tol);
}

describe.skipIf(reason !== '')(`cuda agrees with native (float64, ${TOL})${reason ? ` — skipped: ${reason}` : ''}`, () => {
  it('is listed first and reports its device', () => {
    expect(pa.backends()[0]).toBe('cuda');
    expect(info.cuda.available).toBe(true);
    expect(info.cuda.device!.count).toBeGreaterThan(0);
    expect(info.cuda.device!.name.length).toBeGreaterThan(0);
  });

  describe.each(['relu', 'gelu', 'sigmoid', 'identity'])('linear fits, %s', (act) => {
    const rng = new Rng(101);
    const n = 24;
    const mlp = randomMlp(rng, n, 70, 5, act);
    const glu = randomGlu(rng, n, 40, 6, act);
    const gluNoW2 = randomGlu(rng, n, 30, null, act);
    const inputs = {
      standard: { type: 'standard' as const },
      gaussian: gaussian(rng, n),
      'singular gaussian (pivoted factor on the CPU)': gaussian(rng, n, 7, 0),
      'mixture, minimum norm': mixture(rng, n, 3),
    };
    it.each(Object.entries(inputs))('%s', (_name, input) => {
      for (const [a, b] of [
        [pa.ols(mlpSpec(mlp), { input, backend: 'cuda' }), pa.ols(mlpSpec(mlp), { input, backend: 'native' })],
        [pa.gluOls(gluSpec(glu), { input, backend: 'cuda' }), pa.gluOls(gluSpec(glu), { input, backend: 'native' })],
        [pa.gluOls(gluSpec(gluNoW2), { input, backend: 'cuda' }), pa.gluOls(gluSpec(gluNoW2), { input, backend: 'native' })],
      ]) {
        expect(a.backend).toBe('cuda');
        expect(a.dtype).toBe('float64');
        close(a.beta.data, b.beta.data);
        close(a.alpha.data, b.alpha.data);
        expect(a.solve.method).toBe(b.solve.method);
        expect(a.solve.rank).toBe(b.solve.rank);
        const X = rng.normals(300 * n, 1);
        close(a.predict({ data: X, shape: [300, n] }).data, b.predict({ data: X, shape: [300, n] }).data);
      }
    });
  });

  it('mixture with a ridge, and a mixture of identity covariances', () => {
    const rng = new Rng(7);
    const n = 30;
    const mlp = randomMlp(rng, n, 90, 4, 'gelu');
    const mix = mixture(rng, n, 4);
    const a = pa.ols(mlpSpec(mlp), { input: mix, ridge: 1e-3, backend: 'cuda' });
    const b = pa.ols(mlpSpec(mlp), { input: mix, ridge: 1e-3, backend: 'native' });
    expect(a.solve.method).toBe('ridge');
    close(a.beta.data, b.beta.data);
    close(a.alpha.data, b.alpha.data);
    const plain = { type: 'mixture' as const, weights: Float64Array.of(1, 2), means: { data: rng.normals(2 * n, 1), shape: [2, n] } };
    const c = pa.ols(mlpSpec(mlp), { input: plain, backend: 'cuda' });
    const d = pa.ols(mlpSpec(mlp), { input: plain, backend: 'native' });
    close(c.beta.data, d.beta.data);
    close(c.alpha.data, d.alpha.data);
  });

  describe.each(['relu', 'gelu', 'tanh', 'identity'])('degree 2, %s', (act) => {
    const rng = new Rng(202);
    const n = 20;
    const input = gaussian(rng, n);
    const cases = {
      mlp: () => [mlpSpec(randomMlp(rng, n, 60, 4, act)), 'mlp'] as const,
      'glu with W2': () => [gluSpec(randomGlu(rng, n, 35, 3, act)), 'glu'] as const,
      'glu without W2': () => [gluSpec(randomGlu(rng, n, 12, null, act)), 'glu'] as const,
    };
    it.each(Object.entries(cases))('%s: alpha, beta, gamma, G_o, predict', (_name, make) => {
      const [net, kind] = make();
      const fit = (backend: 'cuda' | 'native') =>
        kind === 'mlp' ? pa.ols(net as never, { degree: 2, input, backend }) : pa.gluOls(net as never, { degree: 2, input, backend });
      const a = fit('cuda');
      const b = fit('native');
      expect(a.backend).toBe('cuda');
      close(a.alpha.data, b.alpha.data);
      close(a.beta.data, b.beta.data);
      close(a.gamma!.data, b.gamma!.data);
      close(a.quadraticForm(a.out - 1).data, b.quadraticForm(b.out - 1).data);
      const X = rng.normals(500 * n, 1.3);
      close(a.predict({ data: X, shape: [500, n] }).data, b.predict({ data: X, shape: [500, n] }).data);
    });
  });

  it('degree 2 under a mixture (issue 5: component fits and the solve through the CUDA addon)', () => {
    const rng = new Rng(606);
    const n = 12;
    const net = randomGlu(rng, n, 20, 3, 'gelu');
    const mix = mixture(rng, n, 3);
    const opts = { degree: 2 as const, input: mix, tol: 1e-12 };
    const a = pa.gluOls(gluSpec(net), { ...opts, backend: 'cuda' });
    const b = pa.gluOls(gluSpec(net), { ...opts, backend: 'native' });
    expect(a.backend).toBe('cuda');
    close(a.alpha.data, b.alpha.data);
    close(a.beta.data, b.beta.data);
    close(a.gamma!.data, b.gamma!.data);
  });

  it('the mixture solve on the device (block CR with device stacks) matches native, and progress may call the device', () => {
    const rng = new Rng(607);
    const n = 40;
    const net = randomMlp(rng, n, 60, 5, 'relu');
    const input = mixture(rng, n, 4);
    let inner = 0;
    const a = pa.ols(mlpSpec(net), {
      degree: 2,
      input,
      tol: 1e-11,
      backend: 'cuda',
      // A synchronous callback that uses the device itself: the solve must not hold the device lock here.
      onProgress: ({ iter }) => {
        if (iter === 1) inner = pa.ols(mlpSpec(net), { backend: 'cuda' }).alpha.data[0];
      },
    });
    const b = pa.ols(mlpSpec(net), { degree: 2, input, tol: 1e-11, backend: 'native' });
    expect(inner).toBe(pa.ols(mlpSpec(net), { backend: 'cuda' }).alpha.data[0]);
    expect(a.solve.converged).toBe(true);
    expect(a.solve.residual).toBeLessThanOrEqual(1e-11);
    expect(Math.abs(a.solve.iterations! - b.solve.iterations!)).toBeLessThanOrEqual(3);
    close(a.alpha.data, b.alpha.data, 1e-8);
    close(a.beta.data, b.beta.data, 1e-8);
    close(a.gamma!.data, b.gamma!.data, 1e-8);
    const r = pa.ols(mlpSpec(net), { degree: 2, input, ridge: 1e-3, backend: 'cuda' });
    const s = pa.ols(mlpSpec(net), { degree: 2, input, ridge: 1e-3, backend: 'native' });
    expect(r.solve.solution).toBe('ridge');
    close(r.gamma!.data, s.gamma!.data, 1e-8);
  });

  it('gamma in several device blocks (more pairs than one block holds), MLP and GLU', () => {
    const rng = new Rng(303);
    const n = 1100; // 605,550 pairs: 10 blocks of 65,536 for hidden 1024 (5 for a GLU's 2·hidden)
    const mlp = randomMlp(rng, n, 1024, 3, 'gelu');
    const a = pa.ols(mlpSpec(mlp), { degree: 2, gamma: 'eager', backend: 'cuda' });
    const b = pa.ols(mlpSpec(mlp), { degree: 2, gamma: 'eager', backend: 'native' });
    close(a.gamma!.data, b.gamma!.data);
    const glu = randomGlu(rng, n, 700, 2, 'sigmoid');
    const c = pa.gluOls(gluSpec(glu), { degree: 2, gamma: 'eager', backend: 'cuda' });
    const d = pa.gluOls(gluSpec(glu), { degree: 2, gamma: 'eager', backend: 'native' });
    close(c.gamma!.data, d.gamma!.data);
  });

  it.each(['relu', 'gelu'])('dense interaction eigenpairs, %s (MLP and GLU)', (act) => {
    const rng = new Rng(404);
    const n = 64;
    const fits = [
      pa.ols(mlpSpec(randomMlp(rng, n, 120, 3, act)), { degree: 2, backend: 'cuda' }),
      pa.gluOls(gluSpec(randomGlu(rng, n, 80, 2, act)), { degree: 2, backend: 'cuda' }),
    ];
    for (const q of fits) {
      // The same compact form on the CPU isolates the eigendecomposition itself.
      const cpu = new pa.QuadraticApproximant({ ...q.compact }, { backend: 'native', input: 'standard', dtype: 'float64' }, false);
      for (let o = 0; o < q.out; o++) {
        const x = pa.interactionEigen(q, o, { k: 6, method: 'dense' });
        const y = pa.interactionEigen(cpu, o, { k: 6, method: 'dense' });
        expect(x.method).toBe('dense');
        close(x.values, y.values);
        // Eigenvectors: unique up to sign (both fixed) where the eigenvalues are simple.
        close(x.vectors.data, y.vectors.data, 1e-8);
      }
    }
  });

  it('async fits, gemm, and the analysis toolkit on cuda', async () => {
    const rng = new Rng(505);
    const n = 16;
    const mlp = randomMlp(rng, n, 40, 3, 'relu');
    const input = gaussian(rng, n);
    const [a, b] = await Promise.all([
      pa.olsAsync(mlpSpec(mlp), { degree: 2, input, backend: 'cuda' }),
      pa.olsAsync(mlpSpec(mlp), { degree: 2, input, backend: 'native' }),
    ]);
    close(a.beta.data, b.beta.data);
    close(a.gamma!.data, b.gamma!.data);
    const A = { data: rng.normals(70 * 50), shape: [70, 50] };
    const B = { data: rng.normals(60 * 50), shape: [60, 50] };
    close(pa.linalg.gemm(A, B, { transB: true, backend: 'cuda' }).data, pa.linalg.gemm(A, B, { transB: true, backend: 'native' }).data, 1e-13);
    const e = await pa.interactionEigenAsync(a, 0, { k: 3 });
    expect(e.method).toBe('dense');
  });

  it('a non-PSD covariance is the same argument error as on the CPU', () => {
    const mlp = randomMlp(new Rng(9), 3, 5, 2, 'relu');
    const bad = { type: 'gaussian' as const, cov: [[1, 0, 0], [0, -1, 0], [0, 0, 1]] };
    const err = (backend: 'cuda' | 'native') => {
      try {
        pa.ols(mlpSpec(mlp), { input: bad, backend });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('cuda')).toBe(err('native'));
  });

  it("'auto' takes the GPU only for large problems", () => {
    expect(resolveBackend('auto', CUDA_AUTO_MIN_WORK / 10)).toBe('native');
    expect(resolveBackend('auto', CUDA_AUTO_MIN_WORK)).toBe('cuda');
  });
});

describe('CUDA selection logic (no device needed)', () => {
  it('fitWork counts the large products', () => {
    expect(fitWork({ in: 1024, hidden: 4096, out: 1024, degree: 2, gamma: true })).toBeGreaterThan(2e12);
    expect(fitWork({ in: 10, hidden: 20, out: 2, degree: 1 })).toBe(400);
    expect(fitWork({ in: 10, hidden: 20, out: 2, degree: 4 })).toBe(0);
    expect(fitWork({ in: 784, hidden: 1024, out: 10, degree: 1, K: 10, cov: true })).toBeGreaterThan(CUDA_AUTO_MIN_WORK / 10);
  });

  it("'auto' falls back to the CPU on a CUDA error, and rethrows anything else", () => {
    const cudaErr = Object.assign(new Error('CUDA: cudaMalloc failed: cudaErrorMemoryAllocation'), { code: 'ERR_POLYAPPROX_CUDA', reason: 'out-of-memory' });
    expect(['native', 'js']).toContain(cpuFallback(cudaErr));
    const other = new RangeError('invalid argument: x');
    expect(() => cpuFallback(other)).toThrow(other);
  });

  it("backendInfo says why 'cuda' is unavailable", () => {
    if (hasCuda) return;
    expect(info.cuda.available).toBe(false);
    expect(info.cuda.error).toMatch(/\S/);
    expect(() => pa.ols({ W1: [[1]], W2: [[1]], act: 'relu' }, { backend: 'cuda' })).toThrow(/CUDA backend is unavailable/);
    // 'auto' never picks an unavailable device, however large the call.
    expect(resolveBackend('auto', CUDA_AUTO_MIN_WORK * 1000)).not.toBe('cuda');
  });

  it('a CUDA addon built on a machine without a device loads and says so (toolkit present, GPU absent)', () => {
    if (hasCuda || !info.cuda.loaded) return;  // exercised where the CUDA addon was built but finds no device
    expect(info.cuda.available).toBe(false);
    expect(info.cuda.error).toMatch(/no usable CUDA device/);
    const net = randomMlp(new Rng(7), 6, 9, 2, 'relu');
    const q = pa.ols(mlpSpec(net), { degree: 2, backend: 'auto' });
    expect(q.backend).not.toBe('cuda');
  });
});
