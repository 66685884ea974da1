// The kernel table: every op of the default ONNX domain that constant folding can compute, keyed by op type.
// Ops without a kernel are those whose value is not a function of known tensors (random generators), that hold
// subgraphs (If, Loop, Scan), work on sequences, strings or optional values, or are the heavy layers of a
// network (Conv, pools, normalizations, recurrent cells), which never sit on a path of constants.
import type { OnnxNode } from '../../onnx/graph';
import { binaryKernels, otherElementwise, unaryKernels } from './elementwise';
import type { Kernel } from './kernel';
import { layoutKernels } from './layout';
import { reduceKernels } from './reduce';

export type { Kernel } from './kernel';

const table: ReadonlyMap<string, Kernel> = new Map(
  Object.entries({ ...unaryKernels, ...binaryKernels, ...otherElementwise, ...layoutKernels, ...reduceKernels }),
);

/** The kernel computing `node` (default domain only), or undefined. */
export function kernelFor(node: OnnxNode): Kernel | undefined {
  return node.domain === '' || node.domain === 'ai.onnx' ? table.get(node.opType) : undefined;
}

/** The op types with a kernel, for the tests and the documentation. */
export const kernelOps: readonly string[] = [...table.keys()].sort();
