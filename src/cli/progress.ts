import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on a terminal's stderr; silent when stderr is not a terminal (pipes, CI, tests). */
export interface Progress {
  advance(count: number): void;
  done(): void;
}

/** A cli-progress bar towards `total` items. */
export function progressBar(total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { advance() {}, done() {} };
  const bar = new SingleBar({ stream, format: `[{bar}] {percentage}% {value}/{total} ${unit}`, fps: 10 }, Presets.legacy);
  bar.start(total, 0);
  return {
    advance: (count) => bar.increment(count),
    done: () => bar.stop(),
  };
}
