/**
 * leibniz/export — hand a transformed program to another engine: ONNX (ONNX Runtime: CPU,
 * CUDA and other execution providers, onnxruntime-web in browsers) and StableHLO text (XLA,
 * IREE, JAX). The main entry point does not import this one.
 *
 * @module leibniz/export
 */
import '../rules'

export { exportOnnx } from './onnx/export'
export type { OnnxExportOptions, OnnxModel } from './onnx/export'
export { runOnnx, onnxSession } from './onnx/run'
export type { OnnxSessionOptions, OrtModuleLike, OrtTensorLike } from './onnx/run'
export { onnxCoverage } from './onnx/table'
export { ExportError } from '../core/errors'
export { exportStableHlo } from './stablehlo/export'
export type { StableHloExportOptions } from './stablehlo/export'
export { stablehloCoverage } from './stablehlo/rules'
