/**
 * Weights in and out (`pa.io`): safetensors, NumPy .npy and .npz readers (F64, F32, F16, BF16
 * converted exactly to float64), a safetensors / npy / npz writer, PyTorch layer loaders
 * (nn.Linear and Conv1D orientations, presets for nn.Sequential, GPT-2 and LLaMA MLPs), and
 * fits to result files and back.
 */
export { readSafetensors, openSafetensors, writeSafetensors, MAX_HEADER_BYTES } from './safetensors';
export type { ReadOptions, WriteOptions } from './safetensors';
export { readNpy, writeNpy, isNpy } from './npy';
export type { NpyDtype, NpyReadOptions, NpyWriteOptions } from './npy';
export { readNpz, writeNpz, isZip } from './npz';
export type { NpzReadOptions, NpzWriteOptions } from './npz';
export { readTensorFile } from './file';
export type { ReadFileOptions } from './file';
export { TensorSet, closeNames } from './tensors';
export type { TensorFormat, TensorInfo, TensorEntry, WeightTensor, WritableTensor, WritableTensors } from './tensors';
export { FLOAT_DTYPES, halfToNumber, bfloat16ToNumber, numberToHalf, numberToBfloat16 } from './dtype';
export type { FloatDtype } from './dtype';
export { loadMlp, loadGlu, loadLayer, loadPreset, presetNames, loadInput, PRESETS } from './layers';
export type { TensorSource, WeightLayout, MlpNames, GluNames, LoadedTensor, LoadedMlp, LoadedGlu, PresetName, PresetOptions, LayerNames, LoadedLayer } from './layers';
export { approximantTensors, writeApproximant, readApproximant, RESULT_FORMAT, RESULT_FORMAT_VERSION } from './result';
export type { ApproximantWriteOptions, ApproximantTensors, ApproximantReadOptions, LoadedApproximant } from './result';
