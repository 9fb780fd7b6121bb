// Progress display for the client commands: a redrawn bar on a terminal, plain lines
// (only when something changed) in logs and pipes. `renderBar` is pure.

/** `[#########.........]  45%  label` for a fraction 0..1; null = indeterminate (a moving block). */
export function renderBar(fraction: number | null, label: string, width = 24, tick = 0): string {
  if (fraction === null) {
    const pos = tick % (width - 3);
    return `[${' '.repeat(pos)}<=>${' '.repeat(width - 3 - pos)}]       ${label}`;
  }
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%  ${label}`;
}

export interface Progress {
  update(fraction: number | null, label: string): void;
  /** Ends the bar with a final line. */
  done(line: string): void;
}

export function createProgress(out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number }): Progress {
  const tty = !!out.isTTY;
  let tick = 0;
  let lastPlain = '';
  let timer: NodeJS.Timeout | undefined;
  let current: { fraction: number | null; label: string } | null = null;
  const draw = () => {
    if (!current) return;
    const cols = (out as { columns?: number }).columns ?? 80;
    out.write(`\r${renderBar(current.fraction, current.label, 24, tick++).slice(0, cols - 1)}\x1b[K`);
  };
  return {
    update(fraction, label) {
      current = { fraction, label };
      if (tty) {
        draw();
        // Keep an indeterminate bar moving while we wait on the server.
        timer ??= setInterval(draw, 120);
        timer.unref?.();
        return;
      }
      const plain = `${fraction === null ? '' : `${Math.round(fraction * 100)}% `}${label}`;
      if (plain !== lastPlain) out.write(plain + '\n');
      lastPlain = plain;
    },
    done(line) {
      if (timer) clearInterval(timer);
      timer = undefined;
      current = null;
      out.write(tty ? `\r${line}\x1b[K\n` : line + '\n');
    },
  };
}
