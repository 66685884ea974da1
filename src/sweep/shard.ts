// Shards: a deterministic 1/n of the images by a hash of each image's relative path, so that n machines
// (a Kubernetes Indexed Job, a CI matrix, a Slurm array) each take one without talking to each other, and
// an image stays in its shard however the folder grows.
import { createHash } from 'node:crypto';
import type { Shard } from './record';

/** "i/n" (0 ≤ i < n), or why not. */
export function parseShard(text: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return `--shard takes i/n, e.g. 0/4 (shard 0 of 4), got '${text}'`;
  const index = Number(m[1]),
    count = Number(m[2]);
  if (count < 1 || count > 100000) return `--shard: the shard count must be from 1 to 100000, got ${count}`;
  if (index >= count) return `--shard: shards of ${count} are numbered 0 to ${count - 1}, got ${index}`;
  return { index, count };
}

/** The shard an image belongs to among `count`: the first 4 bytes of the SHA-256 of its relative path, modulo count. */
export function shardOf(rel: string, count: number): number {
  return createHash('sha256').update(rel, 'utf8').digest().readUInt32BE(0) % count;
}

export const inShard = (rel: string, shard: Shard | null): boolean => !shard || shardOf(rel, shard.count) === shard.index;
