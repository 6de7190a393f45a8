import type { Model } from './model.ts';
import type { Run as RunOf } from './run.ts';
export { CamanimError, isCamanimError, type ErrorCode, type ErrorWhere } from './errors.ts';
export { acquireDevice, type Device, type AcquireOptions } from './runtime/device.ts';
export { Runtime, type Dispatch, type RuntimeOptions } from './runtime/runtime.ts';
export type { KernelTime } from './runtime/profiler.ts';
export type { GpuTensor, TensorData } from './runtime/tensor.ts';
export type { PoolStats } from './runtime/buffer-pool.ts';
export { modelFromGraph, Model, type GraphModelOptions, type Layer, type ModelInput, type RunInput } from './model.ts';
export { loadGraph, loadModel, type LoadOptions, type ModelSource } from './load-model.ts';
export {
  resolveInputContract,
  imageInputOf,
  symbolicSize,
  RESIZE_POLICIES,
  MAX_AUTO_SIDE,
  type InputContract,
  type InputRequest,
  type ContractSource,
  type ContractField,
  type Layout,
  type ChannelOrder,
  type PixelScale,
  type ResizePolicy,
  type PadAlign,
} from './contract/input-contract.ts';
export {
  resolveOutputContract,
  classProbabilities,
  probabilityWarning,
  type OutputContract,
  type OutputActivation,
  type OutputRequest,
  type OutputTask,
} from './contract/output-contract.ts';
export {
  describeContract,
  describeInput,
  describeOutput,
  describeSources,
  type ModelContract,
} from './contract/model-contract.ts';
export { adaptInput, contractModel } from './contract/apply.ts';
export { PRESETS, PRESET_NAMES, isPresetName, type PresetName } from './contract/presets.ts';
export { parseSidecar, type Sidecar } from './contract/sidecar.ts';
export { hfLabels, parseHfPreprocessor } from './contract/hf-preprocessor.ts';
export { parseSize, parseNumbers } from './contract/parse.ts';
export { placement, placeRgb, cropNotice, type Placement } from './contract/placement.ts';
export { tensorize, meanColor } from './contract/tensorize.ts';
export { isVideoInput, planeAxes, stackFrames, FRAMES_HINT, type FrameAxis } from './contract/frames.ts';
export { totalStride } from './contract/total-stride.ts';
export { withOutput } from './graph/select-output.ts';
export { channelsFirst, isChannelsLast } from './graph/channels-first.ts';
export type { RunOptions, BackwardOptions, RunModel } from './run.ts';

/** A forward pass of a Model (run.ts sees its model only through RunModel). */
export type Run = RunOf<Model>;
export { Gradients } from './autodiff/gradients.ts';
export { seedGradient, softmax, type Target, type ClassTarget, type CustomTarget } from './autodiff/targets.ts';
export { segmentationTarget, predictedMask, classAreas } from './autodiff/segmentation-target.ts';
export { stepTarget, ctcTarget, greedyDecode, type SequenceGeometry } from './autodiff/sequence-target.ts';
export { similarityTarget } from './autodiff/similarity-target.ts';
export {
  detect,
  decodeBoxes,
  boxChannels,
  candidates,
  iou,
  type Detection,
  type DetectGeometry,
  type NmsOptions,
} from './autodiff/detections.ts';
export { boxScoreTarget } from './autodiff/box-score-target.ts';
export { rpnProposals } from './autodiff/rpn-proposals.ts';
export { isTwoStage, rpnHead, type RpnHead, type RpnSettings } from './contract/rpn-head.ts';
export { keptProposals, secondStage, type ChosenProposals } from './contract/second-stage.ts';
export { twoStageDetector, type TwoStageDetector } from './contract/two-stage.ts';
export type { SequenceLayout, DetectFormat, SequenceAxes, DetectAxes, Postprocess } from './contract/task-layout.ts';
export { targetHessian, type HessianTerm } from './autodiff/target-hessian.ts';
export type { FileSource } from './onnx/external-data.ts';
export { createOpRegistry, type OpRegistry } from './ops/registry.ts';
export { defaultRegistry, ops } from './ops/index.ts';
export type { OpDef, Step, Arg, OpIO, KernelIO, VjpIO } from './ops/op.ts';
export {
  allNodes,
  isFloat as isFloatType,
  type Graph,
  type Node,
  type HostTensor,
  type ValueInfo,
  type DType,
} from './graph/ir.ts';
export { decodeModel } from './onnx/decode.ts';
export { tensorFromProto } from './onnx/tensor.ts';
