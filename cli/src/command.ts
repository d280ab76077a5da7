// The mkube command tree. Each leaf command declares its flags once; help text, flag
// parsing and error reporting are done here, so every subcommand behaves the same way.
import { type FlagSpec, formatFlagHelp, type ParsedArgs } from '@mkube/shared/flags';

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Ends long-running commands (up, daemons) on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** One line, shown in the parent's command list. */
  readonly summary: string;
  /** Usage line after `mkube …`, e.g. "pki init --dir DIR [flags]". */
  readonly usage: string;
  /** Longer description, paragraphs. */
  readonly description?: string;
  readonly examples: readonly string[];
  readonly flags?: readonly FlagSpec[];
  readonly subcommands?: readonly Command[];
  /** Returns the process exit code. */
  run?(ctx: CommandContext): Promise<number>;
}

/** A failure the user caused: printed as `error: <message>` with no stack, exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function renderHelp(path: readonly string[], cmd: Command): string {
  const lines: string[] = [];
  lines.push(cmd.description ?? cmd.summary, '');
  lines.push('Usage:', `  mkube ${cmd.usage}`, '');
  if (cmd.subcommands?.length) {
    lines.push('Available Commands:');
    const w = Math.max(...cmd.subcommands.map((c) => c.name.length)) + 3;
    for (const c of cmd.subcommands) lines.push(`  ${c.name.padEnd(w)}${c.summary}`);
    lines.push('');
  }
  if (cmd.examples.length) {
    lines.push('Examples:', ...cmd.examples.map((e) => `  ${e}`), '');
  }
  lines.push('Flags:', formatFlagHelp([...(cmd.flags ?? []), HELP_FLAG]), '');
  if (cmd.subcommands?.length)
    lines.push(`Use "mkube ${[...path, '[command]'].join(' ')} --help" for more information about a command.`);
  return `${lines.join('\n').trimEnd()}\n`;
}

export const HELP_FLAG: FlagSpec = { name: 'help', type: 'bool', usage: 'help for this command' };
