import path from 'node:path';
import { queueConnectionFromEnv, startQueueWorker, type QueueWorkerEvent } from '@marl-hpo/queue';
import { intFlag, UsageError, type Command, type Io } from '../cli';

function line(e: QueueWorkerEvent): string {
  const what = e.kind === 'evaluate' ? `proposal ${e.proposal}` : (e.kind ?? '');
  const attempt = e.attempt && e.attempt > 1 ? ` (attempt ${e.attempt})` : '';
  if (e.type === 'started') return `${what}: started${attempt}`;
  if (e.type === 'completed') return `${what}: done in ${e.seconds?.toFixed(1)} s`;
  if (e.type === 'failed') return `${what}: failed${attempt}: ${e.error}`;
  return `queue error: ${e.error}`;
}

export const worker: Command = {
  path: ['worker'],
  usage: 'worker --queue redis://host:6379/0 [--concurrency N] [--lock-seconds S] [--json | --quiet]',
  summary: 'Evaluate configurations for coordinators (search --queue) on this machine: train, export ONNX, profile',
  options: { queue: { type: 'string' }, concurrency: { type: 'string' }, 'lock-seconds': { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
  async run({ values }, io: Io) {
    if (typeof values['queue'] !== 'string') throw new UsageError(`--queue <redis-url> is required (usage: marl-hpo ${worker.usage})`);
    const concurrency = intFlag(values, 'concurrency', 1, 1);
    const lockSeconds = intFlag(values, 'lock-seconds', 30, 1);
    const json = values['json'] === true;
    // One plain line per job event on stderr (terminal or log file); JSON lines on stdout with --json.
    const progress = !json && values['quiet'] !== true;
    const say = (e: QueueWorkerEvent | { type: 'ready' | 'stopped'; worker: string }) => {
      if (json) io.out(JSON.stringify(e));
      else if (progress || e.type === 'error') io.err('job' in e || e.type === 'error' ? line(e as QueueWorkerEvent) : `worker ${(e as { worker: string }).worker}: ${e.type}`);
    };
    const w = await startQueueWorker({
      connection: queueConnectionFromEnv(values['queue']),
      concurrency,
      lockSeconds,
      script: path.join(__dirname, 'eval.worker.js'),
      onEvent: say,
    });
    say({ type: 'ready', worker: w.name });
    // Runs until SIGINT/SIGTERM: the first lets running jobs finish, a second quits at once
    // (BullMQ then re-queues those jobs after the lock expires).
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.on('SIGINT', () => process.exit(130));
        process.on('SIGTERM', () => process.exit(143));
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    if (progress) io.err('marl-hpo: finishing the running jobs (Ctrl-C again to quit now)');
    await w.close();
    say({ type: 'stopped', worker: w.name });
  },
};
