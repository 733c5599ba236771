/**
 * The `polyapprox` command as users run it: `node bin/polyapprox.js` in a child process (which
 * needs dist/: rebuilt here first when lib/ is newer), on the PyTorch-style fixtures of
 * scripts/gen_io_fixtures.py. The written result must equal pa.ols on the same weights — taken
 * from the generator's expected.json, not from the reader under test — to 1e-12; help exits 0;
 * usage errors and bad files exit 2 with one line on stderr, runtime failures 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'polyapprox.js');
const FIX = path.join(ROOT, 'test', 'fixtures', 'io');
const fixture = (name: string): string => path.join(FIX, name);
interface JsonTensor {
  shape: number[];
  data: number[];
}
const expected = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8')) as Record<string, Record<string, JsonTensor>>;
const t = (x: JsonTensor) => ({ data: Float64Array.from(x.data), shape: x.shape });

/** The newest modification time under a directory (files matching `ext`). */
function newest(dir: string, ext: RegExp): number {
  let m = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newest(p, ext));
    else if (ext.test(e.name)) m = Math.max(m, fs.statSync(p).mtimeMs);
  }
  return m;
}

/** Rebuilds dist/ (tsc + the ESM wrapper, as `npm run prepare`) when lib/ changed since. */
function ensureDist(): void {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  if (fs.existsSync(cli) && fs.statSync(cli).mtimeMs >= newest(path.join(ROOT, 'lib'), /\.ts$/)) return;
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    // tsc emits despite type errors (npm run typecheck is where those fail); only a missing
    // output is fatal here.
    if (!fs.existsSync(cli)) throw e;
  }
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'copy-esm.js')], { cwd: ROOT, stdio: 'pipe' });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp = '';
beforeAll(() => {
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-cli-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const seq = expected['sequential.safetensors'];
const net = { W1: t(seq['0.weight']), b1: t(seq['0.bias']), W2: t(seq['2.weight']), b2: t(seq['2.bias']), act: 'relu' as const };
const gauss = expected['input_gaussian.safetensors'];
const input = { type: 'gaussian' as const, mean: t(gauss.mean), cov: t(gauss.cov) };

function readResult(file: string): pa.io.TensorSet {
  return pa.io.readTensorFile(file);
}

describe('help and version', () => {
  it.each([[['--help']], [['-h']], [['help']], [['help', 'fit']], [['fit', '--help']], [['report', '--help']], [['help', 'report']]])('%j exits 0 with usage on stdout', (args) => {
    const r = cli(args, tmp);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: polyapprox /);
    expect(r.stderr).toBe('');
  });

  it('fit --help lists the options; --version prints the version', () => {
    const help = cli(['fit', '--help'], tmp).stdout;
    for (const opt of ['--preset', '--w1', '--b1', '--w2', '--b2', '--glu', '--v', '--activation', '--degree', '--input', '--ridge', '--backend', '--out', '--out-dtype']) {
      expect(help).toContain(opt);
    }
    expect(cli(['report', '--help'], tmp).stdout).toContain('--top');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'], tmp).stdout.trim()).toBe(`polyapprox ${pkg.version}`);
  });
});

describe.each(availableBackends().filter((b) => b !== 'cuda'))('fit on %s', (backend) => {
  it('nn.Sequential preset, degree 2, Gaussian input file: the result equals pa.ols on the same weights', () => {
    const out = path.join(tmp, `q-${backend}.safetensors`);
    const r = cli(['fit', fixture('sequential.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--degree', '2', '--input', fixture('input_gaussian.safetensors'), '--backend', backend, '--out', out], tmp);
    expect(r.stderr).toMatch(/read MLP 6 → 10 → 3 \(relu\)/);
    expect(r.stderr).toMatch(/fitting degree 2 under a gaussian input/);
    expect(r.stderr).toMatch(new RegExp(`fit done on ${backend} in [0-9.]+ s`));
    expect(r.stderr).toMatch(/wrote .*q-\w+\.safetensors/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const want = pa.ols(net, { degree: 2, input, backend });
    const got = readResult(out);
    expect(maxRelDiff(got.get('alpha').data, want.alpha.data)).toBeLessThanOrEqual(1e-12);
    expect(maxRelDiff(got.get('beta').data, want.beta.data)).toBeLessThanOrEqual(1e-12);
    expect(maxRelDiff(got.get('gamma').data, want.gamma!.data)).toBeLessThanOrEqual(1e-12);
    expect(got.metadata).toMatchObject({ degree: '2', kind: 'mlp', activation: 'relu', input: 'gaussian', backend });
    expect(JSON.parse(got.metadata.solve)).toEqual(want.solve);
    // The network and the input law ride along for `report`.
    expect(got.get('net.W1').data).toEqual(net.W1.data);
    expect(got.get('input.cov').data).toEqual(input.cov.data);
  });

  it('degree 2 under a mixture (exact iterative solve): its progress on stderr, the result equals pa.ols', () => {
    const out = path.join(tmp, `m-${backend}.safetensors`);
    const r = cli(['fit', fixture('sequential.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--degree', '2', '--input', fixture('input_mixture.npz'), '--backend', backend, '--out', out], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/block CR iteration 1, relative residual/);
    expect(r.stderr).toMatch(/solve: mixture-cg, \d+ iterations, residual/);
    const mixture = pa.io.loadInput(pa.io.readTensorFile(fixture('input_mixture.npz')));
    const want = pa.ols(net, { degree: 2, input: mixture, backend });
    const got = readResult(out);
    expect(maxRelDiff(got.get('beta').data, want.beta.data)).toBeLessThanOrEqual(1e-12);
    expect(maxRelDiff(got.get('gamma').data, want.gamma!.data)).toBeLessThanOrEqual(1e-12);
    expect(got.metadata.input).toBe('mixture');
  });

  it('explicit tensor names, degree 1, standard input; F32 output', () => {
    const out = path.join(tmp, `l-${backend}.safetensors`);
    const args = ['fit', fixture('sequential.safetensors'), '--w1', '0.weight', '--b1', '0.bias', '--w2', '2.weight', '--b2', '2.bias', '--activation', 'relu', '--backend', backend, '--quiet'];
    const r = cli([...args, '--out', out], tmp);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const want = pa.ols(net, { degree: 1, backend });
    expect(maxRelDiff(readResult(out).get('beta').data, want.beta.data)).toBeLessThanOrEqual(1e-12);
    const r32 = cli([...args, '--out', out, '--out-dtype', 'F32'], tmp);
    expect(r32.code).toBe(0);
    expect(readResult(out).get('beta').data).toEqual(Float64Array.from(Float32Array.from(want.beta.data)));
  });

  it('GPT-2 (Conv1D) and LLaMA (GLU, bf16) presets', () => {
    const g = expected['gpt2_mlp.safetensors'];
    const tr = (x: JsonTensor) => {
      const [rows, cols] = x.shape;
      const data = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = x.data[i * cols + j];
      return { data, shape: [cols, rows] };
    };
    const gpt2 = { W1: tr(g['h.1.mlp.c_fc.weight']), b1: t(g['h.1.mlp.c_fc.bias']), W2: tr(g['h.1.mlp.c_proj.weight']), b2: t(g['h.1.mlp.c_proj.bias']), act: 'gelu' as const };
    const out = path.join(tmp, `gpt2-${backend}.safetensors`);
    expect(cli(['fit', fixture('gpt2_mlp.safetensors'), '--preset', 'gpt2', '--layer', '1', '--degree', '2', '--backend', backend, '--out', out, '-q'], tmp).code).toBe(0);
    expect(maxRelDiff(readResult(out).get('gamma').data, pa.ols(gpt2, { degree: 2, backend }).gamma!.data)).toBeLessThanOrEqual(1e-12);

    const l = expected['llama_mlp.safetensors'];
    const p = 'model.layers.0.mlp.';
    const glu = { W: t(l[p + 'gate_proj.weight']), V: t(l[p + 'up_proj.weight']), W2: t(l[p + 'down_proj.weight']), act: 'silu' as const };
    const outL = path.join(tmp, `llama-${backend}.safetensors`);
    expect(cli(['fit', fixture('llama_mlp.safetensors'), '--preset', 'llama', '--degree', '2', '--backend', backend, '--out', outL, '-q'], tmp).code).toBe(0);
    const want = pa.gluOls(glu, { degree: 2, backend });
    expect(maxRelDiff(readResult(outL).get('gamma').data, want.gamma!.data)).toBeLessThanOrEqual(1e-12);
    // The same GLU by explicit names.
    const outN = path.join(tmp, `llama-names-${backend}.safetensors`);
    const named = ['fit', fixture('llama_mlp.safetensors'), '--glu', '--w', p + 'gate_proj.weight', '--v', p + 'up_proj.weight', '--w2', p + 'down_proj.weight', '--activation', 'silu'];
    expect(cli([...named, '--degree', '2', '--backend', backend, '--out', outN, '-q'], tmp).code).toBe(0);
    expect(readResult(outN).get('gamma').data).toEqual(readResult(outL).get('gamma').data);
  });
});

describe('report', () => {
  function fitTo(file: string, extra: string[] = []): void {
    const r = cli(['fit', fixture('sequential.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--degree', '2', '--input', fixture('input_gaussian.safetensors'), '--out', file, '-q', ...extra], tmp);
    expect(r.code, r.stderr).toBe(0);
  }

  it('text: variance explained by degree and the top eigenpairs of each output', () => {
    const file = path.join(tmp, 'rep.safetensors');
    fitTo(file);
    const r = cli(['report', file, '--top', '2'], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/degree 2 approximant of an MLP 6 → 10 → 3 \(relu\), gaussian input/);
    expect(r.stdout).toMatch(/Variance explained by degree/);
    expect(r.stdout).toMatch(/output\s+Var f\s+deg 1\s+deg 2\s+total\s+FVU/);
    expect(r.stdout).toMatch(/Interaction eigenpairs \(top 2 of G_o/);
    expect(r.stdout.match(/λ1 =/g)).toHaveLength(3);
    expect(r.stderr).toBe('');
  });

  it('--json matches pa.varianceExplained and pa.interactionEigen', () => {
    const file = path.join(tmp, 'rep-json.safetensors');
    fitTo(file);
    const r = cli(['report', file, '--top', '3', '--max-degree', '4', '--outputs', '0,2', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      degree: number;
      outputs: number[];
      variance: { available: boolean; varF: number[]; byDegree: number[][]; fvu: number[] };
      eigen: { output: number; values: number[]; vectors: number[][] }[];
    };
    expect(rep.degree).toBe(2);
    expect(rep.outputs).toEqual([0, 2]);
    const v = pa.varianceExplained(net, 4, input);
    expect(rep.variance.available).toBe(true);
    expect(maxRelDiff(rep.variance.varF, v.varF)).toBeLessThan(1e-12);
    expect(maxRelDiff(rep.variance.byDegree.flat(), v.byDegree)).toBeLessThan(1e-12);
    const q = pa.ols(net, { degree: 2, input });
    for (const e of rep.eigen) {
      const want = pa.interactionEigen(q, e.output, { k: 3 });
      expect(maxRelDiff(e.values, want.values)).toBeLessThan(1e-10);
      expect(maxRelDiff(e.vectors.flat(), want.vectors.data)).toBeLessThan(1e-8);
    }
    expect(rep.eigen.map((e) => e.output)).toEqual([0, 2]);
  });

  it('a result written with --no-net: variance needs --weights (then it is there)', () => {
    const file = path.join(tmp, 'rep-nonet.safetensors');
    fitTo(file, ['--no-net']);
    const bare = cli(['report', file, '--top', '0'], tmp);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/Variance explained: not available \(the result does not store the network/);
    const withWeights = cli(['report', file, '--top', '0', '--weights', fixture('sequential.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--input', fixture('input_gaussian.safetensors'), '--json'], tmp);
    expect(withWeights.code, withWeights.stderr).toBe(0);
    expect((JSON.parse(withWeights.stdout) as { variance: { available: boolean } }).variance.available).toBe(true);
    const wrong = cli(['report', file, '--weights', fixture('gpt2_mlp.safetensors'), '--preset', 'gpt2'], tmp);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--weights must hold the fitted layer \(\[in, out\] = \[6, 3\]\), got a layer with \[in, out\] = \[4, 4\]/);
  });
});

describe('errors: one line on stderr, exit 2 for usage and bad files, 1 for runtime failures', () => {
  const seqFile = fixture('sequential.safetensors');
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /^Usage: polyapprox/],
    ['unknown command', ['frobnicate'], /^polyapprox: unknown command 'frobnicate'\nRun 'polyapprox --help' for usage\.\n$/],
    ['unknown option', ['fit', seqFile, '--bogus'], /^polyapprox: Unknown option '--bogus'\nRun 'polyapprox fit --help' for usage\.\n$/],
    ['missing weights', ['fit', '--out', 'x.safetensors'], /^polyapprox: missing <weights> file\n/],
    ['missing --out', ['fit', seqFile, '--preset', 'sequential', '--activation', 'relu'], /^polyapprox: missing --out <result\.safetensors>\n/],
    ['preset and names', ['fit', seqFile, '--preset', 'sequential', '--w1', 'a', '--out', 'x'], /--preset and tensor names \(--w1\) exclude each other/],
    ['sequential without activation', ['fit', seqFile, '--preset', 'sequential', '--out', 'x'], /--preset sequential needs --activation/],
    ['bad degree', ['fit', seqFile, '--preset', 'sequential', '--activation', 'relu', '--degree', '9', '--out', 'x'], /^polyapprox: invalid argument: --degree must be an integer in 1\.\.8, got "9"\n$/],
    ['bad activation', ['fit', seqFile, '--preset', 'sequential', '--activation', 'elu', '--out', 'x'], /^polyapprox: invalid argument: options\.activation must be one of relu, .*got "elu"\n$/],
    ['missing tensor', ['fit', seqFile, '--w1', '0.weight', '--w2', '2.weght', '--activation', 'relu', '--out', 'x'], /^polyapprox: invalid argument: w2 must name a tensor of .*got "2\.weght" \(no such tensor; close names: "2\.weight"/],
    ['missing file', ['fit', 'nope.safetensors', '--preset', 'sequential', '--activation', 'relu', '--out', 'x'], /^polyapprox: cannot read nope\.safetensors: ENOENT/],
    ['bad JSON header', ['fit', fixture('bad_json.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--out', 'x'], /^polyapprox: invalid argument: .*bad_json\.safetensors header must be valid JSON, got /],
    ['truncated file', ['fit', fixture('truncated_header.safetensors'), '--preset', 'sequential', '--activation', 'relu', '--out', 'x'], /must hold its 64-byte header, got 12 bytes after the length \(truncated file\?\)\n$/],
    ['input of the wrong size', ['fit', fixture('gpt2_mlp.safetensors'), '--preset', 'gpt2', '--input', fixture('input_gaussian.safetensors'), '--out', 'x'], /invalid argument: input\.mean must have shape \[in\] = \[4\], got \[6\]/],
    ['report on weights', ['report', seqFile], /^polyapprox: invalid argument: .*sequential\.safetensors must be a polyapprox result .*got "pt"\n$/],
    ['report --top', ['report', seqFile, '--top=-1'], /--top must be an integer in 0\.\.1000000, got "-1"/],
    ['option value that looks like an option', ['report', seqFile, '--top', '-1'], /^polyapprox: Option '--top' argument is ambiguous\. .*'--top=-XYZ'\.\nRun 'polyapprox report --help'/],
  ];

  it.each(cases)('%s', (_name, args, pattern) => {
    const r = cli(args, tmp);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
  });

  it('an unwritable --out is a runtime failure (exit 1) and leaves nothing behind', () => {
    const out = path.join(tmp, 'no-such-dir', 'q.safetensors');
    const r = cli(['fit', seqFile, '--preset', 'sequential', '--activation', 'relu', '--out', out, '-q'], tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^polyapprox: cannot write .*no-such-dir\/q\.safetensors: ENOENT/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--verbose adds the stack trace', () => {
    const r = cli(['fit', seqFile, '--preset', 'sequential', '--activation', 'relu', '--degree', '0', '--out', 'x', '--verbose'], tmp);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^polyapprox: RangeError: invalid argument: --degree/);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});
