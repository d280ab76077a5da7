import { FlagError, parseFlags } from '@mkube/shared/flags';
import { CliError, type Command, HELP_FLAG, renderHelp } from './command.js';
import { rootCommand } from './commands/root.js';

function resolve(argv: readonly string[]): { path: string[]; cmd: Command; rest: string[] } {
  let cmd: Command = rootCommand;
  const path: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const next = cmd.subcommands?.find((c) => c.name === argv[i]);
    if (!next) break;
    cmd = next;
    path.push(next.name);
  }
  return { path, cmd, rest: argv.slice(i) };
}

/** Runs mkube with argv (without node and script); returns the exit code. */
export async function main(
  argv: readonly string[],
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream; signal?: AbortSignal } = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const { path, cmd, rest } = resolve(argv);
  try {
    if (!cmd.run) {
      const wantsHelp = rest.length === 0 || rest.includes('--help') || rest.includes('-h');
      if (!wantsHelp) {
        const what = rest[0]!.startsWith('-') ? `flag ${rest[0]}` : `command "${rest[0]}"`;
        throw new CliError(
          `unknown ${what} for "mkube${path.length ? ` ${path.join(' ')}` : ''}"\nRun 'mkube ${[...path, '--help'].join(' ')}' for usage.`,
        );
      }
      stdout.write(renderHelp(path, cmd));
      return rest.length === 0 && path.length > 0 ? 0 : 0;
    }
    const args = parseFlags(
      [...(cmd.flags ?? []), HELP_FLAG],
      rest.map((a) => (a === '-h' ? '--help' : a)),
    );
    if (args.flags.help) {
      stdout.write(renderHelp(path, cmd));
      return 0;
    }
    const ac = new AbortController();
    const signal = io.signal ?? ac.signal;
    return await cmd.run({ args, stdout, stderr, signal });
  } catch (e) {
    if (e instanceof CliError) {
      stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof FlagError) {
      stderr.write(`error: ${e.message}\nRun 'mkube ${[...path, '--help'].join(' ')}' for usage.\n`);
      return 1;
    }
    stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
