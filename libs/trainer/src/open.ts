import './builtins';
import { TrainerError } from './errors';
import { ensureTrainer } from './plugins';
import { getTrainer } from './registry';
import type { TrainerConfig, TrainerContext, TrainerSession } from './types';

/** The trainer named by `config.backend` (a plug-in package of that name is loaded first), opened for a search. */
export async function openTrainer(config: TrainerConfig, ctx: TrainerContext): Promise<TrainerSession> {
  await ensureTrainer(config.backend);
  const trainer = getTrainer(config.backend);
  if (!trainer) throw new TrainerError(`trainer.backend: unknown trainer '${config.backend}'`);
  return trainer.open(config, ctx);
}
