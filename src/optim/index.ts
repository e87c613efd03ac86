// torch.optim's counterpart: Adam and per-epoch learning-rate schedules.
export {
  Adam,
  type AdamOptions,
  type AdamParamState,
  type AdamStateDict,
  type ParamGroup,
  type ParamGroupSpec,
  type ParamList,
} from './adam.ts';
export {
  cosineLR,
  type HasParamGroups,
  type LinearDecayOpts,
  LRScheduler,
  type LrRule,
  lambdaLR,
  linearDecay,
  linearDecayFactor,
  type SchedulerState,
  stepLR,
} from './schedule.ts';
