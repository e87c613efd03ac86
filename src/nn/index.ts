// torch.nn's counterpart: Module, layers, losses and initialisers (as `nn.init`).

export {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  InstanceNorm2d,
  MaxPool2d,
  ReflectionPad2d,
  Upsample,
} from './conv.ts';
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
export { bceWithLogitsLoss, type GanMode, ganLoss, klLoss, l1Loss, mseLoss } from './losses.ts';
export {
  type AnyModule,
  type HostTensor,
  type LayerKind,
  type LoadResult,
  Module,
  type StateValue,
} from './module.ts';
export { checkStateDict, type StateDictCheck, type StateMismatch, throwLoadProblems } from './state-dict.ts';
