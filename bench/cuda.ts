/**
 * node --import tsx bench/cuda.ts: the CUDA backend on the machine's GPU (needs
 * build/Release/polyapprox_cuda.so and a device; prints why not otherwise).
 *
 *  1. FP64 dgemm throughput measured on the device (cuBLAS, device-resident random data, CUDA
 *     events, median of several): the peak the fits are compared with.
 *  2. The 1024→4096→1024 degree-2 fit under a full-covariance Gaussian: the compact fit, gamma's
 *     device time (one dgemm per block of packed pairs; cudaBenchGamma), a dgemm of the same flops,
 *     and the whole call with gamma copied into a JS Float64Array (4.3 GB). Fraction of peak =
 *     gamma flops / gamma seconds / measured dgemm peak.
 *  3. native vs cuda at a few sizes (degree 1 and degree 2 with gamma), for 'auto''s threshold
 *     (CUDA_AUTO_MIN_WORK, in multiply-adds of fitWork), the K = 10 linear mixture at MNIST scale,
 *     and the dense interaction eigendecomposition.
 * BENCH_QUICK=1: smaller sizes, fewer repeats. BENCH_JSON=<file>: also write the numbers there.
 * The exact mixture quadratic at MNIST scale has its own benchmark with the real class statistics:
 * `node --import tsx bench/mixture.ts --backend cuda` (block CR on the device since session 4;
 * not yet measured on a GPU, see bench/RESULTS.md).
 *
 * Measured on an NVIDIA H200 (cc 9.0, 132 SMs, driver 580.159.04, CUDA 13.0; host 16 cores with
 * Debian's OpenBLAS 0.3.21 pthreads for 'native'), medians, 2026-11-24 (a second run on a fresh
 * machine agreed within ~20%; the whole-call gamma copy varied most, 0.80–0.97 s):
 *   cold start: addon load + probe 331 ms, first call 46 ms (context, handles), later 0.3 ms
 *   dgemm 8192³ 19.6 ms 56.2 TFLOP/s; 12288³ 65.7 ms 56.5; 16384³ 163.7 ms 53.7 → peak 56.5
 *   1024→4096→1024 degree 2, full-covariance Gaussian:
 *     compact fit (alpha, beta, a)            223 ms      (native 853 ms)
 *     gamma on the device, 4.40 TFLOP         90.9 ms     48.4 TFLOP/s = 86% of peak
 *     dgemm of equal flops (12992³)           90.9 ms     ratio 1.00
 *     whole call, 4.0 GiB gamma into JS       797 ms      (native ≈ 164 s, extrapolated)
 *     cuda vs native gamma                    max rel. diff 5.5e-15
 *   cuda vs native (ms): 128→512→16 d1 1.2/1.6, d2 2.6/9.9; 256→1024→64 d1 3.8/6.2, d2 13.1/154;
 *     512→2048→256 d1 15.6/39, d2 68/2910; 1024→4096→1024 d1 67/360;
 *     mixture K=10 784→1024→10 d1 85/376; eigen top 10 dense 1024→4096 38/360 (native dense),
 *     4096→4096 207 (cuda dense) / 409 (native Lanczos)
 */
import { writeFileSync } from 'node:fs';
import * as pa from '../lib/index';
import { addonFor, backendInfo, fitWork } from '../lib/backend';
import { gaussianInput, mixtureInput, randomMlp } from './setup';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = QUICK ? 3 : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time<T>(f: () => T, reps = REPS, warm = 1): { s: number; value: T } {
  let value: T | undefined;
  for (let i = 0; i < warm; i++) value = f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    value = f();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { s: median(ts), value: value as T };
}

function finite(a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i += Math.max(1, Math.floor(a.length / 4096))) if (!Number.isFinite(a[i])) throw new Error('non-finite result');
}

const fmt = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : s < 1 ? `${(s * 1e3).toFixed(1)} ms` : `${s.toFixed(2)} s`);
const tf = (flops: number, s: number) => `${(flops / s / 1e12).toFixed(1)} TFLOP/s`;
const rows: string[][] = [];
const json: Record<string, unknown> = {};
function row(...cells: string[]): void {
  rows.push(cells);
  console.log(cells.join(' | '));
}

