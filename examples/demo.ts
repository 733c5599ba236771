/**
 * npm run example: fit the least-squares linear approximant of a random ReLU MLP under a
 * correlated Gaussian input, print its coefficients, and check it by Monte Carlo: R² of the
 * approximant on fresh samples, and the agreement with an ordinary least-squares regression
 * on those samples. (npm run demo runs the paper's MNIST experiments: examples/mnist/.)
 */
import * as pa from '../lib/index';

function step(msg: string): () => void {
  const t0 = Date.now();
  process.stdout.write(`• ${msg} … `);
  return () => console.log(`done (${((Date.now() - t0) / 1000).toFixed(2)} s)`);
}

async function main(): Promise<void> {
  const info = pa.backendInfo();
  console.log(`polyapprox example — backends: ${info.backends.join(', ')}${info.native.loaded ? ` (native: ${info.native.source})` : ''}\n`);
  const IN = 8;
  const HIDDEN = 64;
  const OUT = 3;
  const rng = new pa.SeededRandom(2024);
  const randn = (n: number, scale: number) => Float64Array.from({ length: n }, () => scale * rng.normal());

  let done = step(`random ${IN}→${HIDDEN}→${OUT} ReLU MLP and a correlated Gaussian input`);
  const net = {
    W1: { data: randn(HIDDEN * IN, 1 / Math.sqrt(IN)), shape: [HIDDEN, IN] },
    b1: randn(HIDDEN, 0.3),
    W2: { data: randn(OUT * HIDDEN, 1 / Math.sqrt(HIDDEN)), shape: [OUT, HIDDEN] },
    b2: randn(OUT, 0.1),
    act: 'relu' as const,
  };
  const A = randn(IN * IN, 1 / Math.sqrt(IN));
  const cov = pa.linalg.gemm({ data: A, shape: [IN, IN] }, { data: A, shape: [IN, IN] }, { transB: true });
  const input = { type: 'gaussian' as const, mean: randn(IN, 0.5), cov };
  done();

  done = step('closed-form linear approximant (off the event loop)');
  const fit = await pa.olsAsync(net, { degree: 1, input });
  done();

  console.log(`\n  y = x·beta + alpha   (backend: ${fit.backend}, solve: ${fit.solve.method})`);
  console.log(`  alpha = [${[...fit.alpha.data].map((v) => v.toFixed(4)).join(', ')}]`);
  console.log('  beta (rows = inputs, columns = outputs):');
  for (let i = 0; i < IN; i++) {
    const row = [...fit.beta.data.subarray(i * OUT, (i + 1) * OUT)].map((v) => v.toFixed(4).padStart(8)).join(' ');
    console.log(`    x${i}: ${row}`);
  }

  const N = 200_000;
  done = step(`Monte Carlo check on ${N.toLocaleString('en-US')} fresh samples`);
  const x = pa.sample(input, IN, N, { seed: 7 });
  const y = pa.mlpForward(net, x);
  const yHat = fit.predict(x);
  const fvu = pa.fvu(y, yHat);
  done();
  console.log(`  R² of the linear approximant per output: ${[...fvu].map((v) => (1 - v).toFixed(4)).join(', ')}`);

  // Least squares on the samples themselves should find the same coefficients.
  const ones = new Float64Array(N * (IN + 1));
  for (let r = 0; r < N; r++) {
    ones[r * (IN + 1)] = 1;
    ones.set(x.data.subarray(r * IN, (r + 1) * IN), r * (IN + 1) + 1);
  }
  const design = { data: ones, shape: [N, IN + 1] };
  const gram = pa.linalg.gemm(design, design, { transA: true });
  const rhs = pa.linalg.gemm(design, y, { transA: true });
  const coef = solveSpd(gram.data, rhs.data, IN + 1, OUT);
  let worst = 0;
  for (let i = 0; i < IN; i++) for (let o = 0; o < OUT; o++) worst = Math.max(worst, Math.abs(coef[(i + 1) * OUT + o] - fit.beta.data[i * OUT + o]));
  console.log(`  largest |beta − Monte Carlo least-squares beta|: ${worst.toExponential(2)} (sampling error ~ 1/√N = ${(1 / Math.sqrt(N)).toExponential(1)})`);
  console.log('\nNext: npm test (the full suite), npm run bench (native vs JS vs dgemm).');
}

/** Solves the small SPD system G X = R (Gaussian elimination; G is [p, p], R is [p, out]). */
function solveSpd(G: Float64Array, R: Float64Array, p: number, out: number): Float64Array {
  const M = G.slice();
  const X = R.slice();
  for (let c = 0; c < p; c++) {
    for (let r = c + 1; r < p; r++) {
      const f = M[r * p + c] / M[c * p + c];
      for (let j = c; j < p; j++) M[r * p + j] -= f * M[c * p + j];
      for (let o = 0; o < out; o++) X[r * out + o] -= f * X[c * out + o];
    }
  }
  for (let c = p - 1; c >= 0; c--) {
    for (let o = 0; o < out; o++) {
      let v = X[c * out + o];
      for (let j = c + 1; j < p; j++) v -= M[c * p + j] * X[j * out + o];
      X[c * out + o] = v / M[c * p + c];
    }
  }
  return X;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
