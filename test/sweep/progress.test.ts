// The sweep's progress for a person: a bar redrawn in place with the rate and the time left on a terminal,
// plain lines (each tenth of the way) when stderr is a file or a CI log.
import { strict as assert } from 'node:assert';
import { clock, progressPrinter, progressText } from '../../src/sweep/progress';
import type { SweepProgress } from '../../src/sweep/run';

const at = (done: number, total: number, elapsedMs: number, wrong = 0, errors = 0): SweepProgress => ({
  done,
  total,
  skipped: 0,
  wrong,
  errors,
  elapsedMs,
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 200, write: (s: string) => writes.push(s) } };
}

describe('sweep: progress', () => {
  it('says the share, the rate, the time left and the tally', () => {
    assert.equal(progressText(at(50, 200, 10_000, 7, 1)), '50/200 images (25%) · 5.0 img/s · ETA 0:30 · 7 wrong, 1 unreadable');
    assert.equal(progressText(at(0, 200, 0)), '0/200 images (0%) · 0.0 img/s · ETA – · 0 wrong');
    assert.equal(clock(75), '1:15');
    assert.equal(clock(4000), '1:06:40');
  });

  it('on a terminal, redraws one bar in place and ends its line once', async () => {
    const { writes, out } = sink(true);
    const p = progressPrinter(out);
    p.update(at(0, 10, 0));
    p.update(at(1, 10, 100)); // within 100 ms of the last drawing: skipped
    await new Promise((r) => setTimeout(r, 120));
    p.update(at(5, 10, 1000, 2));
    p.update(at(10, 10, 2000, 3)); // the last one is always drawn
    p.end(); // draws the last state again, then ends the line
    assert.equal(writes.length, 5, writes.join('|'));
    const clearLine = '\r\u001b[K';
    for (const w of writes.slice(0, 4)) {
      assert.ok(w.startsWith(clearLine), 'carriage return, clear line');
      assert.match(w.slice(clearLine.length), /^\[[#-]{28}\] /, 'then the bar');
    }
    assert.ok(!writes.slice(0, 4).some((w) => w.includes('\n')), 'no new line while drawing');
    assert.match(writes[1], /\[#{14}-{14}\] 5\/10 images \(50%\) · 5\.0 img\/s · ETA 0:01 · 2 wrong/);
    assert.match(writes[2], /\[#{28}\] 10\/10/);
    assert.equal(writes[3], writes[2]);
    assert.equal(writes[4], '\n');
  });

  it('elsewhere, writes a whole plain line each tenth of the way, and no control characters', () => {
    const { writes, out } = sink(false);
    const p = progressPrinter(out);
    for (let i = 0; i <= 100; i++) p.update(at(i, 100, i * 50));
    p.end();
    assert.equal(writes.length, 11, 'at 0, 10, …, 100%');
    for (const w of writes) assert.match(w, /^sweep: \d+\/100 images \(\d+%\) · [\d.]+ img\/s · ETA [\d:–]+ · 0 wrong\n$/);
    assert.match(writes[10], /^sweep: 100\/100 images \(100%\) · 20\.0 img\/s · ETA 0:00/);
  });
});
