// The files that run sweeps beyond one machine (docs/SWEEP-AT-SCALE.md), checked without a cluster or a
// container runtime: the Kubernetes Jobs against Kubernetes' schemas (kubernetes-models), the CI workflow
// against GitHub's workflow schema (@action-validator/core), and their commands run for real. The image's
// files are laid out where the Dockerfile's COPY lines put them (its `npm ci --omit=dev` stood in for by this
// checkout's node_modules, its symlink by a shim on PATH); its ENTRYPOINT + CMD sweep the demo; the Indexed
// Job's command, given each JOB_COMPLETION_INDEX, and the Slurm script, given each array task, sweep the
// shards of a folder; and their merge is the unsharded sweep.
import { validateWorkflow } from '@action-validator/core';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repo, tmpFile } from '../helpers/tmp';

const read = (f: string) => fs.readFileSync(path.join(repo, f), 'utf8');
const demo = path.join(repo, 'eval', 'fmnist-sweep', 'images');

interface Container {
  command: string[];
  args: string[];
  env: { name: string; value: string }[];
}
const jobOf = (f: string) => parseYaml(read(f)) as { spec: { completions?: number; template: { spec: { containers: Container[] } } } };

/** The final stage of the Dockerfile: its instructions, continuation lines joined. */
function finalStage(): { op: string; rest: string }[] {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.trim().split(/\s+/);
      return { op: op.toUpperCase(), rest: rest.join(' ') };
    });
  const from = lines.map((l) => l.op).lastIndexOf('FROM');
  return lines.slice(from + 1);
}

/** The image's files under `root` as the final stage lays them out, and the shim `cnn-fixations` on `root/usr/local/bin`. */
function layOut(root: string): { workdir: string; entrypoint: string[]; cmd: string[]; bin: string } {
  let workdir = '/';
  let entrypoint: string[] = [],
    cmd: string[] = [];
  const bin = path.join(root, 'usr', 'local', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const { op, rest } of finalStage()) {
    if (op === 'WORKDIR') workdir = path.posix.resolve(workdir, rest);
    else if (op === 'ENTRYPOINT') entrypoint = JSON.parse(rest) as string[];
    else if (op === 'CMD') cmd = JSON.parse(rest) as string[];
    else if (op === 'COPY') {
      const parts = rest.split(/\s+/);
      const from = parts[0].startsWith('--from=') ? parts.shift() : undefined;
      const dest = parts.pop()!;
      for (const src of parts) {
        // the build stage copies the whole context to /src and builds there: its /src/X is this checkout's X
        const source = from ? path.join(repo, path.posix.relative('/src', src)) : path.join(repo, src);
        assert.ok(fs.existsSync(source), `the Dockerfile copies ${src}, which the build has (${source})`);
        const target = path.join(
          root,
          dest.endsWith('/') ? path.posix.join(path.posix.resolve(workdir, dest), path.basename(src)) : path.posix.resolve(workdir, dest),
        );
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(source, target, { recursive: true });
      }
    } else if (op === 'RUN' && /npm ci --omit=dev/.test(rest)) {
      const deps = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
      for (const d of deps) assert.ok(fs.existsSync(path.join(repo, 'node_modules', d)), `runtime dependency ${d}`);
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, workdir, 'node_modules'));
    } else if (op === 'RUN' && /^ln -s /.test(rest)) {
      const [, target, link] = rest.split(/\s+/).slice(1);
      assert.equal(link, '/usr/local/bin/cnn-fixations');
      fs.writeFileSync(path.join(root, link), `#!/bin/sh\nexec node "${path.join(root, target)}" "$@"\n`, { mode: 0o755 });
    }
  }
  fs.mkdirSync(path.join(root, workdir), { recursive: true });
  return { workdir: path.join(root, workdir), entrypoint, cmd, bin };
}

/** A folder of the first `perClass` images of each demo class. */
function subset(perClass: number): string {
  const root = path.dirname(tmpFile('deploy-images/x'));
  for (const c of fs.readdirSync(demo)) {
    fs.mkdirSync(path.join(root, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(demo, c)).sort().slice(0, perClass)) fs.copyFileSync(path.join(demo, c, f), path.join(root, c, f));
  }
  return root;
}

