/**
 * From named tensors to the layer specs the fits take: `loadMlp` / `loadGlu` by explicit names,
 * `loadPreset` for the common PyTorch layouts, `loadInput` for an input law stored as tensors.
 *
 * Orientation: MlpSpec and GluSpec use torch.nn.Linear's `weight [out_features, in_features]`
 * (W1 [hidden, in], W2 [out, hidden]), so nn.Linear weights are used as stored; transformers'
 * Conv1D (GPT-2) stores `weight [in_features, out_features]` and is transposed on load
 * (`layout: 'conv1d'`).
 */
import { ActivationSpec, parseActivation } from '../activation';
import { argumentError, invalidArgument } from '../errors';
import type { GluSpec, InputSpec, MlpSpec } from '../validate';
import { expectShape, F64Tensor, shapeText, toTensor } from '../tensor';
import { missingTensor, TensorSet } from './tensors';

/** Tensors to load from: a {@link TensorSet} (from a reader), an object or a Map of `{ data, shape }`. */
export type TensorSource = TensorSet | Map<string, unknown> | Record<string, unknown>;

/** Weight orientation: 'linear' (nn.Linear, [out, in], the default) or 'conv1d' (GPT-2's Conv1D, [in, out]). */
export type WeightLayout = 'linear' | 'conv1d';

/** Tensor names of an MLP f(x) = W2 φ(W1 x + b1) + b2. */
export interface MlpNames {
  /** First layer weight: [hidden, in] (layout 'linear') or [in, hidden] ('conv1d'). */
  w1: string;
  /** First layer bias [hidden] (optional). */
  b1?: string | null;
  /** Second layer weight: [out, hidden] ('linear') or [hidden, out] ('conv1d'). */
  w2: string;
  /** Second layer bias [out] (optional). */
  b2?: string | null;
  /** The activation φ: a name ('relu', 'gelu', 'silu'…) or `{ name, threshold | slope }`. */
  activation: ActivationSpec;
  /** Weight orientation (default 'linear'). */
  layout?: WeightLayout;
}

/**
 * Tensor names of a GLU f(x) = W2 (φ(W x + b1) ⊙ (V x + b2)). The activation applies to the
 * gate W (LLaMA's gate_proj), not to the value V (up_proj).
 */
export interface GluNames {
  /** Gate weight W (activated): [hidden, in] ('linear') or [in, hidden] ('conv1d'). */
  w: string;
  /** Value weight V: same shape as W. */
  v: string;
  /** Gate bias [hidden] (optional). */
  b1?: string | null;
  /** Value bias [hidden] (optional). */
  b2?: string | null;
  /** Output projection W2: [out, hidden] ('linear') or [hidden, out] ('conv1d'); optional. */
  w2?: string | null;
  /** The activation φ of the gate. */
  activation: ActivationSpec;
  /** Weight orientation (default 'linear'). */
  layout?: WeightLayout;
}

/** A float64 tensor loaded from a file. */
export interface LoadedTensor {
  /** Row-major float64 values. */
  data: Float64Array;
  /** Dimensions. */
  shape: number[];
}

/** An MLP as {@link ols} takes it, with the tensors loaded. */
export interface LoadedMlp extends MlpSpec {
  /** [hidden, in] */
  W1: LoadedTensor;
  /** [hidden], or null when the layer has no bias. */
  b1: LoadedTensor | null;
  /** [out, hidden] */
  W2: LoadedTensor;
  /** [out], or null. */
  b2: LoadedTensor | null;
  /** The activation, as given. */
  act: ActivationSpec;
}

/** A GLU as {@link gluOls} takes it, with the tensors loaded. */
export interface LoadedGlu extends GluSpec {
  /** Gate weight [hidden, in] (activated). */
  W: LoadedTensor;
  /** Value weight [hidden, in]. */
  V: LoadedTensor;
  /** Gate bias [hidden], or null. */
  b1: LoadedTensor | null;
  /** Value bias [hidden], or null. */
  b2: LoadedTensor | null;
  /** Output projection [out, hidden], or null (the outputs are the hidden units). */
  W2: LoadedTensor | null;
  /** The gate's activation, as given. */
  act: ActivationSpec;
}

interface Lookup {
  source: string;
  names: string[];
  has(name: string): boolean;
  get(name: string, role: string): F64Tensor;
}

