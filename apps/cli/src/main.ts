import { commands } from './commands';
import { isUserError, parseCommandArgs, UsageError, type Command, type Io } from './cli';
import { version } from '../package.json';

function help(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    `marl-hpo ${version}: multi-agent RL hyperparameter search for CNNs, with ONNX export and latency profiling`,
    '',
    'Usage: marl-hpo <command> [options]',
    '',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command: --help. Errors a user can fix exit with code 2.',
  ].join('\n');
}

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  let best: { cmd: Command; rest: string[] } | undefined;
  for (const cmd of commands) {
    if (cmd.path.every((w, i) => argv[i] === w) && (!best || cmd.path.length > best.cmd.path.length)) {
      best = { cmd, rest: argv.slice(cmd.path.length) };
    }
  }
  return best;
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(help());
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      io.out(version);
      return 0;
    }
    const found = findCommand(argv);
    if (!found) throw new UsageError(`unknown command '${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}'; run 'marl-hpo --help' for the list`);
    if (found.rest.includes('--help') || found.rest.includes('-h')) {
      io.out(`Usage: marl-hpo ${found.cmd.usage}\n\n${found.cmd.summary}`);
      return 0;
    }
    const args = parseCommandArgs(found.cmd, found.rest);
    return (await found.cmd.run(args, io)) ?? 0;
  } catch (e) {
    if (isUserError(e)) {
      io.err(`marl-hpo: ${e.message.split('\n')[0]}`);
      return 2;
    }
    io.err(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}

/**
 * A line writer on `stream` that stops writing once the reader is gone (`marl-hpo ... | head`
 * exits, a closed terminal): the command goes on (a search still writes its run folder) and
 * exits as it would have; the lost output is not an error.
 */
function lineWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let open = true;
  stream.on('error', () => (open = false));
  return (text) => {
    if (open && !stream.destroyed) stream.write(text + '\n');
  };
}

/** Runs the command line of this process (the bundle's entry, and apps/cli/bin/marl-hpo.js). */
export function runProcess(): void {
  const io: Io = { out: lineWriter(process.stdout), err: lineWriter(process.stderr), isTTY: Boolean(process.stderr.isTTY) };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runProcess();
