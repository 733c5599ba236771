/**
 * Activation specifications: parsing what users pass ('gelu', { name: 'jump_relu', threshold: 1 })
 * into the normalized form the backends share. ACT_KINDS order is the wire format to the native
 * addon (native/core/activation.hpp ActKind): keep the two identical.
 */
import { invalidArgument } from './errors';

/** The activation names the library integrates, in the native addon's wire order. */
export const ACT_KINDS = [
  'relu',
  'gelu',
  'identity',
  'sigmoid',
  'swish',
  'tanh',
  'jump_relu',
  'leaky_relu',
  'softplus',
] as const;

/** One of {@link ACT_KINDS}. */
export type ActKind = (typeof ACT_KINDS)[number];

/** Normalized activation: every parameter present. */
export interface Activation {
  readonly name: ActKind;
  /** jump_relu: φ(y) = y·1{y > threshold}. */
  readonly threshold: number;
  /** leaky_relu: φ(y) = y for y > 0, slope·y otherwise. */
  readonly slope: number;
}

/** What users may pass: a name ('silu' is an alias of 'swish') or `{ name, ...params }`. */
export type ActivationSpec =
  | ActKind
  | 'silu'
  | {
      /** The activation's name. */
      name: ActKind | 'silu';
      /** jump_relu: φ(y) = y·1{y > threshold} (default 1). */
      threshold?: number;
      /** leaky_relu: φ(y) = slope·y for y ≤ 0 (default 0.01). */
      slope?: number;
    };

export const MAX_DERIV_ORDER = 8;
export const MAX_POLY_ORDER = 8;

const ALIASES: Record<string, ActKind> = { silu: 'swish' };

/** Parses and validates an activation; `argName` names the argument in error messages. */
export function parseActivation(spec: unknown, argName = 'act'): Activation {
  let name: unknown;
  let threshold = 1;
  let slope = 0.01;
  if (typeof spec === 'string') {
    name = spec;
  } else if (spec !== null && typeof spec === 'object' && 'name' in spec) {
    const o = spec as { name: unknown; threshold?: unknown; slope?: unknown };
    name = o.name;
    if (o.threshold !== undefined) {
      if (typeof o.threshold !== 'number' || !Number.isFinite(o.threshold)) {
        throw invalidArgument(`${argName}.threshold`, 'a finite number', o.threshold, TypeError);
      }
      threshold = o.threshold;
    }
    if (o.slope !== undefined) {
      if (typeof o.slope !== 'number' || !Number.isFinite(o.slope)) {
        throw invalidArgument(`${argName}.slope`, 'a finite number', o.slope, TypeError);
      }
      slope = o.slope;
    }
  } else {
    throw invalidArgument(
      argName,
      `an activation name or { name, ...params }; known: ${knownNames()}`,
      spec,
      TypeError,
    );
  }
  const canonical = typeof name === 'string' ? (ALIASES[name] ?? name) : name;
  if (typeof canonical !== 'string' || !(ACT_KINDS as readonly string[]).includes(canonical)) {
    throw invalidArgument(argName, `one of ${knownNames()}`, name, RangeError);
  }
  return { name: canonical as ActKind, threshold, slope };
}

function knownNames(): string {
  return [...ACT_KINDS, 'silu'].join(', ');
}

export function actKindIndex(a: Activation): number {
  return ACT_KINDS.indexOf(a.name);
}
