/**
 * The `polyapprox` command line (bin/polyapprox.js → dist/cli.js): `fit` a layer of a weights
 * file and write the approximant as safetensors, `report` what a result explains. Arguments by
 * node:util parseArgs; progress on stderr; results on stdout (report) or in files (fit).
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error or bad file (any argument error of the
 * library, which is what malformed files and bad option values raise, and unreadable inputs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import type { ActivationSpec } from './activation';
import { argumentError, invalidArgument } from './errors';
import { interactionEigenAsync } from './eigen';
import type { Approximant, FitOptionsSpec } from './fit';
import { gluOlsAsync, olsAsync, QuadraticApproximant } from './fit';
import { readTensorFile } from './io/file';
import { GluNames, LoadedLayer, loadInput, loadLayer, loadPreset, MlpNames, PRESETS, PresetName } from './io/layers';
import { readApproximant, writeApproximant } from './io/result';
import type { GluSpec, InputSpec, MlpSpec } from './validate';
import { varianceExplainedAsync } from './variance';

/** Where the CLI writes: stdout for results, stderr for progress and errors. */
export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const PROCESS_STREAMS: CliStreams = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** A usage error: exit code 2, message followed by a pointer to the help. */
class UsageError extends Error {
  readonly helpFor: string;
  constructor(message: string, helpFor: string) {
    super(message);
    this.helpFor = helpFor;
  }
}

/** An input file that cannot be read (missing, a directory…): exit code 2. */
class InputFileError extends Error {}

