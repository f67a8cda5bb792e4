import type { Command } from '../cli';
import { arch } from './arch';
import { config } from './config';
import { dataInspect } from './data-inspect';
import { experiment } from './experiment';
import { init } from './init';
import { search } from './search';
import { benchSearch } from './bench-search';
import { benchTrain } from './bench-train';
import { onnxInspect } from './onnx-inspect';
import { profile } from './profile';
import { profileCalibrate } from './profile-calibrate';
import { report } from './report';
import { dashboard } from './dashboard';
import { space } from './space';
import { worker } from './worker';

/** Every command of the CLI, one module each. */
export const commands: Command[] = [
  search,
  init,
  config,
  space,
  arch,
  onnxInspect,
  dataInspect,
  benchSearch,
  benchTrain,
  profile,
  profileCalibrate,
  worker,
  report,
  dashboard,
  experiment,
];