function lookup(tensors: unknown): Lookup {
  if (tensors instanceof TensorSet) {
    return {
      source: tensors.source,
      names: tensors.names,
      has: (n) => tensors.has(n),
      get: (n, role) => {
        const t = tensors.get(n, role);
        return { data: t.data, shape: t.shape };
      },
    };
  }
  let map: Map<string, unknown>;
  if (tensors instanceof Map) map = tensors as Map<string, unknown>;
  else if (tensors !== null && typeof tensors === 'object' && !Array.isArray(tensors)) map = new Map(Object.entries(tensors));
  else throw invalidArgument('tensors', 'a TensorSet, an object or a Map of tensors', tensors, TypeError);
  const names = [...map.keys()];
  return {
    source: 'tensors',
    names,
    has: (n) => map.has(n),
    get: (n, role) => {
      if (!map.has(n)) throw missingTensor(role, n, 'tensors', names);
      return toTensor(map.get(n), `tensors[${JSON.stringify(n)}]`);
    },
  };
}

function requireName(v: unknown, role: string): string {
  if (typeof v !== 'string' || v === '') throw invalidArgument(`names.${role}`, 'a tensor name (a non-empty string)', v, TypeError);
  return v;
}

function optionalName(v: unknown, role: string): string | null {
  return v === undefined || v === null ? null : requireName(v, role);
}

function parseLayout(v: unknown): WeightLayout {
  if (v === undefined || v === 'linear' || v === 'conv1d') return v ?? 'linear';
  throw invalidArgument('names.layout', "'linear' or 'conv1d'", v, typeof v === 'string' ? RangeError : TypeError);
}

function transpose(t: F64Tensor): LoadedTensor {
  const [r, c] = t.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { data: out, shape: [c, r] };
}

/** Loads a weight matrix as [rows, cols] in nn.Linear orientation, checking the stored shape. */
function loadWeight(lk: Lookup, name: string, role: string, layout: WeightLayout, rows: [string, number | null], cols: [string, number | null]): LoadedTensor {
  const t = lk.get(name, role);
  const label = `${lk.source}[${JSON.stringify(name)}] (${role})`;
  if (layout === 'conv1d') {
    expectShape(t, label, [cols[0], rows[0]], [cols[1], rows[1]]);
    return transpose(t);
  }
  expectShape(t, label, [rows[0], cols[0]], [rows[1], cols[1]]);
  return { data: t.data, shape: t.shape };
}

function loadBias(lk: Lookup, name: string | null, role: string, label: string, size: number): LoadedTensor | null {
  if (name === null) return null;
  const t = lk.get(name, role);
  expectShape(t, `${lk.source}[${JSON.stringify(name)}] (${role})`, [label], [size]);
  return { data: t.data, shape: t.shape };
}

function namesObject(names: unknown): Record<string, unknown> {
  if (names === null || typeof names !== 'object' || Array.isArray(names)) throw invalidArgument('names', 'an object of tensor names', names, TypeError);
  return names as Record<string, unknown>;
}

/**
 * Builds an MLP spec from named tensors (PyTorch nn.Linear orientation by default).
 * @param tensors a {@link TensorSet} from a reader, or an object / Map of `{ data, shape }`.
 * @param names `{ w1, b1?, w2, b2?, activation, layout? }`.
 * @returns `{ W1 [hidden, in], b1, W2 [out, hidden], b2, act }` for {@link ols}.
 * @throws RangeError `invalid argument: w1 must name a tensor of FILE, got "…" (no such tensor;
 *   close names: …)`, or naming a tensor of the wrong shape; TypeError / RangeError for a bad
 *   activation or layout.
 * @example
 * const set = pa.io.readTensorFile('mlp.safetensors');   // torch.save_file(nn.Sequential(...).state_dict())
 * const net = pa.io.loadMlp(set, { w1: '0.weight', b1: '0.bias', w2: '2.weight', b2: '2.bias', activation: 'relu' });
 * const fit = pa.ols(net, { degree: 2 });
 */
export function loadMlp(tensors: TensorSource, names: MlpNames): LoadedMlp {
  const n = namesObject(names);
  const act = n.activation as ActivationSpec;
  parseActivation(act, 'names.activation');
  const layout = parseLayout(n.layout);
  const lk = lookup(tensors);
  const w1 = requireName(n.w1, 'w1');
  const w2 = requireName(n.w2, 'w2');
  const b1 = optionalName(n.b1, 'b1');
  const b2 = optionalName(n.b2, 'b2');
  const W1 = loadWeight(lk, w1, 'w1', layout, ['hidden', null], ['in', null]);
  const hidden = W1.shape[0];
  const W2 = loadWeight(lk, w2, 'w2', layout, ['out', null], ['hidden', hidden]);
  return { W1, b1: loadBias(lk, b1, 'b1', 'hidden', hidden), W2, b2: loadBias(lk, b2, 'b2', 'out', W2.shape[0]), act };
}