function version(): string {
  try {
    return String((JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version);
  } catch {
    return 'unknown';
  }
}

export const MAIN_HELP = `Usage: polyapprox <command> [options]

Closed-form least-squares polynomial approximants of MLP and GLU layers, from PyTorch weights
(safetensors, .npz, .npy).

Commands:
  fit <weights>      fit an approximant to one layer of a weights file, write it as safetensors
  report <result>    variance explained by degree and top interaction eigenpairs of a fit
  help [command]     this text, or a command's

Options:
  -h, --help         show help (also after a command: polyapprox fit --help)
  -V, --version      print the version
      --verbose      print stack traces with errors

Exit codes: 0 ok, 1 runtime failure, 2 usage error or bad file.
`;

export const FIT_HELP = `Usage: polyapprox fit <weights> --out <result.safetensors> [options]

Fits the least-squares polynomial approximant of one MLP or GLU layer stored in <weights>
(safetensors, .npz or .npy; F64, F32, F16, BF16) and writes it, with the network and the input
law it was fitted to, as safetensors. Progress goes to stderr.

Layer, by preset:
  --preset <name>       sequential  nn.Sequential(Linear, act, Linear): 0.weight, 0.bias, 2.weight, 2.bias
                        gpt2        h.<layer>.mlp.c_fc / c_proj (Conv1D [in, out]), gelu
                        llama       model.layers.<layer>.mlp.gate_proj / up_proj / down_proj, GLU, silu
  --layer <i>           transformer block (gpt2, llama; default 0)
  --prefix <p>          prepended to the preset's names (default: found when unique)
Layer, by tensor names (nn.Linear orientation [out, in] unless --conv1d):
  --w1 <name>           first weight [hidden, in]        (GLU: the gate W, activated)
  --b1 <name>           first bias [hidden]              (GLU: the gate bias)
  --w2 <name>           output weight [out, hidden]      (GLU: optional output projection)
  --b2 <name>           output bias [out]                (GLU: the value bias)
  --glu                 a GLU  W2 (act(W x + b1) * (V x + b2))
  --w <name>            GLU gate weight W (same as --w1)
  --v <name>            GLU value weight V [hidden, in]
  --conv1d              weights stored [in, out] (transformers Conv1D); transposed on load
  --activation <name>   relu, gelu, identity, sigmoid, swish (silu), tanh, jump_relu, leaky_relu,
                        softplus (required with names and with --preset sequential)
  --threshold <x>       jump_relu threshold (default 1)
  --slope <x>           leaky_relu slope (default 0.01)

Fit:
  --degree <n>          1..8 (GLU 1..7; default 1); 3+ need a single Gaussian input
  --input <law>         standard (default: N(0, I)), or a file of tensors: mean [in] and/or cov
                        [in, in] (Gaussian), or means [K, in] with optional weights [K], covs
                        [K, in, in] (mixture)
  --ridge <x>           ridge λ ≥ 0 (default 0)
  --rcond <x>           eigenvalue cutoff of the minimum-norm solve (default 1e-10)
  --backend <name>      auto (default), native, js, cuda
  --float32             float32 products on the native backend
  --tol <x>             degree 2 under a mixture: solver's relative residual (default 1e-8)
  --max-iter <n>        degree 2 under a mixture: most solver iterations (default 500)

Output:
  --out <file>          the result (safetensors; required)
  --out-dtype <d>       F64 (default, exact) or F32
  --gamma <mode>        degree 2: auto (default: packed when it fits the memory budget),
                        packed, dense, none
  --no-net              do not store the network and input law (report then needs --weights)
  --quiet               no progress on stderr
  --verbose             stack traces with errors

Example:
  polyapprox fit mlp.safetensors --preset sequential --activation relu --degree 2 \\
    --input input.npz --out q.safetensors
`;

export const REPORT_HELP = `Usage: polyapprox report <result.safetensors> [options]

Prints what a fit written by 'polyapprox fit' explains:
  - variance explained by degree: per output, Var f of the layer and the variance of each Hermite
    degree's term of its approximant, as fractions of Var f, and the FVU (analytic, no sampling;
    MLPs under a single Gaussian input);
  - interaction eigenpairs (degree-2 fits): the top-k eigenvalues of each output's quadratic form
    G_o (y_o = alpha_o + x.beta_o + x'G_o x) by |λ|, with their eigenvectors.

The network and input law come from the result file ('fit' stores them unless --no-net); give
them with --weights and the layer options of 'fit' when the file lacks them, or to override.

Options:
  --top <k>             eigenpairs per output (default 5; 0 for none)
  --outputs <list>      outputs to report, e.g. 0,2,5-7 (default: all, or the first 16)
  --max-degree <n>      variance explained up to degree n, 1..8 (default: the fit's degree)
  --json                one JSON object on stdout instead of text
  --weights <file>      the network (with --preset / --w1 … / --activation as for fit)
  --input <law>         the input law (standard or a file, as for fit)
  --backend <name>      auto (default), native, js, cuda
  --verbose             stack traces with errors
`;

const LAYER_OPTIONS = {
  preset: { type: 'string' },
  layer: { type: 'string' },
  prefix: { type: 'string' },
  w1: { type: 'string' },
  b1: { type: 'string' },
  w2: { type: 'string' },
  b2: { type: 'string' },
  w: { type: 'string' },
  v: { type: 'string' },
  glu: { type: 'boolean' },
  conv1d: { type: 'boolean' },
  activation: { type: 'string' },
  threshold: { type: 'string' },
  slope: { type: 'string' },
} as const;

const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  backend: { type: 'string' },
  input: { type: 'string' },
} as const;

