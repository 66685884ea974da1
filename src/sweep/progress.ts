// The sweep's progress for a person: a bar with the rate and the time left on a terminal, redrawn in place;
// plain lines (every tenth of the way, or every 10 s) when the output is a file or a CI log.
import type { SweepProgress } from './run';

const WIDTH = 28;

/** 75 s → "1:15", 4000 s → "1:06:40". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  const two = (v: number) => String(v).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/** The figures of a moment of the sweep: the share done, images per second, and the time left. */
export function progressFigures(p: SweepProgress): { share: number; rate: number; eta: number | undefined } {
  const share = p.total ? p.done / p.total : 1;
  const rate = p.elapsedMs > 0 ? p.done / (p.elapsedMs / 1000) : 0;
  return { share, rate, eta: rate > 0 ? (p.total - p.done) / rate : undefined };
}

/** One line of text for a moment of the sweep (the plain lines, and VS Code's progress notification). */
export function progressText(p: SweepProgress): string {
  const { share, rate, eta } = progressFigures(p);
  const tally = `${p.wrong} wrong${p.errors ? `, ${p.errors} unreadable` : ''}`;
  return `${p.done}/${p.total} images (${(share * 100).toFixed(0)}%) · ${rate.toFixed(1)} img/s · ${eta === undefined ? 'ETA –' : `ETA ${clock(eta)}`} · ${tally}`;
}

export interface ProgressPrinter {
  update(p: SweepProgress): void;
  /** The last state, and the line ended. */
  end(): void;
}

export function progressPrinter(out: { isTTY?: boolean; columns?: number; write(s: string): unknown }): ProgressPrinter {
  let last: SweepProgress | undefined;
  let drawnAt = -Infinity;
  let tenth = -1;
  const draw = (p: SweepProgress) => {
    const { share } = progressFigures(p);
    const filled = Math.round(share * WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`;
    const text = `${bar} ${progressText(p)}`;
    out.write(`\r\x1b[K${text.slice(0, Math.max(20, (out.columns ?? 120) - 1))}`);
  };
  return {
    update(p) {
      last = p;
      const now = performance.now();
      if (out.isTTY) {
        if (now - drawnAt < 100 && p.done < p.total) return;
        drawnAt = now;
        return draw(p);
      }
      const t = Math.floor((p.total ? p.done / p.total : 1) * 10);
      if (t > tenth || now - drawnAt > 10_000) {
        tenth = t;
        drawnAt = now;
        out.write(`sweep: ${progressText(p)}\n`);
      }
    },
    end() {
      if (out.isTTY && last) {
        draw(last);
        out.write('\n');
      }
    },
  };
}