/**
 * Builds a GLU spec from named tensors; the activation applies to the gate `w`.
 * @param tensors a {@link TensorSet} or an object / Map of `{ data, shape }`.
 * @param names `{ w, v, b1?, b2?, w2?, activation, layout? }` (LLaMA: w = gate_proj, v = up_proj,
 *   w2 = down_proj, activation 'silu').
 * @returns `{ W [hidden, in], V [hidden, in], b1, b2, W2 [out, hidden] | null, act }` for {@link gluOls}.
 * @throws as {@link loadMlp}.
 * @example
 * const p = 'model.layers.0.mlp.';
 * const glu = pa.io.loadGlu(set, { w: p + 'gate_proj.weight', v: p + 'up_proj.weight', w2: p + 'down_proj.weight', activation: 'silu' });
 */
export function loadGlu(tensors: TensorSource, names: GluNames): LoadedGlu {
  const n = namesObject(names);
  const act = n.activation as ActivationSpec;
  parseActivation(act, 'names.activation');
  const layout = parseLayout(n.layout);
  const lk = lookup(tensors);
  const w = requireName(n.w, 'w');
  const v = requireName(n.v, 'v');
  const w2 = optionalName(n.w2, 'w2');
  const W = loadWeight(lk, w, 'w', layout, ['hidden', null], ['in', null]);
  const [hidden, inDim] = W.shape;
  const V = loadWeight(lk, v, 'v', layout, ['hidden', hidden], ['in', inDim]);
  const W2 = w2 === null ? null : loadWeight(lk, w2, 'w2', layout, ['out', null], ['hidden', hidden]);
  return {
    W,
    V,
    b1: loadBias(lk, optionalName(n.b1, 'b1'), 'b1', 'hidden', hidden),
    b2: loadBias(lk, optionalName(n.b2, 'b2'), 'b2', 'hidden', hidden),
    W2,
    act,
  };
}

/** The layouts {@link loadPreset} knows. */
export type PresetName = 'sequential' | 'gpt2' | 'llama';

/** The preset names, in documentation order. */
export const PRESETS: readonly PresetName[] = ['sequential', 'gpt2', 'llama'];

/** Options of {@link presetNames} and {@link loadPreset}. */
export interface PresetOptions {
  /** Transformer block index (gpt2, llama; default 0). */
  layer?: number;
  /**
   * Prepended to every name (e.g. 'transformer.' for GPT2LMHeadModel, 'mlp.' for a Sequential
   * inside a module; a missing final '.' is added). Default: the preset's usual prefix ('model.' for llama, '' otherwise);
   * when its tensors are absent, loadPreset looks for the one prefix under which they all exist.
   */
  prefix?: string;
  /**
   * The activation: required for 'sequential' (the state dict does not record it); 'gpt2'
   * defaults to 'gelu' (exact erf form; GPT-2's tanh approximation differs by < 5e-4),
   * 'llama' to 'silu'.
   */
  activation?: ActivationSpec;
}

/** Which kind of layer and the tensor names to load it from. */
export type LayerNames =
  | {
      /** An MLP. */
      kind: 'mlp';
      /** Its tensor names. */
      names: MlpNames;
    }
  | {
      /** A GLU. */
      kind: 'glu';
      /** Its tensor names. */
      names: GluNames;
    };

/** A loaded layer: its kind, the spec for ols / gluOls, and the names it came from. */
export type LoadedLayer =
  | {
      /** An MLP: fit it with {@link ols}. */
      kind: 'mlp';
      /** The spec {@link ols} takes. */
      net: LoadedMlp;
      /** The tensor names it was loaded from. */
      names: MlpNames;
    }
  | {
      /** A GLU: fit it with {@link gluOls}. */
      kind: 'glu';
      /** The spec {@link gluOls} takes. */
      net: LoadedGlu;
      /** The tensor names it was loaded from. */
      names: GluNames;
    };

function presetDefaults(preset: PresetName): { prefix: string; activation: ActivationSpec | undefined } {
  if (preset === 'gpt2') return { prefix: '', activation: 'gelu' };
  if (preset === 'llama') return { prefix: 'model.', activation: 'silu' };
  return { prefix: '', activation: undefined };
}

function parsePreset(preset: unknown): PresetName {
  if (typeof preset !== 'string' || !(PRESETS as readonly string[]).includes(preset)) {
    throw invalidArgument('preset', `one of ${PRESETS.join(', ')}`, preset, typeof preset === 'string' ? RangeError : TypeError);
  }
  return preset as PresetName;
}