const FIT_OPTIONS = {
  ...COMMON_OPTIONS,
  ...LAYER_OPTIONS,
  degree: { type: 'string' },
  ridge: { type: 'string' },
  rcond: { type: 'string' },
  float32: { type: 'boolean' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  out: { type: 'string', short: 'o' },
  'out-dtype': { type: 'string' },
  gamma: { type: 'string' },
  'no-net': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

const REPORT_OPTIONS = {
  ...COMMON_OPTIONS,
  ...LAYER_OPTIONS,
  weights: { type: 'string' },
  top: { type: 'string' },
  outputs: { type: 'string' },
  'max-degree': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = Record<string, string | boolean | undefined>;

function parse(command: string, args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    // parseArgs: "Unknown option '--x'. To specify a positional argument starting with a '-' …"
    // (the advice after the first sentence is about '--' and misleads here); other messages whole.
    const err = e as Error & { code?: string };
    const text = String(err.message).replace(/\s*\n\s*/g, ' ');
    throw new UsageError(err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? text.split('. ')[0] : text, command);
  }
}

function str(v: Values, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}

function num(v: Values, key: string, what: string, ok: (x: number) => boolean): number | undefined {
  const s = str(v, key);
  if (s === undefined) return undefined;
  const x = s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(x) || !ok(x)) throw invalidArgument(`--${key}`, what, s);
  return x;
}

function int(v: Values, key: string, lo: number, hi: number): number | undefined {
  return num(v, key, `an integer in ${lo}..${hi}`, (x) => Number.isInteger(x) && x >= lo && x <= hi);
}

function backendOption(v: Values): 'auto' | 'native' | 'js' | 'cuda' {
  const b = str(v, 'backend') ?? 'auto';
  if (!['auto', 'native', 'js', 'cuda'].includes(b)) throw invalidArgument('--backend', 'one of auto, native, js, cuda', b);
  return b as 'auto' | 'native' | 'js' | 'cuda';
}

function readFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E') && code !== 'ERR_POLYAPPROX_INVALID_ARGUMENT') {
      throw new InputFileError(`cannot read ${file}: ${(e as Error).message}`);
    }
    throw e;
  }
}

function activationOption(v: Values): ActivationSpec | undefined {
  const name = str(v, 'activation');
  if (name === undefined) {
    if (v.threshold !== undefined || v.slope !== undefined) throw invalidArgument('--activation', 'given with --threshold / --slope', undefined);
    return undefined;
  }
  const threshold = num(v, 'threshold', 'a finite number', () => true);
  const slope = num(v, 'slope', 'a finite number', () => true);
  if (threshold === undefined && slope === undefined) return name as ActivationSpec;
  return { name, threshold, slope } as ActivationSpec;
}

/** Turns the layer options into a loaded layer. */
function loadLayerFromOptions(file: string, v: Values, command: string): LoadedLayer {
  const preset = str(v, 'preset');
  const activation = activationOption(v);
  const named = ['w1', 'b1', 'w2', 'b2', 'w', 'v'].filter((k) => v[k] !== undefined);
  if (preset !== undefined && named.length > 0) {
    throw new UsageError(`--preset and tensor names (--${named.join(', --')}) exclude each other`, command);
  }
  if (preset !== undefined) {
    if (!(PRESETS as readonly string[]).includes(preset)) throw invalidArgument('--preset', `one of ${PRESETS.join(', ')}`, preset);
    if (v.glu || v.conv1d) throw new UsageError('--glu and --conv1d go with tensor names, not with --preset', command);
    if (preset === 'sequential' && activation === undefined) {
      throw new UsageError("--preset sequential needs --activation (nn.Sequential's state dict does not record it)", command);
    }
    const set = readFile(file, () => readTensorFile(file));
    const layer = int(v, 'layer', 0, 1e9);
    return loadPreset(set, preset as PresetName, { layer, prefix: str(v, 'prefix'), activation });
  }
  if (v.layer !== undefined || v.prefix !== undefined) throw new UsageError('--layer and --prefix go with --preset', command);
  if (named.length === 0) throw new UsageError('say which layer to load: --preset <name>, or --w1/--w2 (GLU: --glu --w/--v) tensor names', command);
  if (activation === undefined) throw new UsageError('--activation is required with tensor names', command);
  const set = readFile(file, () => readTensorFile(file));
  const layout = v.conv1d ? 'conv1d' : 'linear';
  if (v.glu) {
    if (v.w !== undefined && v.w1 !== undefined) throw new UsageError('give the GLU gate once: --w or --w1', command);
    const w = str(v, 'w') ?? str(v, 'w1');
    if (w === undefined || v.v === undefined) throw new UsageError('a GLU needs --w (gate) and --v (value) tensor names', command);
    const names: GluNames = { w, v: str(v, 'v')!, b1: str(v, 'b1'), b2: str(v, 'b2'), w2: str(v, 'w2'), activation, layout };
    return loadLayer(set, { kind: 'glu', names });
  }
  if (v.w !== undefined || v.v !== undefined) throw new UsageError('--w and --v name GLU weights: add --glu', command);
  if (v.w1 === undefined || v.w2 === undefined) throw new UsageError('an MLP needs --w1 and --w2 tensor names', command);
  const names: MlpNames = { w1: str(v, 'w1')!, b1: str(v, 'b1'), w2: str(v, 'w2')!, b2: str(v, 'b2'), activation, layout };
  return loadLayer(set, { kind: 'mlp', names });
}

