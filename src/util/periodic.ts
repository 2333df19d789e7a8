/**
 * Runs `task` every `everyMs` without overlapping runs (a slow run makes the next tick skip) and without
 * keeping the process alive. `task` handles its own errors. The returned stop waits for a run in progress.
 */
export function runEvery(everyMs: number, task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task().finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