function parsePresetOptions(preset: PresetName, opts: unknown): { layer: number; prefix: string | undefined; activation: ActivationSpec } {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw invalidArgument('options', 'an object', opts, TypeError);
  const o = opts as PresetOptions;
  const layer = o.layer ?? 0;
  if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0) throw invalidArgument('options.layer', 'an integer ≥ 0', layer, typeof layer === 'number' ? RangeError : TypeError);
  if (o.prefix !== undefined && typeof o.prefix !== 'string') throw invalidArgument('options.prefix', 'a string', o.prefix, TypeError);
  const activation = o.activation ?? presetDefaults(preset).activation;
  if (activation === undefined) {
    throw invalidArgument('options.activation', `given for preset ${preset} (nn.Sequential's state dict does not record its activation)`, undefined, TypeError);
  }
  parseActivation(activation, 'options.activation');
  return { layer, prefix: o.prefix, activation };
}

function namesUnder(preset: PresetName, prefix: string, layer: number, activation: ActivationSpec): LayerNames {
  const p = prefix === '' || prefix.endsWith('.') ? prefix : prefix + '.';
  if (preset === 'sequential') return { kind: 'mlp', names: { w1: `${p}0.weight`, b1: `${p}0.bias`, w2: `${p}2.weight`, b2: `${p}2.bias`, activation } };
  if (preset === 'gpt2') {
    const m = `${p}h.${layer}.mlp.`;
    return { kind: 'mlp', names: { w1: `${m}c_fc.weight`, b1: `${m}c_fc.bias`, w2: `${m}c_proj.weight`, b2: `${m}c_proj.bias`, activation, layout: 'conv1d' } };
  }
  const m = `${p}layers.${layer}.mlp.`;
  return { kind: 'glu', names: { w: `${m}gate_proj.weight`, v: `${m}up_proj.weight`, w2: `${m}down_proj.weight`, activation } };
}

/**
 * The tensor names of a common layout:
 * - `sequential`: `nn.Sequential(nn.Linear, act, nn.Linear)` → `0.weight`, `0.bias`, `2.weight`, `2.bias`;
 * - `gpt2`: Hugging Face GPT-2 → `h.{layer}.mlp.c_fc.{weight,bias}`, `h.{layer}.mlp.c_proj.{weight,bias}`
 *   (Conv1D orientation), activation gelu;
 * - `llama`: Hugging Face LLaMA (also Mistral, Qwen2) → `model.layers.{layer}.mlp.{gate,up,down}_proj.weight`,
 *   a GLU without biases, activation silu on gate_proj.
 * @param preset 'sequential' | 'gpt2' | 'llama'.
 * @param opts `{ layer = 0, prefix, activation }` (see {@link PresetOptions}).
 * @returns `{ kind: 'mlp' | 'glu', names }` for {@link loadMlp} / {@link loadGlu}.
 * @throws TypeError / RangeError for an unknown preset, a bad layer, or 'sequential' without an activation.
 * @example
 * pa.io.presetNames('gpt2', { layer: 3, prefix: 'transformer.' }).names.w1   // 'transformer.h.3.mlp.c_fc.weight'
 */
export function presetNames(preset: PresetName, opts: PresetOptions = {}): LayerNames {
  const name = parsePreset(preset);
  const o = parsePresetOptions(name, opts);
  return namesUnder(name, o.prefix ?? presetDefaults(name).prefix, o.layer, o.activation);
}

function requiredNames(l: LayerNames): string[] {
  const n = l.names as unknown as Record<string, unknown>;
  return ['w1', 'b1', 'w2', 'b2', 'w', 'v'].map((k) => n[k]).filter((v): v is string => typeof v === 'string');
}

/**
 * Loads a layer by its tensor names (explicit names or {@link presetNames}'s result).
 * @param tensors a {@link TensorSet} or an object / Map of tensors.
 * @param layer `{ kind: 'mlp', names }` or `{ kind: 'glu', names }`.
 * @returns `{ kind, net, names }`.
 * @throws as {@link loadMlp} / {@link loadGlu}.
 * @example
 * const { net } = pa.io.loadLayer(set, { kind: 'mlp', names: { w1: 'fc1.weight', w2: 'fc2.weight', activation: 'gelu' } });
 */