function inputOption(v: Values): InputSpec {
  const s = str(v, 'input');
  if (s === undefined || s === 'standard') return { type: 'standard' };
  return loadInput(readFile(s, () => readTensorFile(s)));
}

function shapeOf(layer: LoadedLayer): { in: number; hidden: number; out: number } {
  if (layer.kind === 'mlp') return { in: layer.net.W1.shape[1], hidden: layer.net.W1.shape[0], out: layer.net.W2.shape[0] };
  const [hidden, n] = layer.net.W.shape;
  return { in: n, hidden, out: layer.net.W2 ? layer.net.W2.shape[0] : hidden };
}

function actText(a: ActivationSpec): string {
  return typeof a === 'string' ? a : JSON.stringify(a);
}

function seconds(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(2)} s`;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

async function runFit(args: string[], io: CliStreams): Promise<number> {
  const { values: v, positionals } = parse('fit', args, FIT_OPTIONS);
  if (v.help) {
    io.stdout(FIT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <weights> file' : `one <weights> file expected, got ${positionals.length}: ${positionals.join(' ')}`, 'fit');
  const out = str(v, 'out');
  if (out === undefined) throw new UsageError('missing --out <result.safetensors>', 'fit');
  const file = positionals[0];
  const log = v.quiet ? () => {} : (line: string) => io.stderr(`polyapprox: ${line}\n`);
  const degree = int(v, 'degree', 1, 8) ?? 1;
  const outDtype = str(v, 'out-dtype') ?? 'F64';
  if (outDtype !== 'F64' && outDtype !== 'F32') throw invalidArgument('--out-dtype', 'F64 or F32', outDtype);
  const gamma = str(v, 'gamma') ?? 'auto';
  if (!['auto', 'packed', 'dense', 'none'].includes(gamma)) throw invalidArgument('--gamma', 'one of auto, packed, dense, none', gamma);
  const backend = backendOption(v);

  let t0 = performance.now();
  const layer = loadLayerFromOptions(file, v, 'fit');
  const dims = shapeOf(layer);
  const names = Object.entries(layer.names)
    .filter(([k, x]) => typeof x === 'string' && !['activation', 'layout'].includes(k))
    .map(([, x]) => x)
    .join(', ');
  log(`read ${layer.kind.toUpperCase()} ${dims.in} → ${dims.hidden} → ${dims.out} (${actText(layer.net.act)}) from ${file}: ${names} (${seconds(t0)})`);
  const input = inputOption(v);

  const opts: FitOptionsSpec = {
    degree,
    input,
    backend,
    ridge: num(v, 'ridge', 'a number ≥ 0', (x) => x >= 0),
    rcond: num(v, 'rcond', 'a number ≥ 0', (x) => x >= 0),
    dtype: v.float32 ? 'float32' : 'float64',
    tol: num(v, 'tol', 'a number in (0, 1)', (x) => x > 0 && x < 1),
    maxIter: int(v, 'max-iter', 1, 1e9),
  };
  let lastProgress = -Infinity;
  opts.onProgress = ({ iter, residual }) => {
    const now = performance.now();
    if (now - lastProgress < 250) return;
    lastProgress = now;
    log(`  block CR iteration ${iter}, relative residual ${residual.toExponential(2)}`);
  };
  log(`fitting degree ${degree} under ${input.type === 'standard' ? 'a standard normal' : `a ${input.type}`} input (backend ${backend})…`);
  t0 = performance.now();
  const fit: Approximant = layer.kind === 'mlp' ? await olsAsync(layer.net, opts) : await gluOlsAsync(layer.net, opts);
  const s = fit.solve;
  const solveText = s.method === 'mixture-cg' ? `${s.method}, ${s.iterations} iterations, residual ${s.residual?.toExponential(2)}${s.converged ? '' : ' (NOT converged)'}` : `${s.method}, rank ${s.rank}`;
  log(`fit done on ${fit.backend} in ${seconds(t0)} (solve: ${solveText})`);

  t0 = performance.now();
  const keep = !v['no-net'];
  const bytes = writeApproximant(fit, {
    dtype: outDtype,
    gamma: gamma as 'auto',
    net: keep ? layer.net : undefined,
    input: keep ? input : undefined,
    metadata: { source: path.basename(file), layer_names: JSON.stringify(layer.names) },
  });
  // Write beside the target, then rename: a failed run leaves no half-written result.
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot write ${out}: ${(e as Error).message.replace(tmp, out)}`);
  }
  log(`wrote ${out} (${bytesText(bytes.length)}) in ${seconds(t0)}`);
  return 0;
}

