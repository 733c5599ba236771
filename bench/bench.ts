/**
 * npm run bench: native vs JS fallback for the linear fits at MNIST scale (784→1024→10), with
 * nominal GFLOP/s and the ratio to an OpenBLAS dgemm of the same flop count timed in the same
 * run (machines are noisy: every figure is a median of several runs, and ratios within one run
 * are what to compare across machines). Set BENCH_QUICK=1 for a small smoke run.
 */
import * as os from 'node:os';
import * as pa from '../lib/index';

const QUICK = process.env.BENCH_QUICK === '1';
const IN = QUICK ? 196 : 784;
const HIDDEN = QUICK ? 256 : 1024;
const OUT = 10;
const K = 10;
const NATIVE_RUNS = QUICK ? 3 : 7;
const JS_RUNS = QUICK ? 1 : 1;
/** The paper's Python code on the 2-core reference machine (DESIGN §5), linear mixture fit. */
const PAPER_LINEAR_MIXTURE_S = 0.72;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296 - 0.5;
  };
}

function randomArray(n: number, scale: number, r: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * r();
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(runs: number, fn: () => unknown): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const out = fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
    assertFinite(out);
  }
  return median(ts);
}

function assertFinite(out: unknown): void {
  const o = out as { beta?: { data: Float64Array }; data?: Float64Array };
  const data = o.beta?.data ?? o.data;
  if (data && !data.every(Number.isFinite)) throw new Error('non-finite result in benchmark');
}

/** Seconds of a native dgemm performing `flops` floating-point operations (square-ish shape). */
function dgemmSeconds(flops: number): number {
  const side = Math.max(8, Math.round(Math.cbrt(flops / 2)));
  const r = rng(99);
  const A = { data: randomArray(side * side, 1, r), shape: [side, side] };
  const B = { data: randomArray(side * side, 1, r), shape: [side, side] };
  const t = time(NATIVE_RUNS, () => pa.linalg.gemm(A, B, { backend: 'native' }));
  return (t * flops) / (2 * side * side * side);
}

function main(): void {
  const info = pa.backendInfo();
  if (!info.backends.includes('native')) {
    console.error(`native addon not available (${info.native.error}); the benchmark compares native with JS.`);
    process.exit(1);
  }
  const r = rng(1);
  const net = {
    W1: { data: randomArray(HIDDEN * IN, 2 / Math.sqrt(IN), r), shape: [HIDDEN, IN] },
    b1: randomArray(HIDDEN, 0.2, r),
    W2: { data: randomArray(OUT * HIDDEN, 2 / Math.sqrt(HIDDEN), r), shape: [OUT, HIDDEN] },
    b2: randomArray(OUT, 0.2, r),
    act: 'relu' as const,
  };
  // K full-rank covariances A Aᵀ/IN + 0.01 I, built with the native gemm.
  const covs = new Float64Array(K * IN * IN);
  for (let k = 0; k < K; k++) {
    const A = { data: randomArray(IN * IN, 1, r), shape: [IN, IN] };
    const C = pa.linalg.gemm(A, A, { transB: true, alpha: 1 / IN, backend: 'native' }).data;
    for (let i = 0; i < IN; i++) C[i * IN + i] += 0.01;
    covs.set(C, k * IN * IN);
  }
  const mixture = {
    type: 'mixture' as const,
    weights: Float64Array.from({ length: K }, (_, k) => 1 + (k % 3)),
    means: { data: randomArray(K * IN, 0.5, r), shape: [K, IN] },
    covs: { data: covs, shape: [K, IN, IN] },
  };

  // Nominal flop counts of the algorithms as implemented (see bench/RESULTS.md).
  const n = IN, h = HIDDEN;
  const flopsStandard = 2 * h * n + 2 * n * h * OUT + 2 * OUT * h;
  const flopsMixture = K * (n ** 3 / 3 + h * n * n + 2 * n * n * OUT + 2 * h * n * OUT) + 9 * n ** 3;

  const rows: string[][] = [];
  const cases = [
    { name: `linear ${n}→${h}→${OUT}, N(0, I)`, opts: { degree: 1 }, flops: flopsStandard },
    { name: `linear ${n}→${h}→${OUT}, K=${K} full-cov mixture`, opts: { degree: 1, input: mixture }, flops: flopsMixture },
  ];
  process.stderr.write(`bench: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'}\n`);
  for (const c of cases) {
    process.stderr.write(`  ${c.name}: native …`);
    const tn = time(NATIVE_RUNS, () => pa.ols(net, { ...c.opts, backend: 'native' }));
    process.stderr.write(` ${tn.toFixed(4)} s; js …`);
    const tj = time(JS_RUNS, () => pa.ols(net, { ...c.opts, backend: 'js' }));
    process.stderr.write(` ${tj.toFixed(3)} s; dgemm …`);
    const tg = dgemmSeconds(c.flops);
    process.stderr.write(` ${tg.toFixed(4)} s\n`);
    rows.push([
      c.name,
      tn.toFixed(4),
      tj.toFixed(3),
      (tj / tn).toFixed(0) + '×',
      (c.flops / tn / 1e9).toFixed(2),
      tg.toFixed(4),
      (tn / tg).toFixed(2),
    ]);
  }
  const header = ['case', 'native s (median)', 'js s', 'native speedup', 'GFLOP/s (nominal)', 'dgemm equal flops s', 'fit / dgemm'];
  console.log(`\npolyapprox bench ${new Date().toISOString().slice(0, 10)} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, native runs ${NATIVE_RUNS}, js runs ${JS_RUNS}${QUICK ? ' (QUICK sizes)' : ''}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  if (!QUICK) {
    const mixtureNative = Number(rows[1][1]);
    console.log(`\nlinear mixture fit vs the paper's code (${PAPER_LINEAR_MIXTURE_S} s on the reference 2-core machine): ${(PAPER_LINEAR_MIXTURE_S / mixtureNative).toFixed(1)}× faster`);
  }
}

main();
