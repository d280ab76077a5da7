// How a daemon's run ends: SIGTERM, SIGINT or its caller's AbortSignal (tests, `mkube up`), whichever
// comes first. cancel() takes the handlers off again, so a daemon that ended for another reason
// (a lost lease) leaves no listener behind in a process that runs on.

export function untilStopped(signal: AbortSignal | undefined): Promise<string> & { cancel(): void } {
  let cancel = () => {};
  const p = new Promise<string>((resolve) => {
    const done = (why: string) => {
      cancel();
      resolve(why);
    };
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    const onAbort = () => done('aborted');
    cancel = () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      signal?.removeEventListener('abort', onAbort);
    };
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    if (signal?.aborted) done('aborted');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Object.assign(p, { cancel: () => cancel() });
}
