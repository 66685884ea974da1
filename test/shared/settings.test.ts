// The one declaration of the options (src/shared/settings.ts): package.json's configuration must say what
// it says, the presets must be the ones it lists, and values from outside are read by one set of rules.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { presets } from '../../src/preprocess/presets';
import { choicesOf, configurationProperties, formKeys, offered, options, perClassKeys, readOption } from '../../src/shared/settings';
import { repo } from '../helpers/tmp';

describe('settings: one declaration', () => {
  it("package.json's contributes.configuration is the declaration's (else: node scripts/sync-settings.mjs)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: unknown } } };
    const want = configurationProperties();
    // The same settings in the same order (the order VS Code's settings editor shows them in), field by field.
    assert.equal(JSON.stringify(pkg.contributes.configuration.properties, null, 1), JSON.stringify(want, null, 1));
    assert.ok('cnnFixations.mode' in want && 'cnnFixations.topK' in want && 'cnnFixations.model' in want);
  });

  it('declares the presets the preprocessing implements, and the new mode with its default', () => {
    assert.deepEqual(
      options.preset.values.map(([v]) => v),
      Object.keys(presets),
    );
    assert.deepEqual(choicesOf('mode'), ['discriminative', 'weighted', 'paper']);
    assert.equal(options.mode.default, 'discriminative');
    assert.deepEqual(perClassKeys, ['mode'], 'the mode is explained per class, without a new forward pass');
    assert.deepEqual(formKeys, ['preset', 'mode', 'convMode', 'flattenMode', 'sigma', 'boxMode']);
    const flags = offered('flag').map(([, o]) => o.flag![0]);
    assert.equal(new Set(flags).size, flags.length, 'one flag per option');
    assert.ok(flags.includes('mode') && flags.includes('conv-mode') && flags.includes('views'));
  });

  it('reads values from outside by one set of rules: unset, auto, a listed value, a number within bounds', () => {
    assert.deepEqual(readOption('convMode', 'center', 'x'), { ok: true, value: 'center' });
    for (const unset of [undefined, null, '']) assert.deepEqual(readOption('convMode', unset, 'x'), { ok: true, value: undefined });
    assert.deepEqual(readOption('preset', 'auto', 'x'), { ok: true, value: undefined }, 'auto leaves the preset to the model');
    assert.deepEqual(readOption('sigma', 0, 'x'), { ok: true, value: undefined }, 'sigma 0 is automatic');
    assert.deepEqual(readOption('sigma', 2.5, 'x'), { ok: true, value: 2.5 });
    assert.deepEqual(readOption('top', 3, 'x'), { ok: true, value: 3 });
    const problem = (key: Parameters<typeof readOption>[0], raw: unknown) => {
      const r = readOption(key, raw, 'the setting');
      assert.equal(r.ok, false, `${key} = ${JSON.stringify(raw)} is refused`);
      return r.ok ? '' : r.problem;
    };
    assert.equal(problem('convMode', 'sideways'), 'the setting must be one of auto, contribution, center, activation, got "sideways"');
    assert.match(problem('preset', 'vgg'), /must be one of auto, imagenet, caffe/);
    assert.match(problem('mode', 3), /one of discriminative, weighted, paper, got 3/);
    assert.match(problem('sigma', -1), /a number from 0 to 10000 \(0: automatic/);
    assert.match(problem('sigma', Infinity), /a number from 0/);
    assert.match(problem('sigma', '8'), /a number/);
    assert.match(problem('top', 2.5), /a whole number from 1 to 1000/);
    assert.match(problem('top', 0), /a whole number/);
  });
});