// Cold start, in this fresh process: loading the addon (cuBLAS/cuSOLVER libraries, probe), then
// the first call (CUDA context, cuBLAS and cuSOLVER handles).
const tLoad = process.hrtime.bigint();
const info = backendInfo();
const loadSeconds = Number(process.hrtime.bigint() - tLoad) / 1e9;
if (!info.cuda.available) {
  console.log(`CUDA backend unavailable: ${info.cuda.error}`);
  process.exit(0);
}
const cuda = addonFor('cuda');
const dev = info.cuda.device!;
console.log(`device: ${dev.name} (cc ${dev.computeCapability}, ${dev.multiprocessors} SMs, ${(dev.totalMemory / 2 ** 30).toFixed(0)} GiB), CUDA runtime ${dev.runtimeVersion}, driver ${dev.driverVersion}`);
json.device = dev;
{
  const tiny = randomMlp(8, 16, 2, 1);
  const t0 = process.hrtime.bigint();
  pa.ols(tiny, { backend: 'cuda' });
  const first = Number(process.hrtime.bigint() - t0) / 1e9;
  const again = time(() => pa.ols(tiny, { backend: 'cuda' }), 5).s;
  row('cold start: load addon + probe / first call / later calls (8→16→2)', fmt(loadSeconds), `${fmt(first)} / ${fmt(again)}`);
  json.coldStart = { loadSeconds, first, again };
}

// 1. Measured FP64 dgemm peak.
const gemmSeconds = (m: number, n: number, k: number, reps = REPS) => median(cuda.cudaBenchGemm(m, n, k, reps) as number[]);
let peak = 0;
for (const n of QUICK ? [4096, 8192] : [8192, 12288, 16384]) {
  const s = gemmSeconds(n, n, n);
  const rate = (2 * n ** 3) / s;
  peak = Math.max(peak, rate);
  row(`dgemm ${n}³`, fmt(s), tf(2 * n ** 3, s));
}
row('measured FP64 dgemm peak', '', tf(peak, 1));
json.peakFlops = peak;

// 2. The transformer-FFN quadratic fit.
{
  const [n, h, out] = QUICK ? [512, 2048, 256] : [1024, 4096, 1024];
  const net = randomMlp(n, h, out, 11);
  const input = gaussianInput(n, 12);
  const fit = time(() => pa.ols(net, { degree: 2, input, gamma: 'lazy', backend: 'cuda' }));
  finite(fit.value.beta.data);
  row(`${n}→${h}→${out} degree 2, compact fit (no gamma)`, fmt(fit.s), '');
  const pairs = (n * (n + 1)) / 2;
  const flops = 2 * out * h * pairs;
  const gs = median(cuda.cudaBenchGamma(fit.value.compact, REPS) as number[]);
  const frac = flops / gs / peak;
  row(`  gamma on the device (${(flops / 1e12).toFixed(2)} TFLOP)`, fmt(gs), `${tf(flops, gs)} = ${(100 * frac).toFixed(0)}% of peak`);
  const m = Math.round(Math.cbrt(flops / 2) / 64) * 64;
  const eq = gemmSeconds(m, m, m);
  row(`  dgemm of equal flops (${m}³)`, fmt(eq), `${tf(2 * m ** 3, eq)}; fit gamma / dgemm time = ${(gs / eq).toFixed(2)}`);
  const whole = time(() => pa.ols(net, { degree: 2, input, gamma: 'eager', backend: 'cuda' }), QUICK ? 1 : 2);
  finite(whole.value.gamma!.data);
  row(`  whole call, gamma (${((8 * out * pairs) / 2 ** 30).toFixed(1)} GiB) into JS`, fmt(whole.s), `${tf(flops, whole.s)} = ${(100 * flops / whole.s / peak).toFixed(0)}% of peak`);
  const nat = time(() => pa.ols(net, { degree: 2, input, gamma: 'lazy', backend: 'native' }), 1);
  const g0 = time(() => nat.value.quadraticForm(0), 1);
  row(`  native: compact fit; gamma ≈ out × one G_o`, fmt(nat.s), `${fmt(g0.s * out)} (extrapolated from ${fmt(g0.s)} per output)`);
  // Same numbers from both backends.
  const G = whole.value.gamma!.data;
  const ref = nat.value.gammaRow(out - 1);
  let d = 0;
  let sc = 0;
  const off = (out - 1) * pairs;
  for (let i = 0; i < pairs; i++) {
    d = Math.max(d, Math.abs(G[off + i] - ref[i]));
    sc = Math.max(sc, Math.abs(ref[i]));
  }
  row('  cuda vs native gamma (last output), max rel. diff', (d / sc).toExponential(1), '');
  json.ffn = { n, h, out, fitSeconds: fit.s, gammaSeconds: gs, gammaFlops: flops, fractionOfPeak: frac, equalDgemmSeconds: eq, wholeSeconds: whole.s, nativeFitSeconds: nat.s, nativeGammaEstimate: g0.s * out };
}

