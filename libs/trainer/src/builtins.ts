import { commandTrainer } from './backends/command';
import { tfjsTrainer } from './backends/tfjs';
import { torchTrainer } from './backends/torch';
import { registerTrainer } from './registry';

/** The built-in trainers, registered once when the lib is loaded. */
registerTrainer('tfjs', tfjsTrainer);
registerTrainer('command', commandTrainer);
registerTrainer('torch', torchTrainer);
