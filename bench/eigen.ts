/**
 * node --import tsx bench/eigen.ts: top-10 interaction eigenpairs (pa.interactionEigen) of one
 * output of a relu MLP with random weights, dense vs Lanczos, native (median of several runs)
 * and the JS fallback (one run), at MNIST scale (784→1024) and transformer-FFN scale
 * (1024→4096). BENCH_QUICK=1: a small smoke run. BENCH_JS=0: native only. BENCH_LARGE=1 adds
 * 2048→8192 (native).
 *
 * Measured on the 2-core reference machine (native; medians, the machine shared with builds):
 *   784→1024   dense 0.11 s            Lanczos 0.010–0.02 s (85 products)
 *   1024→4096  dense 0.33–0.40 s       Lanczos 0.18–0.45 s (145 products)
 *   2048→8192  dense 1.8 s             Lanczos 1.2 s (160 products)
 * The 1024→4096 Lanczos time is bound by streaming W (32 MB) twice per product; the dense time
 * is the dsyrk forming G (0.09 s) plus dsyevr (0.2 s).
 */
import * as pa from '../lib/index';
import { randomMlp } from './setup';

const QUICK = process.env.BENCH_QUICK === '1';
const WITH_JS = process.env.BENCH_JS !== '0';
const LARGE = process.env.BENCH_LARGE === '1';
const RUNS = QUICK ? 3 : 5;
const K = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function assertFinite(r: pa.InteractionEigenResult): void {
  if (!r.values.every(Number.isFinite) || !r.vectors.data.every(Number.isFinite)) throw new Error('non-finite result');
}

function time(runs: number, fn: () => pa.InteractionEigenResult): { s: number; last: pa.InteractionEigenResult } {
  const ts: number[] = [];
  let last: pa.InteractionEigenResult | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
    assertFinite(last);
  }
  return { s: median(ts), last: last! };
}

const sizes: [number, number][] = QUICK ? [[196, 256]] : [[784, 1024], [1024, 4096]];
if (LARGE && !QUICK) sizes.push([2048, 8192]);

console.log(`interactionEigen, top ${K}, relu MLP, one output (native: median of ${RUNS}; js: 1 run)`);
for (const [n, h] of sizes) {
  const net = randomMlp(n, h, 1, 7);
  const backends: ('native' | 'js')[] = pa.backends().includes('native') ? ['native'] : [];
  if (WITH_JS && !(n > 1024)) backends.push('js');
  for (const backend of backends) {
    const q = pa.ols(net, { degree: 2, backend, gamma: 'lazy' });
    const runs = backend === 'native' ? RUNS : 1;
    const dense = time(runs, () => pa.interactionEigen(q, 0, { k: K, method: 'dense' }));
    const lanczos = time(runs, () => pa.interactionEigen(q, 0, { k: K, method: 'lanczos' }));
    let diff = 0;
    for (let j = 0; j < K; j++) diff = Math.max(diff, Math.abs(dense.last.values[j] - lanczos.last.values[j]));
    console.log(
      `${String(n).padStart(5)}→${String(h).padEnd(5)} ${backend.padEnd(6)} dense ${dense.s.toFixed(3)} s   ` +
        `lanczos ${lanczos.s.toFixed(3)} s (${lanczos.last.iterations} products, converged ${lanczos.last.converged})   ` +
        `max |Δλ| ${diff.toExponential(1)} of |λ_1| ${Math.abs(dense.last.values[0]).toExponential(2)}`,
    );
  }
}