// 3. Crossover for 'auto', the K = 10 mixture, eigen.
{
  const sizes: [number, number, number][] = QUICK ? [[128, 512, 16], [256, 1024, 64]] : [[128, 512, 16], [256, 1024, 64], [512, 2048, 256], [1024, 4096, 1024]];
  const cross: unknown[] = [];
  for (const [n, h, out] of sizes) {
    const net = randomMlp(n, h, out, n);
    const input = gaussianInput(n, n + 1);
    for (const degree of [1, 2] as const) {
      if (degree === 2 && n * n * h * out > 2e11) continue;
      const opts = { degree, input, gamma: 'eager' as const };
      const c = time(() => pa.ols(net, { ...opts, backend: 'cuda' }), 3);
      const nv = time(() => pa.ols(net, { ...opts, backend: 'native' }), 3);
      const work = fitWork({ in: n, hidden: h, out, degree, cov: true, gamma: degree === 2 });
      row(`${n}→${h}→${out} degree ${degree} (${work.toExponential(1)} MAC)`, `cuda ${fmt(c.s)}`, `native ${fmt(nv.s)} (${(nv.s / c.s).toFixed(1)}×)`);
      cross.push({ n, h, out, degree, work, cuda: c.s, native: nv.s });
    }
  }
  json.crossover = cross;
  const mlp = randomMlp(784, 1024, 10, 21);
  const mix = mixtureInput(784, 10, 22);
  const mc = time(() => pa.ols(mlp, { input: mix, backend: 'cuda' }), 3);
  const mn = time(() => pa.ols(mlp, { input: mix, backend: 'native' }), 3);
  row('linear mixture K=10, 784→1024→10 (pinv)', `cuda ${fmt(mc.s)}`, `native ${fmt(mn.s)} (${(mn.s / mc.s).toFixed(1)}×)`);
  json.mixture = { cuda: mc.s, native: mn.s };
  for (const [n, h] of QUICK ? [[512, 2048]] : [[1024, 4096], [4096, 4096]]) {
    const q = pa.ols(randomMlp(n, h, 2, 31), { degree: 2, gamma: 'lazy', backend: 'cuda' });
    const qn = pa.ols(randomMlp(n, h, 2, 31), { degree: 2, gamma: 'lazy', backend: 'native' });
    const e = time(() => pa.interactionEigen(q, 0, { k: 10, method: 'dense' }), 3);
    const en = time(() => pa.interactionEigen(qn, 0, { k: 10, method: n > 1024 ? 'lanczos' : 'dense' }), 1, 0);
    row(`interaction eigen top 10, ${n}→${h}`, `cuda dense ${fmt(e.s)}`, `native ${n > 1024 ? 'lanczos' : 'dense'} ${fmt(en.s)}`);
  }
}

console.log('\n| case | time | rate / comparison |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(json, null, 2));
