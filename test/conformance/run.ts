// `npm run test:conformance`: ONNX's node tests (Debian's libonnx-testdata) against the product's core. For
// every test whose ops the op table or the kernel table knows: shapes, constant evaluation and index mapping
// (checks.ts). Writes conformance/results.json (one entry per test) and conformance/README.md (per op, and the
// totals the project README quotes), prints the failures, and exits 1 if any applicable check fails. Skipped, with how to get the suite, where it is absent.
// Usage: node out/test/conformance/run.js [substring of test names]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultOps as opTable } from '../../src/unravel/ops';
import { checkConstant, checkMapping, checkShapes, type Outcome } from './checks';
import { mappingKind } from './reference';
import { defaultSuiteDir, exclusion, listTests, loadTest, type DataSet, type NodeTest } from './suite';

type Check = boolean | null;

interface Entry {
  readonly name: string;
  readonly op: string;
  readonly checks: { shape: Check; constant: Check; mapping: Check };
  readonly pass: Check;
  /** Why a check failed, why the test does not apply, or why it is excluded. */
  readonly notes?: string[];
  readonly excluded?: string;
}

/** The op's descriptor in any domain (the report lists ops by name). */
const named = (op: string) => opTable.all.find((d) => d.opType === op);

/** The rows of the totals table: what part of the core a test exercises. */
const groups = ['data movement (rules)', 'windows (rules): pools, reductions, Conv', 'other ops with a rule', 'ops with a kernel only', 'functions expanded into known ops'] as const;
type Group = (typeof groups)[number];

function groupOf(test: NodeTest): Group {
  const nodes = test.graph.nodes;
  if (nodes.length !== 1) return groups[4];
  const kind = mappingKind(nodes[0]);
  if (!opTable.get(nodes[0])?.rule) return groups[3];
  return kind === 'move' ? groups[0] : kind ? groups[1] : groups[2];
}

const repoRoot = path.resolve(__dirname, '../../..');
const outDir = path.join(repoRoot, 'conformance');

function runCheck(test: NodeTest, check: (t: NodeTest, s: DataSet) => Outcome | null, label: string, notes: string[]): Check {
  let result: Check = null;
  for (const set of test.sets) {
    let o: Outcome | null;
    try {
      o = check(test, set);
    } catch (e) {
      o = { pass: false, detail: `threw ${(e as Error).stack?.split('\n').slice(0, 3).join(' / ')}` };
    }
    if (!o) continue;
    if (!o.pass) {
      notes.push(`${label}: ${o.detail}`);
      return false;
    }
    result = true;
  }
  return result;
}

function evaluate(dir: string, name: string, grouped: Map<Entry, Group>): Entry {
  let test: NodeTest;
  try {
    test = loadTest(dir, name);
  } catch (e) {
    return { name, op: '?', checks: { shape: null, constant: null, mapping: null }, pass: false, notes: [`cannot load: ${(e as Error).message}`] };
  }
  const ops = [...new Set(test.graph.nodes.map((n) => n.opType))];
  const op = test.graph.nodes.length === 1 ? ops[0] : `expanded: ${ops.join(' ')}`;
  const nulls = { shape: null, constant: null, mapping: null };
  const unknown = test.graph.nodes.filter((n) => !opTable.get(n)).map((n) => n.opType);
  if (unknown.length) return { name, op, checks: nulls, pass: null, notes: [`no rule or kernel for ${[...new Set(unknown)].join(', ')}`] };
  const excluded = exclusion(name, test.graph);
  if (excluded) return { name, op, checks: nulls, pass: null, excluded };
  const notes: string[] = [];
  const entry = (e: Entry) => (grouped.set(e, groupOf(test)), e);
  const checks = {
    shape: runCheck(test, checkShapes, 'shape', notes),
    constant: runCheck(test, checkConstant, 'constant', notes),
    mapping: runCheck(test, checkMapping, 'mapping', notes),
  };
  const applied = Object.values(checks).filter((c) => c !== null);
  const pass = applied.length === 0 ? null : applied.every(Boolean);
  return entry({ name, op, checks, pass, ...(notes.length ? { notes } : {}) });
}

function tally(entries: readonly Entry[], key: 'shape' | 'constant' | 'mapping'): string {
  const applied = entries.filter((e) => e.checks[key] !== null);
  return applied.length ? `${applied.filter((e) => e.checks[key]).length}/${applied.length}` : '–';
}

