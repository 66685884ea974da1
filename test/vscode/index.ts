// Mocha entry point loaded by VS Code's extension host (the workbench URL's extensionTestsPath payload).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  // CNN_FIXATIONS_TEST_GREP (in run-integration's environment, which the extension host inherits): only the matching tests.
  const grep = process.env.CNN_FIXATIONS_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60000, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      // The plain closing line CI reads (the runner repeats it last).
      const total = mocha.suite.total();
      console.log(`${total - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
  });
}
