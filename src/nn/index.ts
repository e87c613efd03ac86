// torch.nn's counterpart: Module, layers, losses and initialisers (as `nn.init`).

export { Conv2d, type ConvLayerOpts, ConvTranspose2d, type ConvTransposeLayerOpts } from './conv.ts';
export * as init from './init.ts';
export { type InitType, initWeights } from './init.ts';
export {
  Identity,
  isModule,
  LeakyReLU,
  Linear,
  type LinearOpts,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
} from './layers.ts';
export {
  bceWithLogitsLoss,
  type GanMode,
  ganLoss,
  ganLossHalves,
  klLoss,
  l1Loss,
  mseLoss,
} from './losses.ts';
export {
  type AnyModule,
  type HostTensor,
  type LayerKind,
  type LoadResult,
  Module,
  type StateValue,
} from './module.ts';
export { BatchNorm2d, InstanceNorm2d, type NormLayerOpts } from './norm.ts';
export { AvgPool2d, Dropout, MaxPool2d, ReflectionPad2d, Upsample } from './pool.ts';
export { checkStateDict, type StateDictCheck, type StateMismatch, throwLoadProblems } from './state-dict.ts';
