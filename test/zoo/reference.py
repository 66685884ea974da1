#!/usr/bin/python3
"""Brute-force reference for the CNN Fixations walk, written from ALGORITHM.md alone (no code shared
with src/unravel): numpy, one fixation at a time, multi-dimensional coordinates instead of flat-index
arithmetic, and layout ops answered by applying the op itself to a tensor of indices.

It reads the model with the onnx package and the activations the product's forward pass kept (dumped by
the test as raw little-endian arrays), so both sides see the same numbers and any difference is a rule
difference. Ties go to the first candidate in row-major order (np.argmax), as ALGORITHM.md says; for
quantized operands the contributions are compared as exact integers (the scales factored out), and exact
ties are reported so a test can tell a tie broken differently from a wrong rule.

Usage: reference.py MODEL VALUES_DIR QUERIES_JSON
  → prints {"results": [{tensor: [flat indices]}, ...], "ties": [{tensor: [flat indices that tied exactly]}, ...]}
QUERIES_JSON: {"output": name, "input": name, "queries": [{"index": k, "convMode": m, "flattenMode": m}]}
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

PASS_THROUGH = {
    'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu',
    'Softplus', 'Softsign', 'ThresholdedRelu', 'Mish', 'Gelu', 'BatchNormalization', 'InstanceNormalization',
    'Dropout', 'Identity', 'LRN', 'Softmax', 'LogSoftmax', 'Cast', 'QuantizeLinear', 'DequantizeLinear',
}
SAME_INDEX = {'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'}
VIEWS = SAME_INDEX | {'Identity', 'Dropout'}  # same elements, same order
DTYPES = {'float32': np.float32, 'float64': np.float64, 'uint8': np.uint8, 'int8': np.int8, 'int32': np.int32,
          'int16': np.int16, 'uint16': np.uint16, 'uint32': np.uint32}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def text(v, default):
    return v.decode() if isinstance(v, bytes) else (v if v is not None else default)


class Reference:
    def __init__(self, model_path, values_dir):
        self.model = onnx.load(model_path)  # external data loads from beside the model
        g = self.model.graph
        self.nodes = list(g.node)  # an exported graph is stored in topological order
        self.producer = {o: n for n in self.nodes for o in n.output if o}
        self.consumers = {}
        for n in self.nodes:
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)
        self.consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.int_weights = {}  # dequantized constants as exact integers (q - zero)
        self.ties = {}  # tensor → input positions that tied exactly with the chosen one, per walk
        index = json.load(open(os.path.join(values_dir, 'values.json')))
        self.values = {}
        for name, meta in index.items():
            raw = np.fromfile(os.path.join(values_dir, meta['file']), dtype=DTYPES[meta['dtype']])
            self.values[name] = raw.reshape(meta['dims'])
        inferred = shape_inference.infer_shapes(self.model)
        self.shapes = {}
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
            dims = [d.dim_value if d.HasField('dim_value') and d.dim_value > 0 else None for d in vi.type.tensor_type.shape.dim]
            if vi.type.tensor_type.HasField('shape') and None not in dims[1:]:
                self.shapes[vi.name] = tuple(1 if d is None else d for d in dims)  # a symbolic batch is 1
        for name, v in self.values.items():
            self.shapes[name] = tuple(v.shape)
        self._fold_constants()
        # Shape arithmetic folded with the known shapes gives constant Slice bounds; onnx's inference, run again
        # with them as initializers, then knows the shapes after the Slice, which may feed more Shape nodes.
        for _ in range(len(self.nodes)):
            before = len(self.shapes)
            self._infer_with_folded()
            self._fold_constants()
            if len(self.shapes) == before:
                break
        for name, v in self.consts.items():
            self.shapes[name] = tuple(v.shape)

    def _infer_with_folded(self):
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        g = m.graph
        have = {i.name for i in g.initializer}
        folded = {n.output[0] for n in self.nodes if n.op_type != 'Constant' and n.output and n.output[0] in self.consts} - have
        keep = [n for n in g.node if not (n.output and n.output[0] in folded)]
        del g.node[:]
        g.node.extend(keep)
        for name in folded:
            g.initializer.append(numpy_helper.from_array(np.asarray(self.consts[name]), name))
        for vi in shape_inference.infer_shapes(m).graph.value_info:
            dims = [d.dim_value if d.HasField('dim_value') and d.dim_value > 0 else None for d in vi.type.tensor_type.shape.dim]
            if vi.name not in self.shapes and vi.type.tensor_type.HasField('shape') and None not in dims[1:]:
                self.shapes[vi.name] = tuple(1 if d is None else d for d in dims)

    # ---- constants ------------------------------------------------------------------------------
    def _fold_constants(self):
        """Constants, and what folds from them: dequantized weights, reshaped constants, and the shape
        arithmetic exporters emit (Shape → Gather → Div → Slice bounds), evaluated with the known shapes."""
        for n in self.nodes:
            a = attrs(n)
            if n.op_type == 'Constant':
                if 'value' in a:
                    self.consts[n.output[0]] = numpy_helper.to_array(a['value'])
                continue
            if n.op_type == 'Shape' and n.input[0] in self.shapes:
                self.consts[n.output[0]] = np.array(self.shapes[n.input[0]], np.int64)
                continue
            ins = [i for i in n.input if i]
            if not ins or any(i not in self.consts for i in ins):
                continue
            c = [self.consts.get(i) if i else None for i in n.input]
            out = None
            if n.op_type == 'DequantizeLinear':
                out = self._dequantize(c[0], c[1], c[2] if len(c) > 2 else None, a.get('axis', 1))
                if np.issubdtype(c[0].dtype, np.integer):
                    # (q - zero) kept exactly: with the scales factored out, quantized ties stay exact ties.
                    zero = np.zeros(1) if len(c) < 3 or c[2] is None else c[2].astype(np.int64)
                    if zero.size > 1:
                        shape = [1] * c[0].ndim
                        shape[a.get('axis', 1)] = -1
                        zero = zero.reshape(shape)
                    self.int_weights[n.output[0]] = c[0].astype(np.int64) - zero
            elif n.op_type in ('Identity', 'Cast'):
                out = c[0]
            elif n.op_type in ('Reshape',):
                shape = [c[0].shape[i] if d == 0 else d for i, d in enumerate(c[1].tolist())]
                out = c[0].reshape(shape)
            elif n.op_type == 'Transpose':
                out = np.transpose(c[0], a.get('perm'))
            elif n.op_type == 'Unsqueeze':
                out = np.expand_dims(c[0], tuple(a.get('axes') or c[1].tolist()))
            elif n.op_type == 'Squeeze':
                ax = a.get('axes') or (c[1].tolist() if len(c) > 1 and c[1] is not None else None)
                out = np.squeeze(c[0], tuple(ax) if ax else None)
            elif n.op_type == 'Gather':
                out = np.take(c[0], c[1], axis=a.get('axis', 0))
            elif n.op_type == 'Concat':
                out = np.concatenate([np.atleast_1d(v) for v in c], axis=a['axis'])
            elif n.op_type in ('Add', 'Sub', 'Mul'):
                out = {'Add': np.add, 'Sub': np.subtract, 'Mul': np.multiply}[n.op_type](c[0], c[1])
            elif n.op_type == 'Div':
                integer = np.issubdtype(c[0].dtype, np.integer)
                out = (np.trunc(c[0] / c[1]).astype(c[0].dtype)) if integer else c[0] / c[1]
            if out is not None:
                self.consts[n.output[0]] = np.asarray(out)

    @staticmethod
    def _dequantize(q, scale, zero, axis):
        q = q.astype(np.float64)
        zero = np.zeros_like(scale, dtype=np.float64) if zero is None else zero.astype(np.float64)
        scale = scale.astype(np.float64)
        if scale.size > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        return (q - zero) * scale

    def is_const(self, name):
        return name in self.consts

    # ---- activations ----------------------------------------------------------------------------
    def value(self, name):
        """A tensor's values (float64, batch included), from the dump or a dequantized dumped tensor."""
        if name in self.values:
            return self.values[name].astype(np.float64)
        if name in self.consts:
            return self.consts[name].astype(np.float64)
        p = self.producer.get(name)
        # The product keeps a view's source (Reshape, Flatten, ...) or a DequantizeLinear's quantized input
        # instead of the tensor itself; recompute the tensor from it.
        if p is not None and p.op_type == 'DequantizeLinear':
            z = self.consts.get(p.input[2]) if len(p.input) > 2 and p.input[2] else None
            return self._dequantize(self.value_raw(p.input[0]), self.consts[p.input[1]], z, attrs(p).get('axis', 1))
        if p is not None and p.op_type in VIEWS:
            return self.value(p.input[0]).reshape(self.shape(name))
        raise KeyError(f'the reference needs the values of {name!r}, which the forward pass did not keep')

    def quantized(self, name):
        """(q - zero) as exact integers when the tensor is a per-tensor DequantizeLinear of a kept tensor."""
        p = self.producer.get(name)
        if p is not None and p.op_type in VIEWS:
            q = self.quantized(p.input[0])
            return None if q is None else q.reshape(self.shape(name))
        if p is None or p.op_type != 'DequantizeLinear' or self.consts.get(p.input[1], np.zeros(2)).size != 1:
            return None
        try:
            q = self.value_raw(p.input[0])
        except KeyError:
            return None
        zero = int(self.consts[p.input[2]]) if len(p.input) > 2 and p.input[2] else 0
        return q.astype(np.int64) - zero

    def tie(self, tensor, candidates):
        if len(candidates) > 1:
            self.ties.setdefault(tensor, set()).update(int(c) for c in candidates)

    def value_raw(self, name):
        """A tensor's stored values, quantized ones left as they are."""
        if name in self.values:
            return self.values[name]
        p = self.producer.get(name)
        if p is not None and p.op_type in VIEWS:
            return self.value_raw(p.input[0]).reshape(self.shape(name))
        raise KeyError(f'the reference needs the values of {name!r}, which the forward pass did not keep')

    def shape(self, name):
        if name in self.shapes:
            return self.shapes[name]
        raise KeyError(f'no shape for {name!r}')

    # ---- window geometry (ONNX semantics) -------------------------------------------------------
    @staticmethod
    def window(a, in_hw, kernel):
        """Per spatial axis: (stride, dilation, pad_begin) after auto_pad."""
        strides = a.get('strides', [1, 1])
        dil = a.get('dilations', [1, 1])
        auto = text(a.get('auto_pad'), 'NOTSET')
        out = []
        for i in range(2):
            if auto in ('SAME_UPPER', 'SAME_LOWER'):
                n_out = -(-in_hw[i] // strides[i])
                total = max(0, (n_out - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - in_hw[i])
                begin = total // 2 if auto == 'SAME_UPPER' else total - total // 2
            elif auto == 'VALID':
                begin = 0
            else:
                begin = a.get('pads', [0, 0, 0, 0])[i]
            out.append((strides[i], dil[i], begin))
        return out

    @staticmethod
    def taps(o, stride, dil, begin, k, size):
        """Input coordinates of the k taps of output position o, and which are inside the input."""
        coords = o * stride - begin + np.arange(k) * dil
        return coords, (coords >= 0) & (coords < size)

    # ---- rules ----------------------------------------------------------------------------------
    def bn_scale(self, conv_out, channels):
        """ALGORITHM.md: fold a following BatchNormalization (the conv output's only consumer) into W."""
        users = self.consumers.get(conv_out, [])
        if len(users) != 1 or users[0].op_type != 'BatchNormalization':
            return np.ones(channels)
        bn = users[0]
        gamma, var = self.consts.get(bn.input[1]), self.consts.get(bn.input[4])
        if gamma is None or var is None:
            return np.ones(channels)
        return gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + attrs(bn).get('epsilon', 1e-5))

    def conv(self, node, fix, mode):
        a = attrs(node)
        # Quantized activation and weight: compare integer contributions; the scales are one positive
        # factor per output channel, so exact ties stay ties (ALGORITHM.md: the first one wins).
        xi, wi = self.quantized(node.input[0]), self.int_weights.get(node.input[1])
        exact = xi is not None and wi is not None
        x = xi[0] if exact else self.value(node.input[0])[0]
        w = wi if exact else self.consts[node.input[1]].astype(np.float64)
        cout, cin_g, kh, kw = w.shape
        groups = a.get('group', 1)
        out_shape = self.shape(node.output[0])
        (sy, dy, py), (sx, dx, px) = self.window(a, x.shape[1:], (kh, kw))
        fold = self.bn_scale(node.output[0], cout)
        if exact:
            fold = np.sign(fold)
        full = (1,) + x.shape
        parents = set()
        for f in fix:
            _, c, oy, ox = np.unravel_index(f, out_shape)
            g = c // (cout // groups)
            ys, yok = self.taps(oy, sy, dy, py, kh, x.shape[1])
            xs, xok = self.taps(ox, sx, dx, px, kw, x.shape[2])
            chans = np.arange(g * cin_g, (g + 1) * cin_g)
            if yok.any() and xok.any():
                r = x[np.ix_(chans, ys[yok], xs[xok])]
                q = r * w[c][:, yok][:, :, xok]
                sums = q.reshape(cin_g, -1).sum(axis=1) * fold[c]
                best = int(np.argmax(sums))
                tied = np.nonzero(sums == sums[best])[0]
                if mode == 'center':
                    y, xx = oy * sy, ox * sx
                    self.tie(node.input[0], [np.ravel_multi_index((0, chans[t], min(max(y, 0), x.shape[1] - 1), min(max(xx, 0), x.shape[2] - 1)), full) for t in tied])
                else:
                    def score(ch):
                        return r[ch] if mode == 'activation' else q[ch] * fold[c]
                    u, v = np.unravel_index(int(np.argmax(score(best))), score(best).shape)
                    y, xx = ys[yok][u], xs[xok][v]
                    cands = []
                    for t in tied:
                        sc = score(t)
                        for uu, vv in zip(*np.nonzero(sc == sc.max())):
                            cands.append(np.ravel_multi_index((0, chans[t], ys[yok][uu], xs[xok][vv]), full))
                    self.tie(node.input[0], cands)
            else:
                best, y, xx = 0, oy * sy, ox * sx
            y = min(max(y, 0), x.shape[1] - 1)
            xx = min(max(xx, 0), x.shape[2] - 1)
            parents.add(int(np.ravel_multi_index((0, chans[best], y, xx), full)))
        return {node.input[0]: parents}

    def window_pool(self, node, fix):
        a = attrs(node)
        x = self.value(node.input[0])[0]
        out_shape = self.shape(node.output[0])
        k = a['kernel_shape']
        (sy, dy, py), (sx, dx, px) = self.window(a, x.shape[1:], k)
        parents = set()
        for f in fix:
            _, c, oy, ox = np.unravel_index(f, out_shape)
            ys, yok = self.taps(oy, sy, dy, py, k[0], x.shape[1])
            xs, xok = self.taps(ox, sx, dx, px, k[1], x.shape[2])
            win = x[c][np.ix_(ys[yok], xs[xok])]
            u, v = np.unravel_index(int(np.argmax(win)), win.shape)
            parents.add(int(np.ravel_multi_index((0, c, ys[yok][u], xs[xok][v]), (1,) + x.shape)))
        return {node.input[0]: parents}

    def reduce(self, node, fix):
        a = attrs(node)
        x = self.value(node.input[0])
        rank = x.ndim
        if node.op_type.startswith('Global'):
            axes = list(range(2, rank))
            keep = True
        else:
            axes = a.get('axes')
            if axes is None and len(node.input) > 1 and node.input[1]:
                axes = self.consts[node.input[1]].tolist()
            axes = sorted(ax % rank for ax in (axes if axes else range(rank)))
            keep = bool(a.get('keepdims', 1))
        kept_axes = [i for i in range(rank) if i not in axes]
        out_shape = self.shape(node.output[0])
        parents = set()
        for f in fix:
            oc = np.unravel_index(f, out_shape)
            sel = []
            for i in range(rank):
                if i in axes:
                    sel.append(slice(None))
                else:
                    sel.append(oc[i] if keep else oc[kept_axes.index(i)])
            region = x[tuple(sel)]
            r = np.unravel_index(int(np.argmax(region)), region.shape)
            full, j = [], 0
            for i in range(rank):
                if i in axes:
                    full.append(r[j])
                    j += 1
                else:
                    full.append(sel[i])
            parents.add(int(np.ravel_multi_index(tuple(full), x.shape)))
        return {node.input[0]: parents}

    def flattened_spatial(self, name):
        """Whether an FC input is a Flatten/Reshape (through pass-through ops) of a map with spatial size > 1."""
        for _ in range(16):
            p = self.producer.get(name)
            if p is None:
                return False
            if p.op_type in ('Flatten', 'Reshape'):
                s = self.shape(p.input[0])
                return len(s) >= 3 and int(np.prod(s[2:])) > 1
            if p.op_type not in PASS_THROUGH:
                return False
            name = p.input[0]
        return False

    def fully_connected(self, node, fix, flatten_mode):
        a = attrs(node)
        act = node.input[0]
        xi, bi = self.quantized(act), self.int_weights.get(node.input[1])
        exact = xi is not None and bi is not None  # integer contributions, as for conv
        x = xi if exact else self.value(act)
        b = bi if exact else self.consts[node.input[1]].astype(np.float64)
        sign = 1.0
        if node.op_type == 'Gemm':
            if a.get('transA', 0):
                x = x.T
            if a.get('transB', 0):
                b = b.T
            sign = np.sign(a.get('alpha', 1.0)) or 1.0
        x2 = x.reshape(-1, x.shape[-1])
        b2 = b.reshape(b.shape[0], -1)
        mode = flatten_mode if self.flattened_spatial(act) else 'positive'
        parents = set()
        n_out = b2.shape[1]
        for f in fix:
            m, j = divmod(int(f), n_out)
            q = x2[m] * b2[:, j] * sign
            chosen = np.nonzero(q > 0)[0] if mode == 'positive' else []
            if len(chosen) == 0:
                chosen = [int(np.argmax(q))]
                tied = np.nonzero(q == q[chosen[0]])[0]
                if len(tied) > 1 and not (node.op_type == 'Gemm' and a.get('transA', 0)):
                    self.tie(act, [m * x2.shape[1] + int(t) for t in tied])
            for i in chosen:
                # back to the activation's own layout (transA swaps it)
                if node.op_type == 'Gemm' and a.get('transA', 0):
                    parents.add(int(i) * x2.shape[0] + m)
                else:
                    parents.add(m * x2.shape[1] + int(i))
        return {act: parents}

    def elementwise(self, node, fix):
        out_shape = self.shape(node.output[0])
        full = [i for i in node.input if i and not self.is_const(i) and tuple(self.shape(i)) == tuple(out_shape)]
        if not full:
            return {}
        if len(full) == 1 or node.op_type == 'Mul':
            return {i: set(fix) for i in full}
        if node.op_type in ('Sub', 'Div'):
            raise NotImplementedError(f'{node.op_type} of two activations')
        stacked = np.stack([self.value(i).reshape(-1) for i in full])
        sent = {i: set() for i in full}
        for f in fix:
            sent[full[int(np.argmax(stacked[:, f]))]].add(f)
        return sent

    def index_map(self, node):
        """For layout ops: per input, an array giving for each output element its input flat index (-1: none)."""
        a = attrs(node)
        x_shape = self.shape(node.input[0])
        ar = np.arange(int(np.prod(x_shape))).reshape(x_shape)
        op = node.op_type
        if op == 'Transpose':
            return {node.input[0]: [np.transpose(ar, a.get('perm')).ravel()]}
        if op == 'Slice':
            ints = [self.consts[i].tolist() if i else None for i in list(node.input[1:]) + [''] * (5 - len(node.input))]
            starts, ends, axes, steps = ints[0], ints[1], ints[2], ints[3]
            axes = axes if axes is not None else list(range(len(starts)))
            steps = steps if steps is not None else [1] * len(starts)
            sl = [slice(None)] * ar.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[ax] = slice(s, e, st)
            return {node.input[0]: [ar[tuple(sl)].ravel()]}
        if op == 'Pad':
            pads = a.get('pads') or self.consts[node.input[1]].tolist()
            r = ar.ndim
            mode = text(a.get('mode'), 'constant')
            width = [(pads[i], pads[i + r]) for i in range(r)]
            padded = np.pad(ar, width, mode='constant', constant_values=-1) if mode == 'constant' else np.pad(ar, width, mode=mode)
            return {node.input[0]: [padded.ravel()]}
        if op == 'Split':
            axis = a.get('axis', 0) % ar.ndim
            sizes = a.get('split') or (self.consts[node.input[1]].tolist() if len(node.input) > 1 and node.input[1] else None)
            if sizes is None:
                sizes = [x_shape[axis] // len(node.output)] * len(node.output)
            parts = np.split(ar, np.cumsum(sizes)[:-1], axis=axis)
            return {node.input[0]: [p.ravel() for p in parts]}
        raise NotImplementedError(op)

    def concat(self, node, fix):
        axis = attrs(node)['axis']
        shapes = [self.shape(i) for i in node.input]
        tags = np.concatenate([np.full(s, k) for k, s in enumerate(shapes)], axis=axis).ravel()
        local = np.concatenate([np.arange(int(np.prod(s))).reshape(s) for s in shapes], axis=axis).ravel()
        sent = {}
        for f in fix:
            name = node.input[tags[f]]
            if not self.is_const(name):
                sent.setdefault(name, set()).add(int(local[f]))
        return sent

    # ---- the walk -------------------------------------------------------------------------------
    def back(self, node, outs, conv_mode, flatten_mode):
        op = node.op_type
        fix = sorted(outs.get(node.output[0], ()))
        if op in PASS_THROUGH or op in SAME_INDEX:
            return {node.input[0]: set(fix)}
        if op == 'Conv':
            return self.conv(node, fix, conv_mode)
        if op in ('MaxPool', 'AveragePool'):
            return self.window_pool(node, fix)
        if op in ('GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax'):
            return self.reduce(node, fix)
        if op in ('Gemm', 'MatMul'):
            return self.fully_connected(node, fix, flatten_mode)
        if op in ('Add', 'Sum', 'Mul', 'Sub', 'Div'):
            return self.elementwise(node, fix)
        if op == 'Concat':
            return self.concat(node, fix)
        if op in ('Transpose', 'Slice', 'Pad', 'Split'):
            maps = self.index_map(node)[node.input[0]]
            parents = set()
            for k, out in enumerate(node.output):
                for f in outs.get(out, ()):
                    p = int(maps[k][f])
                    if p >= 0:
                        parents.add(p)
            return {node.input[0]: parents}
        raise NotImplementedError(f'the reference has no rule for {op}')

    def walk(self, output, index, conv_mode, flatten_mode):
        self.ties = {}
        pending = {output: {index}}
        record = {}
        for node in reversed(self.nodes):
            outs = {o: pending[o] for o in node.output if pending.get(o)}
            if not outs:
                continue
            for o, s in outs.items():
                record[o] = sorted(int(v) for v in s)
            for name, sent in self.back(node, outs, conv_mode, flatten_mode).items():
                if sent and not self.is_const(name):
                    pending.setdefault(name, set()).update(int(v) for v in sent)
        return record, sorted(pending.get(self.model.graph.input[0].name, ()))


def main():
    model, values_dir, queries_file = sys.argv[1:4]
    q = json.load(open(queries_file))
    ref = Reference(model, values_dir)
    results, ties = [], []
    for query in q['queries']:
        record, inputs = ref.walk(q['output'], query['index'], query['convMode'], query['flattenMode'])
        record[q['input']] = inputs
        results.append(record)
        ties.append({t: sorted(c) for t, c in ref.ties.items()})
    json.dump({'results': results, 'ties': ties}, sys.stdout)


if __name__ == '__main__':
    main()
