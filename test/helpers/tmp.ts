// Scratch files for tests, in a fresh temporary folder removed at exit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let dir: string | undefined;
export function tmpFile(name: string, data?: Uint8Array | string): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnfx-test-'));
    const d = dir;
    process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  }
  const file = path.join(dir, name);
  if (data !== undefined) fs.writeFileSync(file, data);
  return file;
}

export const repo = path.resolve(__dirname, '..', '..', '..');
