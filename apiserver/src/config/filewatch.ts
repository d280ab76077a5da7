// The automatic reload of a configuration file (--authentication-config, --authorization-config,
// --encryption-provider-config-automatic-reload), one mechanism for the three: the file's stat is
// polled and, when its content hash differs from the last one seen, `onChange` runs — one run at a
// time, in the order the changes were seen. A file that cannot be read is not a change (the
// running configuration stays until a readable one appears).
import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';

function hashOf(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** Starts watching `file` (its content now is the baseline); returns the function that stops it. */
export function watchFileContent(
  file: string,
  onChange: () => void | Promise<void>,
  pollIntervalMs = 1000,
): () => void {
  let seen = hashOf(file) ?? '';
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const changed = () => {
    running = running.then(async () => {
      if (stopped) return;
      const hash = hashOf(file);
      if (hash === undefined || hash === seen) return;
      seen = hash;
      await onChange();
    });
  };
  watchFile(file, { interval: pollIntervalMs, persistent: false }, changed);
  return () => {
    stopped = true;
    unwatchFile(file, changed);
  };
}
