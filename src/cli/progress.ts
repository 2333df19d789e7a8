/** A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal (pipes, CI, tests). */
export interface Progress {
  advance(count: number): void;
  done(): void;
}

const WIDTH = 30;

/** A progress bar towards `total` items, redrawn at most ten times a second. */
export function progressBar(total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { advance() {}, done() {} };
  let count = 0;
  let drawnAt = 0;
  const draw = () => {
    const ratio = total > 0 ? Math.min(count / total, 1) : 1;
    const filled = Math.round(ratio * WIDTH);
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${count}/${total} ${unit}`);
    drawnAt = Date.now();
  };
  return {
    advance(n) {
      count += n;
      if (Date.now() - drawnAt >= 100) draw();
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}