function row(label: string, es: readonly Entry[]): string {
  return `| ${label} | ${tally(es, 'shape')} | ${tally(es, 'constant')} | ${tally(es, 'mapping')} | ${es.filter((e) => e.pass).length}/${es.length} |`;
}

/** The totals per part of the core, as the project README quotes them. */
function totals(entries: readonly Entry[], grouped: ReadonlyMap<Entry, Group>): string[] {
  const applicable = entries.filter((e) => e.pass !== null);
  const ops = (g: Group) => new Set(applicable.filter((e) => grouped.get(e) === g).map((e) => e.op)).size;
  return [
    `| ONNX 1.12 node tests | shape | constant | mapping | pass |`,
    '| --- | --- | --- | --- | --- |',
    ...groups.map((g) => row(`${g}${g === groups[4] ? '' : `, ${ops(g)} ops`}`, applicable.filter((e) => grouped.get(e) === g))),
    row('**all tests whose ops we know**', applicable),
  ];
}

function summary(entries: readonly Entry[], grouped: ReadonlyMap<Entry, Group>): string {
  const byOp = new Map<string, Entry[]>();
  for (const e of entries) if (e.pass !== null && !e.op.startsWith('expanded')) byOp.set(e.op, [...(byOp.get(e.op) ?? []), e]);
  const applicable = entries.filter((e) => e.pass !== null);
  const known = [...new Set(opTable.all.map((d) => d.opType))];
  const tested = new Set(entries.map((e) => e.op));
  const untested = known.filter((op) => !tested.has(op)).sort();
  const what = (op: string) => [named(op)?.rule ? 'rule' : '', named(op)?.kernel ? 'kernel' : ''].filter(Boolean).join(' + ');
  const rows = [...byOp].sort(([a], [b]) => a.localeCompare(b)).map(([op, es]) => row(`${op} | ${what(op)}`, es));
  const excluded = entries.filter((e) => e.excluded);
  return [
    '# Conformance with ONNX\'s node tests',
    '',
    'Written by `npm run test:conformance` (test/conformance): every ONNX 1.12 node test (Debian\'s libonnx-testdata) whose ops',
    'the op table (rules) or the kernel table (constant folding) knows, checked for shapes, constant evaluation and, for',
    'ops that move elements and for max/average pools, the rule\'s index mapping by value. One entry per test in',
    '[results.json](results.json); `null` where a check does not apply.',
    '',
    `${entries.length} tests, ${applicable.length} whose ops we know, ${applicable.filter((e) => e.pass).length} passing every check that applies; ` +
      `${excluded.length} excluded.`,
    '',
    ...totals(entries, grouped),
    '',
    '| Op | we have | shape | constant | mapping | pass |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Ops we know that ONNX 1.12 has no node test for: ${untested.join(', ') || 'none'}.`,
    '',
    ...(excluded.length ? ['Excluded:', '', ...excluded.map((e) => `- ${e.name}: ${e.excluded}`), ''] : []),
  ].join('\n');
}

function main(): void {
  const dir = process.env.ONNX_NODE_TESTS ?? defaultSuiteDir;
  if (!fs.existsSync(dir)) {
    console.log(`test:conformance skipped: ONNX's node tests are not at ${dir}. Install them with \`apt-get install libonnx-testdata\` (Debian), or point ONNX_NODE_TESTS at an onnx checkout's onnx/backend/test/data/node.`);
    return;
  }
  const filter = process.argv[2] ?? '';
  const start = Date.now();
  const grouped = new Map<Entry, Group>();
  const entries = listTests(dir).filter((t) => t.includes(filter)).map((t) => evaluate(dir, t, grouped));
  const ms = Date.now() - start;
  const failed = entries.filter((e) => e.pass === false);
  for (const e of failed) console.log(`FAIL ${e.name} (${e.op})\n  ${e.notes?.join('\n  ')}`);
  const text = summary(entries, grouped);
  if (!filter) {
    fs.mkdirSync(outDir, { recursive: true });
    // One test per line: the file diffs test by test.
    fs.writeFileSync(path.join(outDir, 'results.json'), `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
    fs.writeFileSync(path.join(outDir, 'README.md'), text + '\n');
  }
  console.log(`${text.split('\n\n').slice(2, 4).join('\n\n')}\n(${(ms / 1000).toFixed(1)} s)`); // the counts and the totals
  if (failed.length) {
    console.log(`${failed.length} test(s) fail: see the lines above${filter ? '' : ' and conformance/results.json'}`);
    process.exitCode = 1;
  }
}

main();
