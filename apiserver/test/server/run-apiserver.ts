// Runs the apiserver from argv as `mkube apiserver` does (used by the signal and config tests).
import { FlagError, parseFlags } from '@mkube/shared/flags';
import { APISERVER_FLAGS, runApiServer } from '../../src/main.ts';

try {
  const args = parseFlags(APISERVER_FLAGS, process.argv.slice(2));
  process.exitCode = await runApiServer(args.flags, args.given, { stderr: process.stderr });
} catch (e) {
  if (!(e instanceof FlagError)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 1;
}
