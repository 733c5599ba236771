/**
 * pa.linalg: thin wrappers over the backends' dense kernels (BLAS on native), for callers such
 * as the demo's training loop that need a fast matrix product without another dependency.
 */
import { addonFor, BackendRequest, resolveBackend } from './backend';
import { argumentError } from './errors';
import type { ResultTensor } from './fit';
import * as js from './js/linalg';
import { TensorLike, toTensor, shapeText } from './tensor';

/** Options of {@link gemm}: C = alpha · op(A) · op(B). */
export interface GemmOptions {
  /** Use Aᵀ (default false). */
  transA?: boolean;
  /** Use Bᵀ (default false). */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** 'auto' (default) runs products of ≥ CUDA_AUTO_MIN_WORK multiply-adds on the GPU when present. */
  backend?: BackendRequest;
}

/**
 * C = alpha·op(A)·op(B) for 2-D tensors (op = transpose when requested).
 * @returns a new float64 tensor [m, n].
 * @throws RangeError when the inner dimensions differ or a tensor is not 2-D.
 * @example pa.linalg.gemm(A, B, { transB: true }).data
 */
export function gemm(A: TensorLike, B: TensorLike, opts: GemmOptions = {}): ResultTensor {
  const a = toTensor(A, 'A');
  const b = toTensor(B, 'B');
  if (a.shape.length !== 2) throw argumentError('A', 'be a 2-D tensor', shapeText(a.shape));
  if (b.shape.length !== 2) throw argumentError('B', 'be a 2-D tensor', shapeText(b.shape));
  const ta = !!opts.transA;
  const tb = !!opts.transB;
  const m = ta ? a.shape[1] : a.shape[0];
  const k = ta ? a.shape[0] : a.shape[1];
  const kb = tb ? b.shape[1] : b.shape[0];
  const n = tb ? b.shape[0] : b.shape[1];
  if (k !== kb) throw argumentError('B', `have ${k} ${tb ? 'columns' : 'rows'} to match A`, shapeText(b.shape));
  const alpha = opts.alpha ?? 1;
  let data: Float64Array;
  const backend = resolveBackend(opts.backend, m * n * k);
  if (backend !== 'js') {
    data = addonFor(backend).gemm(ta, tb, m, n, k, alpha, a.data, b.data) as Float64Array;
  } else {
    data = new Float64Array(m * n);
    js.gemm(ta, tb, m, n, k, alpha, a.data, b.data, 0, data);
  }
  return { data, shape: [m, n] };
}