function sh(script: string, env: Record<string, string>, cwd = repo, shell = 'sh') {
  const r = spawnSync(shell, shell === 'sh' ? ['-c', script] : [script], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
  return r.stdout;
}

describe('sweeps beyond one machine: the deploy files', function () {
  this.timeout(600_000);
  let image: ReturnType<typeof layOut>;
  // kubernetes-models is an ES module: imported, not required
  let Job: typeof import('kubernetes-models/batch/v1', { with: { 'resolution-mode': 'import' } }).Job;
  let images: string;
  let unsharded: string;
  const PATH = () => `${image.bin}:${process.env.PATH}`;

  before(async () => {
    ({ Job } = await import('kubernetes-models/batch/v1'));
    assert.ok(fs.existsSync(path.join(repo, 'dist', 'cli.js')), 'run `npm run build` first');
    image = layOut(path.dirname(tmpFile('deploy-rootfs/x')));
    images = subset(2);
    unsharded = path.dirname(tmpFile('deploy-unsharded/x'));
    const labels = path.join(repo, 'eval', 'models', 'fmnist_labels.txt');
    sh(`cnn-fixations sweep "${path.join(repo, 'eval', 'models', 'fmnist-gap.onnx')}" "${images}" --labels "${labels}" --out "${unsharded}" --jobs 1`, {
      PATH: PATH(),
    });
  });

  it('the Kubernetes Jobs pass Kubernetes’ schema; a broken one does not', () => {
    for (const f of ['deploy/kubernetes/sweep-job.yaml', 'deploy/kubernetes/merge-job.yaml']) new Job(jobOf(f) as never).validate();
    const broken = jobOf('deploy/kubernetes/sweep-job.yaml') as unknown as { spec: { completions: unknown } };
    broken.spec.completions = 'four';
    assert.throws(() => new Job(broken as never).validate(), /completions/);
  });

  it('the CI workflow passes GitHub’s workflow schema, with a matrix of SHARDS shards; a broken one does not', () => {
    const text = read('deploy/ci/github-actions-sweep.yml');
    const state = validateWorkflow(text);
    assert.deepEqual(state.errors, []);
    const wf = parseYaml(text) as { env: { SHARDS: number }; jobs: { shard: { strategy: { matrix: { shard: number[] } } } } };
    assert.deepEqual(wf.jobs.shard.strategy.matrix.shard, [...Array(wf.env.SHARDS).keys()]);
    assert.notDeepEqual(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest')).errors, []);
  });

  it('the image’s ENTRYPOINT + CMD sweep the demo into its working directory', () => {
    const out = sh([...image.entrypoint, ...image.cmd].join(' '), { PATH: PATH() }, image.workdir);
    assert.match(out, /images +300 \(300 labelled\)/);
    assert.ok(fs.existsSync(path.join(image.workdir, 'cnn-fixations-sweep', 'report.html')));
  });

  it('the Indexed Job’s command sweeps shard JOB_COMPLETION_INDEX of SHARDS, and the merge Job’s joins them into the unsharded sweep', () => {
    const job = jobOf('deploy/kubernetes/sweep-job.yaml');
    const c = job.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    assert.equal(Number(env.SHARDS), job.spec.completions, 'SHARDS is the number of completions');
    const results = path.dirname(tmpFile('deploy-k8s/x'));
    // the volumes: the test's folder, model and labels where the Job mounts its own
    const mounted = {
      ...env,
      PATH: PATH(),
      JOBS: '1',
      RESULTS: results,
      IMAGES: images,
      MODEL: path.join(repo, 'eval/models/fmnist-gap.onnx'),
      LABELS: path.join(repo, 'eval/models/fmnist_labels.txt'),
    };
    assert.deepEqual(c.command, ['sh', '-c']);
    for (let i = 0; i < job.spec.completions!; i++) sh(c.args[0], { ...mounted, JOB_COMPLETION_INDEX: String(i) }, image.workdir);
    const merge = jobOf('deploy/kubernetes/merge-job.yaml').spec.template.spec.containers[0];
    sh(merge.args[0], { PATH: PATH(), RESULTS: results }, image.workdir);
    const s = (dir: string) => fs.readFileSync(path.join(dir, 'summary.json'), 'utf8');
    assert.equal(s(path.join(results, 'merged')), s(unsharded));
  });

  it('the Slurm script sweeps array task i of the array’s count, and those shards merge into the unsharded sweep', () => {
    const script = read('deploy/slurm/sweep.sbatch');
    const [, lo, hi] = /#SBATCH --array=(\d+)-(\d+)/.exec(script)!;
    const count = Number(hi) - Number(lo) + 1;
    const results = path.dirname(tmpFile('deploy-slurm/x'));
    const env = {
      PATH: PATH(),
      CLI: 'cnn-fixations',
      MODEL: path.join(repo, 'eval/models/fmnist-gap.onnx'),
      LABELS: path.join(repo, 'eval/models/fmnist_labels.txt'),
      IMAGES: images,
      RESULTS: results,
    };
    for (let i = Number(lo); i <= Number(hi); i++)
      sh(
        path.join(repo, 'deploy/slurm/sweep.sbatch'),
        { ...env, SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: String(count), SLURM_CPUS_PER_TASK: '1' },
        repo,
        'bash',
      );
    const shards = fs.readdirSync(results).map((d) => path.join(results, d));
    sh(`cnn-fixations merge ${shards.map((d) => `"${d}"`).join(' ')} --out "${path.join(results, 'merged')}"`, { PATH: PATH() });
    assert.equal(fs.readFileSync(path.join(results, 'merged', 'summary.json'), 'utf8'), fs.readFileSync(path.join(unsharded, 'summary.json'), 'utf8'));
  });
});