function parseOutputs(spec: string | undefined, out: number): number[] {
  if (spec === undefined) return Array.from({ length: Math.min(out, 16) }, (_, i) => i);
  const list: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo > hi || hi >= out) throw invalidArgument('--outputs', `a list of outputs in 0..${out - 1} such as 0,2,5-7`, spec);
    for (let o = lo; o <= hi; o++) if (!list.includes(o)) list.push(o);
  }
  return list;
}

function isMlp(net: MlpSpec | GluSpec): net is MlpSpec {
  return 'W1' in net;
}

function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(4) : x.toExponential(3);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

interface VarianceReport {
  available: boolean;
  reason?: string;
  maxDegree?: number;
  varF?: number[];
  varQ?: number[];
  fvu?: number[];
  /** byDegree[k − 1][o] */
  byDegree?: number[][];
  total?: { varF: number; byDegree: number[]; fvu: number };
}

interface EigenReport {
  output: number;
  values: number[];
  vectors: number[][];
  method: string;
  converged: boolean;
}

async function runReport(args: string[], io: CliStreams): Promise<number> {
  const { values: v, positionals } = parse('report', args, REPORT_OPTIONS);
  if (v.help) {
    io.stdout(REPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <result.safetensors> file' : `one result file expected, got ${positionals.length}`, 'report');
  const file = positionals[0];
  const backend = backendOption(v);
  const top = int(v, 'top', 0, 1e6) ?? 5;
  const result = readApproximant(readFile(file, () => readTensorFile(file)), { backend });
  const fit = result.fit;
  if (v.weights === undefined && ['preset', ...Object.keys(LAYER_OPTIONS).filter((k) => k !== 'preset')].some((k) => v[k] !== undefined)) {
    throw new UsageError('layer options need --weights <file>', 'report');
  }
  let net = result.net;
  let kind = result.kind;
  if (v.weights !== undefined) {
    const w = str(v, 'weights')!;
    const layer = loadLayerFromOptions(w, v, 'report');
    const dims = shapeOf(layer);
    if (dims.in !== fit.in || dims.out !== fit.out) {
      throw argumentError('--weights', `hold the fitted layer ([in, out] = [${fit.in}, ${fit.out}])`, `a layer with [in, out] = [${dims.in}, ${dims.out}]`, RangeError);
    }
    net = layer.net;
    kind = layer.kind;
  }
  const input = v.input !== undefined ? inputOption(v) : result.input;
  const maxDegree = int(v, 'max-degree', 1, 8) ?? Math.min(fit.degree, 8);
  const outputs = parseOutputs(str(v, 'outputs'), fit.out);

  // Variance explained by degree: analytic for MLPs under a single Gaussian.
  let variance: VarianceReport;
  if (!net) variance = { available: false, reason: 'the result does not store the network (written with --no-net): give --weights and the layer options' };
  else if (!isMlp(net)) variance = { available: false, reason: 'the analytic variance is implemented for MLPs, not GLUs' };
  else if (!input) variance = { available: false, reason: 'the result does not store the input law: give --input' };
  else if (input.type === 'mixture') variance = { available: false, reason: 'the analytic variance needs a single Gaussian input, not a mixture' };
  else {
    const r = await varianceExplainedAsync(net, maxDegree, input, { backend });
    const out = fit.out;
    const byDegree = Array.from({ length: maxDegree }, (_, k) => Array.from(r.byDegree.subarray(k * out, (k + 1) * out)));
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);
    const totalF = sum(r.varF);
    variance = {
      available: true,
      maxDegree,
      varF: Array.from(r.varF),
      varQ: Array.from(r.varQ),
      fvu: Array.from(r.fvu),
      byDegree,
      total: { varF: totalF, byDegree: byDegree.map(sum), fvu: totalF > 0 ? 1 - sum(r.varQ) / totalF : 0 },
    };
  }

  // Interaction eigenpairs of each reported output's G_o.
  const eigen: EigenReport[] = [];
  let eigenNote: string | null = null;
  if (top > 0 && fit instanceof QuadraticApproximant) {
    const k = Math.min(top, fit.in);
    for (const o of outputs) {
      const e = await interactionEigenAsync(fit, o, { k });
      const vectors = Array.from({ length: k }, (_, j) => Array.from(e.vectors.data.subarray(j * fit.in, (j + 1) * fit.in)));
      eigen.push({ output: o, values: Array.from(e.values), vectors, method: e.method, converged: e.converged });
    }
  } else if (top > 0) eigenNote = `interaction eigenpairs are for degree-2 fits; this one has degree ${fit.degree}`;

  const md = result.metadata;
  if (v.json) {
    const report = {
      file,
      degree: fit.degree,
      kind,
      in: fit.in,
      hidden: md.hidden !== undefined ? Number(md.hidden) : null,
      out: fit.out,
      activation: md.activation ?? (net ? actText(net.act) : null),
      input: input?.type ?? md.input,
      backend: md.backend,
      solve: result.solve,
      outputs,
      variance,
      eigen,
    };
    io.stdout(JSON.stringify(report) + '\n');
    return 0;
  }

  const lines: string[] = [];
  const act = md.activation ?? (net ? actText(net.act) : '?');
  const hidden = md.hidden ?? '?';
  lines.push(`${file}: degree ${fit.degree} approximant of ${kind ? `a${kind === 'mlp' ? 'n MLP' : ' GLU'}` : 'a layer'} ${fit.in} → ${hidden} → ${fit.out} (${act}), ${md.input} input, fitted on ${md.backend}`);
  const s = result.solve;
  lines.push(`solve: ${s.method}${s.method === 'mixture-cg' ? `, ${s.iterations} iterations, residual ${Number(s.residual).toExponential(2)}` : `, rank ${s.rank}`}${s.ridge > 0 ? `, ridge ${s.ridge}` : ''}`);
  lines.push('');
  if (variance.available) {
    lines.push(`Variance explained by degree (analytic; shares of Var f; ${input!.type} input):`);
    const head = ['output', 'Var f', ...Array.from({ length: maxDegree }, (_, k) => `deg ${k + 1}`), `total`, 'FVU'];
    const rows: string[][] = [head];
    for (const o of outputs) {
      const f = variance.varF![o];
      const share = (x: number) => (f > 0 ? pct(x / f) : '-');
      rows.push([String(o), fmt(f), ...variance.byDegree!.map((d) => share(d[o])), share(variance.varQ![o]), fmt(variance.fvu![o])]);
    }
    const t = variance.total!;
    const tshare = (x: number) => (t.varF > 0 ? pct(x / t.varF) : '-');
    rows.push(['all', fmt(t.varF), ...t.byDegree.map(tshare), tshare(t.byDegree.reduce((a, b) => a + b, 0)), fmt(t.fvu)]);
    const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) lines.push('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  } else {
    lines.push(`Variance explained: not available (${variance.reason}).`);
  }
  if (outputs.length < fit.out && str(v, 'outputs') === undefined) lines.push(`  (outputs 0..${outputs.length - 1} of ${fit.out}; --outputs to choose)`);
  lines.push('');
  if (eigen.length > 0) {
    lines.push(`Interaction eigenpairs (top ${eigen[0].values.length} of G_o by |λ|; eigenvectors by their largest components):`);
    for (const e of eigen) {
      lines.push(`  output ${e.output}${e.converged ? '' : ' (Lanczos did not converge)'}:`);
      e.values.forEach((lam, j) => {
        const vec = e.vectors[j];
        const order = vec.map((x, i) => [Math.abs(x), i] as const).sort((a, b) => b[0] - a[0]);
        const shown = order.slice(0, Math.min(6, vec.length)).map(([, i]) => `x${i} ${vec[i] >= 0 ? '+' : ''}${vec[i].toFixed(3)}`);
        lines.push(`    λ${j + 1} = ${fmt(lam).padStart(10)}   ${shown.join('  ')}${vec.length > shown.length ? '  …' : ''}`);
      });
    }
  } else if (eigenNote) lines.push(`Interaction eigenpairs: ${eigenNote}.`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

function errorLine(e: unknown, verbose: boolean): string {
  const err = e as Error;
  if (verbose && err?.stack) return err.stack;
  const msg = err instanceof Error ? err.message : String(e);
  return msg.split('\n')[0];
}

/**
 * Runs the command line.
 * @param argv the arguments after the program name (`process.argv.slice(2)`).
 * @param io where to write (default: process.stdout / process.stderr).
 * @returns the exit code: 0 ok, 1 runtime failure, 2 usage error or bad file.
 * @throws never: every failure becomes one line on stderr and an exit code.
 * @example
 * // bin/polyapprox.js
 * require('../dist/cli.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
 */
export async function main(argv: string[], io: CliStreams = PROCESS_STREAMS): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      io.stderr(MAIN_HELP);
      return 2;
    }
    if (command === '-h' || command === '--help') {
      io.stdout(MAIN_HELP);
      return 0;
    }
    if (command === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout(MAIN_HELP);
      else if (topic === 'fit') io.stdout(FIT_HELP);
      else if (topic === 'report') io.stdout(REPORT_HELP);
      else throw new UsageError(`unknown command '${topic}'`, '');
      return 0;
    }
    if (command === '-V' || command === '--version') {
      io.stdout(`polyapprox ${version()}\n`);
      return 0;
    }
    if (command === 'fit') return await runFit(rest, io);
    if (command === 'report') return await runReport(rest, io);
    throw new UsageError(command.startsWith('-') ? `unknown option '${command}' (a command comes first)` : `unknown command '${command}'`, '');
  } catch (e) {
    const line = errorLine(e, verbose);
    if (e instanceof UsageError) {
      io.stderr(`polyapprox: ${line}\n${`Run 'polyapprox ${e.helpFor ? e.helpFor + ' ' : ''}--help' for usage.`}\n`);
      return 2;
    }
    io.stderr(`polyapprox: ${line}\n`);
    if (e instanceof InputFileError) return 2;
    return (e as { code?: unknown })?.code === 'ERR_POLYAPPROX_INVALID_ARGUMENT' ? 2 : 1;
  }
}
