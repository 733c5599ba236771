/**
 * polyapprox: closed-form least-squares polynomial approximants of MLP and GLU layers under
 * Gaussian and Gaussian-mixture inputs.
 */
export { backends, backendInfo } from './backend';
export type { BackendName } from './backend';
export { ev, primeEv, derivEv, polyEv } from './integrals';
export type { IntegralOptions } from './integrals';
export { ols, olsAsync, gluOls, gluOlsAsync, LinearApproximant, QuadraticApproximant, CompactApproximant } from './fit';
export type { Approximant, FitMeta, MlpSpec, GluSpec, InputSpec, FitOptionsSpec, ResultTensor, SolveInfo } from './fit';
export { ACT_KINDS } from './activation';
export type { ActivationSpec, ActKind } from './activation';
export type { Tensor, TensorLike } from './tensor';
export * as linalg from './linalg';
export type { GemmOptions } from './linalg';
export { sample, mlpForward, gluForward, fvu, SeededRandom } from './toolkit';
export { interactionEigen, interactionEigenAsync } from './eigen';
export type { EigenMethod, InteractionEigenOptions, InteractionEigenResult } from './eigen';
export { varianceExplained, varianceExplainedAsync } from './variance';
export type { VarianceExplainedOptions, VarianceExplainedResult } from './variance';
export { fitClassMixture, momentMatchedGaussian, accuracy, softmaxKl, betaSvd, ablationProjector, ablate, attackCurve } from './analysis';
export type { AnalysisOptions, ClassMixture, GaussianInput, BetaSvd, Predictor, AttackCurve } from './analysis';
export * as io from './io/index';
