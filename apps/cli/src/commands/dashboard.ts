import { startDashboard } from '@marl-hpo/report';
import { intFlag, UsageError, type Command } from '../cli';

export const dashboard: Command = {
  path: ['dashboard'],
  usage: 'dashboard <runs-folder> [--port 8080] [--host 127.0.0.1] [--images dir]',
  summary: 'Serve the reports of every run in a folder on localhost, updated while searches run',
  options: { port: { type: 'string' }, host: { type: 'string' }, images: { type: 'string' } },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one folder of runs (usage: marl-hpo ${dashboard.usage})`);
    const port = intFlag(values, 'port', 8080, 0);
    if (port > 65535) throw new UsageError(`--port: expected an integer <= 65535, got '${String(values['port'])}'`);
    const server = await startDashboard({
      root: positionals[0],
      port,
      host: typeof values['host'] === 'string' ? values['host'] : undefined,
      images: typeof values['images'] === 'string' ? values['images'] : undefined,
      onWarning: (m) => io.err(`marl-hpo: ${m}`),
    });
    io.out(`dashboard: ${server.url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
