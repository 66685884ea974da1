// A stand-in extension host for process.test.ts's watchdog test: starts the real engine through EngineClient,
// opens the demo, optionally hangs the engine (the test-only fault), prints the engine's pid and waits to be
// killed.   node out/test/engine/orphan-host.js [hang]
import { EngineClient } from '../../src/engine/client';
import { demoModel, enginePath, pelican } from './paths';

async function main(): Promise<void> {
  const client = new EngineClient({ enginePath, env: { CNN_FIXATIONS_ENGINE_TEST: '1' } });
  await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
  if (process.argv[2] === 'hang') {
    client.crash('hang').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // the request reaches the engine and its thread is stuck
  }
  process.stdout.write(`engine ${client.pid}\n`);
  setInterval(() => undefined, 60_000);
}
void main();