export function loadLayer(tensors: TensorSource, layer: LayerNames): LoadedLayer {
  if (layer === null || typeof layer !== 'object') throw invalidArgument('layer', '{ kind, names }', layer, TypeError);
  if (layer.kind === 'mlp') return { kind: 'mlp', net: loadMlp(tensors, layer.names), names: layer.names };
  if (layer.kind === 'glu') return { kind: 'glu', net: loadGlu(tensors, layer.names), names: layer.names };
  throw invalidArgument('layer.kind', "'mlp' or 'glu'", (layer as { kind: unknown }).kind);
}

/**
 * Loads a layer of a common layout ({@link presetNames}). Without an explicit `prefix`, when the
 * preset's names are absent it looks for the single prefix under which all of them exist
 * (e.g. 'transformer.' in a GPT2LMHeadModel checkpoint, 'model.mlp.' for a Sequential inside a module).
 * @param tensors a {@link TensorSet} or an object / Map of tensors.
 * @param preset 'sequential' | 'gpt2' | 'llama'.
 * @param opts `{ layer = 0, prefix, activation }`.
 * @returns `{ kind, net, names }`: `net` goes to {@link ols} (kind 'mlp') or {@link gluOls} ('glu').
 * @throws RangeError naming the missing tensor with close names, or listing the prefixes when
 *   several fit; the errors of {@link loadMlp} / {@link loadGlu}.
 * @example
 * const { kind, net } = pa.io.loadPreset(pa.io.readTensorFile('model.safetensors'), 'llama', { layer: 2 });
 * const q = pa.gluOls(net, { degree: 2 });
 */
export function loadPreset(tensors: TensorSource, preset: PresetName, opts: PresetOptions = {}): LoadedLayer {
  const name = parsePreset(preset);
  const o = parsePresetOptions(name, opts);
  const lk = lookup(tensors);
  let layer = namesUnder(name, o.prefix ?? presetDefaults(name).prefix, o.layer, o.activation);
  if (o.prefix === undefined && !requiredNames(layer).every((n) => lk.has(n))) {
    // Find every prefix P under which all of the preset's tensors exist.
    const bare = namesUnder(name, '', o.layer, o.activation);
    const need = requiredNames(bare);
    const prefixes = lk.names.filter((n) => n.endsWith(need[0])).map((n) => n.slice(0, n.length - need[0].length));
    const fits = prefixes.filter((p) => (p === '' || p.endsWith('.')) && need.every((n) => lk.has(p + n)));
    if (fits.length === 1) layer = namesUnder(name, fits[0], o.layer, o.activation);
    else if (fits.length > 1) {
      throw argumentError('options.prefix', `pick one of the layers matching preset ${name}`, `undefined (candidates: ${fits.map((p) => JSON.stringify(p)).join(', ')})`, RangeError);
    }
  }
  return loadLayer(tensors, layer);
}

function optionalInputTensor(lk: Lookup, name: string): F64Tensor | null {
  return lk.has(name) ? lk.get(name, name) : null;
}

/**
 * Reads an input law stored as tensors: `means` [K, in] (with optional `weights` [K], `covs`
 * [K, in, in]) is a mixture; otherwise `mean` [in] and/or `cov` [in, in] a Gaussian.
 * @param tensors a {@link TensorSet} or an object / Map of tensors.
 * @returns the {@link InputSpec} (checked in full by the fit).
 * @throws RangeError when none of mean, cov, means is present, or both a Gaussian's and a
 *   mixture's tensors are.
 * @example
 * const input = pa.io.loadInput(pa.io.readTensorFile('input.npz'));   // numpy.savez('input.npz', mean=mu, cov=S)
 */
export function loadInput(tensors: TensorSource): InputSpec {
  const lk = lookup(tensors);
  const mean = optionalInputTensor(lk, 'mean');
  const cov = optionalInputTensor(lk, 'cov');
  const means = optionalInputTensor(lk, 'means');
  if (means) {
    if (mean || cov) {
      throw argumentError(lk.source, 'hold either a Gaussian (mean, cov) or a mixture (weights, means, covs)', 'both', RangeError);
    }
    return { type: 'mixture', means, weights: optionalInputTensor(lk, 'weights'), covs: optionalInputTensor(lk, 'covs') };
  }
  if (!mean && !cov) {
    const have = lk.names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ');
    throw argumentError(lk.source, 'hold an input law: tensors mean [in] and/or cov [in, in], or means [K, in] with optional weights [K] and covs [K, in, in]', `tensors ${have || '(none)'}`, RangeError);
  }
  if (mean && mean.shape.length !== 1) throw argumentError(`${lk.source}["mean"]`, 'have shape [in]', shapeText(mean.shape), RangeError);
  return { type: 'gaussian', mean, cov };
}
