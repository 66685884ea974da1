#!/usr/bin/python3
"""Brute-force reference for the CNN Fixations walk, written from ALGORITHM.md alone (no code shared
with src/unravel): numpy, one fixation at a time, multi-dimensional coordinates instead of flat-index
arithmetic, and layout ops answered by applying the op itself to a tensor of indices.

It reads the model with the onnx package and the activations the product's forward pass kept (dumped by
the test as raw little-endian arrays), so both sides see the same numbers and any difference is a rule
difference. Ties go to the first candidate in row-major order (np.argmax), as ALGORITHM.md says; for
quantized operands the contributions are compared as exact integers (the scales factored out), and exact
ties are reported so a test can tell a tie broken differently from a wrong rule.

Masses and class contrasts (ALGORITHM.md, weighted and class-discriminative explanations): every fixation
carries a mass, the target 1; a rule with one parent passes it whole, the FC rule splits it over the kept
inputs in proportion to their contributions (integer ones for quantized operands: the factored scale is one
per neuron, so the shares are the same), a Mul of two followed operands gives each half, masses on one element
add, and what a node sends is scaled back to what reached it when some fixations found no parent (constant
padding, constant operands); the input's masses are normalized to 1. A contrast replaces the target's weight
vector at the first node with weights on its path (Gemm/MatMul column, conv output channel, found for each class
by walking it back there) by sum_n c_n W[n] (times a sole following BatchNormalization's scale for a conv), in
real values (dequantized weights in float32, as DequantizeLinear computes them), then applies the usual rule.

Usage: reference.py MODEL VALUES_DIR QUERIES_JSON
       reference.py --self-test        (ALGORITHM.md's hand checks on tiny graphs built here)
QUERIES_JSON: {"output": name, "input": name, "logits": [the product's logits, optional],
               "queries": [{"index": k, "convMode": m, "flattenMode": m,
                            "mode": "paper" | "weighted" | "discriminative" | "versus", "versus": B}]}
→ prints {"results": [{tensor: [sorted flat indices]}, ...], "masses": [{tensor: [masses, same order]} or null in
  mode paper, ...], "ties": [{tensor: [flat indices that tied exactly]}, ...], "lost": [{node: fraction of the mass
  reaching it that found no parent}, ...], "contrastNode": [node name or null, ...], "errors": [message or null,
  ...], "logitsDiff": largest difference between the given logits and the reference's own}
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
    'LayerNormalization', 'Shrink', 'Erf', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Floor', 'Ceil', 'Round',
    'Sign', 'Sin', 'Cos',
}
LAYOUT = {'Transpose', 'Slice', 'Pad', 'Split', 'Gather', 'DepthToSpace', 'SpaceToDepth'}  # answered by index_map
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
        # Nor a float Conv's output that only an Add, Sum, Max or Min reads: the conv computed again from its
        # input, in double precision rounded to float32.
        if p is not None and p.op_type == 'Conv' and p.input[1] in self.consts:
            return self.conv_output(p)
        # Nor a conv's input made by a BatchNormalization (and a ReLU) of a channel Concat: made again from the
        # Concat's inputs, each value x·s + t (s = γ/√(σ² + ε), t = β − μ·s, in double precision) rounded to float32.
        if p is not None and p.op_type == 'Relu':
            return np.maximum(self.value(p.input[0]), 0)
        if p is not None and p.op_type == 'BatchNormalization':
            x = self.value(p.input[0])
            gamma, beta, mean, var = (self.consts[i].astype(np.float64) for i in p.input[1:5])
            s = gamma / np.sqrt(var + np.float64(np.float32(attrs(p).get('epsilon', 1e-5))))
            shape = (1, -1) + (1,) * (x.ndim - 2)
            return (x * s.reshape(shape) + (beta - mean * s).reshape(shape)).astype(np.float32).astype(np.float64)
        if p is not None and p.op_type == 'Concat':
            return np.concatenate([self.value(i) for i in p.input], axis=attrs(p)['axis'])
        raise KeyError(f'the reference needs the values of {name!r}, which the forward pass did not keep')

    def conv_output(self, node):
        a = attrs(node)
        x = self.value(node.input[0])
        w = self.consts[node.input[1]].astype(np.float64)
        bias = node.input[2] if len(node.input) > 2 else ''
        cout, cin_g, kh, kw = w.shape
        cg = cout // a.get('group', 1)
        n, cin, h, wd = x.shape
        oh, ow = self.shape(node.output[0])[2:]
        (sy, dy, py), (sx, dx, px) = self.window(a, (h, wd), (kh, kw))
        # zero padding on every side, wide enough for any tap
        pad = max(py, px) + (max(kh, kw) - 1) * max(dy, dx) + max(sy, sx) * max(oh, ow)
        xp = np.zeros((n, cin, h + 2 * pad, wd + 2 * pad))
        xp[:, :, pad:pad + h, pad:pad + wd] = x
        out = np.zeros((n, cout, oh, ow))
        for u in range(kh):
            for v in range(kw):
                ys = pad + np.arange(oh) * sy - py + u * dy
                xs = pad + np.arange(ow) * sx - px + v * dx
                patch = xp[:, :, ys][:, :, :, xs]
                for g in range(cout // cg):
                    out[:, g * cg:(g + 1) * cg] += np.einsum('nchw,oc->nohw', patch[:, g * cin_g:(g + 1) * cin_g], w[g * cg:(g + 1) * cg, :, u, v])
        if bias:
            out += self.consts[bias].astype(np.float64).reshape(1, -1, 1, 1)
        return out.astype(np.float32).astype(np.float64)

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
        parents = {}
        for f, mass in fix.items():
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
            give(parents, int(np.ravel_multi_index((0, chans[best], y, xx), full)), mass)
        return {node.input[0]: parents}

    def conv_transpose(self, node, fix, mode):
        """ALGORITHM.md, ConvTranspose: the Conv rule seen from the output. Output (c, y, x) sums a[ci, iy, ix]·W[ci, c', u, v]
        over the taps with iy·stride − padBegin + u·dilation = y (and along x); in c's group the input channel with
        the largest sum, then the position among its taps by conv mode (center: (y // stride, x // stride), kept in
        bounds). Taps are visited in the input's row-major order, so ties go to the first input position. An output
        element no tap reaches has no parent."""
        a = attrs(node)
        x = self.value(node.input[0])[0]
        w = self.consts[node.input[1]].astype(np.float64)
        cin, cout_g, kh, kw = w.shape
        groups = a.get('group', 1)
        cin_g = cin // groups
        out_shape = self.shape(node.output[0])
        strides, dil = a.get('strides', [1, 1]), a.get('dilations', [1, 1])
        auto = text(a.get('auto_pad'), 'NOTSET')
        begin = []
        for i, k in enumerate((kh, kw)):
            if 'output_shape' in a or auto in ('SAME_UPPER', 'SAME_LOWER'):
                total = strides[i] * (x.shape[1 + i] - 1) + a.get('output_padding', [0, 0])[i] + (k - 1) * dil[i] + 1 - out_shape[2 + i]
                begin.append(total // 2 if auto == 'SAME_UPPER' else total - total // 2)
            else:
                begin.append(a.get('pads', [0, 0, 0, 0])[i] if auto != 'VALID' else 0)

        def taps(o, i, k, size):
            """(input coordinate, kernel tap) pairs reaching output coordinate o along axis i, input coordinates ascending."""
            pairs = []
            for u in range(k):
                num = o + begin[i] - u * dil[i]
                if num % strides[i] == 0 and 0 <= num // strides[i] < size:
                    pairs.append((num // strides[i], u))
            return sorted(pairs)

        full = (1,) + x.shape
        parents = {}
        for f, mass in fix.items():
            _, c, oy, ox = np.unravel_index(f, out_shape)
            g, cl = c // cout_g, c % cout_g
            ty, tx = taps(oy, 0, kh, x.shape[1]), taps(ox, 1, kw, x.shape[2])
            if not ty or not tx:
                continue  # the bias alone: no parent
            chans = np.arange(g * cin_g, (g + 1) * cin_g)
            iy, u = np.array([t[0] for t in ty]), np.array([t[1] for t in ty])
            ix, v = np.array([t[0] for t in tx]), np.array([t[1] for t in tx])
            r = x[np.ix_(chans, iy, ix)]  # [cin_g, taps y, taps x]
            q = r * w[chans, cl][:, u][:, :, v]
            sums = q.reshape(cin_g, -1).sum(axis=1)
            best = int(np.argmax(sums))
            self.tie(node.input[0], [np.ravel_multi_index((0, chans[t], 0, 0), full) for t in np.nonzero(sums == sums[best])[0]])
            if mode == 'center':
                y, xx = min(oy // strides[0], x.shape[1] - 1), min(ox // strides[1], x.shape[2] - 1)
            else:
                score = r[best] if mode == 'activation' else q[best]
                p, pp = np.unravel_index(int(np.argmax(score)), score.shape)
                y, xx = iy[p], ix[pp]
            give(parents, int(np.ravel_multi_index((0, chans[best], y, xx), full)), mass)
        return {node.input[0]: parents}

    def window_pool(self, node, fix):
        a = attrs(node)
        x = self.value(node.input[0])[0]
        out_shape = self.shape(node.output[0])
        k = a['kernel_shape']
        (sy, dy, py), (sx, dx, px) = self.window(a, x.shape[1:], k)
        parents = {}
        for f, mass in fix.items():
            _, c, oy, ox = np.unravel_index(f, out_shape)
            ys, yok = self.taps(oy, sy, dy, py, k[0], x.shape[1])
            xs, xok = self.taps(ox, sx, dx, px, k[1], x.shape[2])
            win = x[c][np.ix_(ys[yok], xs[xok])]
            u, v = np.unravel_index(int(np.argmax(win)), win.shape)
            give(parents, int(np.ravel_multi_index((0, c, ys[yok][u], xs[xok][v]), (1,) + x.shape)), mass)
        return {node.input[0]: parents}

    def resize_weights(self, node, axis, n_in, n_out):
        """Resize / Upsample along one axis: W[o, i], the weight output coordinate o gives input coordinate i,
        from ONNX's own reference interpolation (onnx.backend.test.case.node.resize) of one-hot rows."""
        from onnx.backend.test.case.node import resize as onnx_resize
        a = attrs(node)
        mode = text(a.get('mode'), 'nearest')
        legacy = node.op_type == 'Upsample' or len(node.input) <= 2
        if mode == 'nearest':
            near = 'floor' if legacy else text(a.get('nearest_mode'), 'round_prefer_floor')
            coeffs = lambda r, *_: onnx_resize.nearest_coeffs(r, mode=near)
        elif mode in ('linear', 'bilinear'):
            coeffs = lambda r, *_: onnx_resize.linear_coeffs(r)
        else:
            coeffs = lambda r, *_: onnx_resize.cubic_coeffs(r, A=a.get('cubic_coeff_a', -0.75))
        if node.op_type == 'Upsample':
            scales = a.get('scales') or self.consts[node.input[1]].tolist()
        else:
            given = [self.consts[i] if i and i in self.consts and self.consts[i].size else None for i in list(node.input[1:]) + [''] * 3]
            scales = (given[0] if legacy else given[1])
            scales = scales.tolist() if scales is not None else None
        kw = dict(coordinate_transformation_mode='asymmetric' if legacy else text(a.get('coordinate_transformation_mode'), 'half_pixel'),
                  exclude_outside=bool(a.get('exclude_outside', 0)))
        w = np.zeros((n_out, n_in))
        for i in range(n_in):
            one = np.eye(n_in)[i]
            if scales is not None:
                w[:, i] = onnx_resize.interpolate_nd(one, coeffs, scale_factors=[scales[axis]], **kw)
            else:
                w[:, i] = onnx_resize.interpolate_nd(one, coeffs, output_size=[n_out], **kw)
        return w

    def resize(self, node, fix):
        """ALGORITHM.md, Resize: nearest → the source element; linear / cubic → among the taps (nonzero weights) the
        largest weight × activation, the first in row-major order on ties. One parent: the whole mass."""
        x_shape = self.shape(node.input[0])
        out_shape = self.shape(node.output[0])
        ws = [self.resize_weights(node, k, x_shape[k], out_shape[k]) for k in range(len(x_shape))]
        x = None if text(attrs(node).get('mode'), 'nearest') == 'nearest' else self.value(node.input[0])
        parents = {}
        for f, mass in fix.items():
            o = np.unravel_index(f, out_shape)
            w = ws[0][o[0]]
            for k in range(1, len(ws)):
                w = np.multiply.outer(w, ws[k][o[k]])
            score = np.where(w != 0, w * (x if x is not None else 1.0), -np.inf).ravel()
            give(parents, int(np.argmax(score)), mass)
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
        parents = {}
        for f, mass in fix.items():
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
            give(parents, int(np.ravel_multi_index(tuple(full), x.shape)), mass)
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

    def fc_operands(self, node, real=False):
        """(activation rows, weight columns, sign of alpha, transA) of a fully connected node. Quantized operands
        as exact integers (the scales factored out) unless `real`: then dequantized, the weights in float32 as
        ONNX's DequantizeLinear computes them (the contrast combines neurons whose scales differ)."""
        a = attrs(node)
        act = node.input[0]
        xi, bi = self.quantized(act), self.int_weights.get(node.input[1])
        exact = not real and xi is not None and bi is not None  # integer contributions, as for conv
        x = xi if exact else self.value(act)
        b = bi if exact else self.real_weight(node.input[1])
        sign = 1.0
        trans_a = node.op_type == 'Gemm' and bool(a.get('transA', 0))
        if node.op_type == 'Gemm':
            if trans_a:
                x = x.T
            if a.get('transB', 0):
                b = b.T
            sign = np.sign(a.get('alpha', 1.0)) or 1.0
        return x.reshape(-1, x.shape[-1]), b.reshape(b.shape[0], -1), sign, trans_a

    def real_weight(self, name):
        """A constant weight's real values: float32 (a dequantized int8 weight rounded as DequantizeLinear's
        float32 output is), as float64."""
        return self.consts[name].astype(np.float32).astype(np.float64)

    def fc_pick(self, node, q, m, mass, mode, x2, trans_a, parents):
        """ALGORITHM.md's FC rule for one output fixation (row m) with contributions q: the positive ones share
        its mass in proportion (mode positive), else the single argmax takes it all (fallback, or flatten mode
        argmax). Parents go to `parents` in the activation's own layout (transA swaps it)."""
        chosen = np.nonzero(q > 0)[0] if mode == 'positive' else []
        if len(chosen) == 0:
            chosen = [int(np.argmax(q))]
            shares = [mass]
            tied = np.nonzero(q == q[chosen[0]])[0]
            if len(tied) > 1 and not trans_a:
                self.tie(node.input[0], [m * x2.shape[1] + int(t) for t in tied])
        else:
            pos = q[chosen].astype(np.float64)
            shares = mass * pos / pos.sum()
        for i, share in zip(chosen, shares):
            give(parents, int(i) * x2.shape[0] + m if trans_a else m * x2.shape[1] + int(i), float(share))

    def fc_mode(self, node, flatten_mode):
        """positive; the flatten mode on a flattened spatial map; argmax for a MatMul over the last axis of an
        activation with positions (rank 3 or 4: a 1x1 convolution, one parent per fixation)."""
        dims = self.shape(node.input[0])
        if node.op_type == 'MatMul' and len(dims) >= 3 and int(np.prod(dims[1:-1])) > 1:  # [N, 1, D] is a vector
            return 'argmax'
        return flatten_mode if self.flattened_spatial(node.input[0]) else 'positive'

    def fully_connected(self, node, fix, flatten_mode):
        x2, b2, sign, trans_a = self.fc_operands(node)
        mode = self.fc_mode(node, flatten_mode)
        parents = {}
        n_out = b2.shape[1]
        for f, mass in fix.items():
            m, j = divmod(int(f), n_out)
            self.fc_pick(node, x2[m] * b2[:, j] * sign, m, mass, mode, x2, trans_a, parents)
        return {node.input[0]: parents}

    def elementwise(self, node, fix):
        # Full-shape by element count, as the walk: an operand of the output's size whatever its rank ([8] on [1, 8])
        # is followed; under broadcasting equal counts mean equal dims but for leading 1s.
        n_out = int(np.prod(self.shape(node.output[0])))
        full = [i for i in node.input if i and not self.is_const(i) and int(np.prod(self.shape(i))) == n_out]
        if not full:
            return {}
        if len(full) == 1:
            return {full[0]: dict(fix)}
        if node.op_type == 'Mul':  # both operands followed: each gets half (x·x: both halves to x)
            sent = {}
            for i in full:
                for f, mass in fix.items():
                    give(sent.setdefault(i, {}), f, mass / len(full))
            return sent
        if node.op_type in ('Sub', 'Div', 'Pow'):
            raise NotImplementedError(f'{node.op_type} of two activations')
        # Add, Sum, Max: the larger operand at that element; Min: the smaller (the one whose value is the output's).
        stacked = np.stack([self.value(i).reshape(-1) for i in full])
        if node.op_type == 'Min':
            stacked = -stacked
        sent = {i: {} for i in full}
        for f, mass in fix.items():
            give(sent[full[int(np.argmax(stacked[:, f]))]], f, mass)
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
        if op == 'Gather':  # constant indices, negative ones counted from the end (np.take does)
            return {node.input[0]: [np.take(ar, self.consts[node.input[1]], axis=a.get('axis', 0)).ravel()]}
        if op in ('DepthToSpace', 'SpaceToDepth'):  # the ONNX spec's reshape / transpose / reshape, applied to indices
            n, c, h, w = x_shape
            bs = a['blocksize']
            if op == 'SpaceToDepth':
                t = ar.reshape(n, c, h // bs, bs, w // bs, bs).transpose(0, 3, 5, 1, 2, 4)
            elif text(a.get('mode'), 'DCR') == 'DCR':
                t = ar.reshape(n, bs, bs, c // bs ** 2, h, w).transpose(0, 3, 4, 1, 5, 2)
            else:
                t = ar.reshape(n, c // bs ** 2, bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
            return {node.input[0]: [t.ravel()]}
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
        for f, mass in fix.items():
            name = node.input[tags[f]]
            if not self.is_const(name):  # a fixation on a constant block has no parent: its mass is spread
                give(sent.setdefault(name, {}), int(local[f]), mass)
        return sent

    # ---- the class contrast (ALGORITHM.md: the discriminative start) --------------------------------
    def weighted(self, node):
        """Nodes with a weight vector per output neuron, where a contrast can start."""
        return node.op_type in ('Conv', 'Gemm', 'MatMul')

    def neuron(self, node, f):
        """The weight vector output element f reads: a Gemm/MatMul column, a conv output channel."""
        if node.op_type == 'Conv':
            return int(np.unravel_index(f, self.shape(node.output[0]))[1])
        _, b2, _, _ = self.fc_operands(node, real=True)
        return int(f) % b2.shape[1]

    def fc_contrast(self, node, f, mass, coefficients, flatten_mode):
        """The FC rule with the fixation's weight column replaced by Σ_n c_n·W[:, n] (real values)."""
        x2, b2, sign, trans_a = self.fc_operands(node, real=True)
        w = np.zeros(b2.shape[0])
        for n, c in coefficients.items():
            w += c * b2[:, n]
        m = int(f) // b2.shape[1]
        mode = self.fc_mode(node, flatten_mode)
        parents = {}
        self.fc_pick(node, x2[m] * w * sign, m, mass, mode, x2, trans_a, parents)
        return {node.input[0]: parents}

    def conv_contrast(self, node, f, mass, coefficients, mode):
        """The conv rule for output fixation f with one filter, Σ_n c_n·s_n·W[n] (s_n: the scale of a
        BatchNormalization that alone reads the conv's output, else 1), on real (dequantized) values."""
        a = attrs(node)
        x = self.value(node.input[0])[0]
        w = self.real_weight(node.input[1])
        cout, cin_g, kh, kw = w.shape
        groups = a.get('group', 1)
        s = self.bn_scale(node.output[0], cout)
        _, c, oy, ox = np.unravel_index(f, self.shape(node.output[0]))
        g = c // (cout // groups)
        filt = np.zeros((cin_g, kh, kw))
        for n, coef in coefficients.items():
            if n // (cout // groups) != g:
                raise ValueError(f'class contrast: channels {n} and {c} read different groups')
            filt += coef * s[n] * w[n]
        (sy, dy, py), (sx, dx, px) = self.window(a, x.shape[1:], (kh, kw))
        ys, yok = self.taps(oy, sy, dy, py, kh, x.shape[1])
        xs, xok = self.taps(ox, sx, dx, px, kw, x.shape[2])
        chans = np.arange(g * cin_g, (g + 1) * cin_g)
        full = (1,) + x.shape
        if yok.any() and xok.any():
            r = x[np.ix_(chans, ys[yok], xs[xok])]
            q = r * filt[:, yok][:, :, xok]
            sums = q.reshape(cin_g, -1).sum(axis=1)
            best = int(np.argmax(sums))
            self.tie(node.input[0], [np.ravel_multi_index((0, chans[t], 0, 0), full) for t in np.nonzero(sums == sums[best])[0]])
            if mode == 'center':
                y, xx = oy * sy, ox * sx
            else:
                score = r[best] if mode == 'activation' else q[best]
                u, v = np.unravel_index(int(np.argmax(score)), score.shape)
                y, xx = ys[yok][u], xs[xok][v]
                tied = list(zip(*np.nonzero(score == score.max())))
                self.tie(node.input[0], [np.ravel_multi_index((0, chans[best], ys[yok][uu], xs[xok][vv]), full) for uu, vv in tied])
        else:
            best, y, xx = 0, oy * sy, ox * sx
        y = min(max(y, 0), x.shape[1] - 1)
        xx = min(max(xx, 0), x.shape[2] - 1)
        return {node.input[0]: {int(np.ravel_multi_index((0, chans[best], y, xx), full)): mass}}

    # ---- the walk -------------------------------------------------------------------------------
    def back(self, node, outs, conv_mode, flatten_mode):
        op = node.op_type
        fix = dict(sorted(outs.get(node.output[0], {}).items()))
        if op in PASS_THROUGH or op in SAME_INDEX:
            return {node.input[0]: fix}
        if op == 'Conv':
            return self.conv(node, fix, conv_mode)
        if op in ('MaxPool', 'AveragePool'):
            return self.window_pool(node, fix)
        if op in ('GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax'):
            return self.reduce(node, fix)
        if op in ('Gemm', 'MatMul'):
            return self.fully_connected(node, fix, flatten_mode)
        if op in ('Add', 'Sum', 'Mul', 'Sub', 'Div', 'Pow', 'Max', 'Min'):
            return self.elementwise(node, fix)
        if op == 'ConvTranspose':
            return self.conv_transpose(node, fix, conv_mode)
        if op == 'Concat':
            return self.concat(node, fix)
        if op in ('Resize', 'Upsample'):
            return self.resize(node, fix)
        if op in LAYOUT:
            maps = self.index_map(node)[node.input[0]]
            parents = {}
            for k, out in enumerate(node.output):
                for f, mass in outs.get(out, {}).items():
                    p = int(maps[k][f])
                    if p >= 0:  # constant padding has no parent
                        give(parents, p, mass)
            return {node.input[0]: parents}
        raise NotImplementedError(f'the reference has no rule for {op}')

    def walk(self, output, index, conv_mode, flatten_mode, contrast=None, find_classifier=False):
        """One walk from element `index` of `output`, every fixation with its mass (the target starts with 1).
        contrast: {class: coefficient} of the other classes (the target's is 1), applied at the first weighted
        node. find_classifier: stop there and return (node, the fixation) instead.
        Returns (record {tensor: {flat: mass}}, input {flat: mass} normalized to sum 1, lost {node: fraction},
        the contrast node's name)."""
        self.ties = {}
        pending = {output: {int(index): 1.0}}
        record, lost = {}, {}
        start = None
        for node in reversed(self.nodes):
            outs = {o: pending.pop(o) for o in node.output if pending.get(o)}
            if not outs:
                continue
            for o, fix in outs.items():
                record[o] = dict(sorted(fix.items()))
            if self.weighted(node) and start is None and (contrast is not None or find_classifier):
                held = [f for fix in outs.values() for f in fix]
                others = [t for t, fix in pending.items() if fix]
                if len(held) != 1 or others:
                    raise ValueError(f'class {index} reaches {node.op_type} {node.name!r} with {len(held)} fixation(s) and {len(others)} other path(s)')
                f, mass = held[0], next(iter(outs.values()))[held[0]]
                if find_classifier:
                    return node, f
                start = node.name
                own = self.neuron(node, f)
                coefficients = {own: 1.0}
                ties = self.ties  # the classes' own walks below start their own
                for cls, c in contrast.items():
                    cnode, cf = self.walk(output, cls, conv_mode, flatten_mode, find_classifier=True)
                    if cnode is not node:
                        raise ValueError(f'class {cls} is scored by {cnode.name!r}, not {node.name!r}')
                    n = self.neuron(node, cf)
                    coefficients[n] = coefficients.get(n, 0.0) + c
                self.ties = ties
                sent = (self.conv_contrast(node, f, mass, coefficients, conv_mode) if node.op_type == 'Conv'
                        else self.fc_contrast(node, f, mass, coefficients, flatten_mode))
            else:
                sent = self.back(node, outs, conv_mode, flatten_mode)
            sent = {name: fix for name, fix in sent.items() if fix and not self.is_const(name)}
            # Masses are conserved: what found no parent (padding, constants) is spread over the rest in proportion.
            m_in = sum(sum(fix.values()) for fix in outs.values())
            m_out = sum(sum(fix.values()) for fix in sent.values())
            if 0 < m_out < m_in * (1 - 1e-12):
                lost[node.name] = 1 - m_out / m_in
                sent = {name: {f: m * m_in / m_out for f, m in fix.items()} for name, fix in sent.items()}
            for name, fix in sent.items():
                target = pending.setdefault(name, {})
                for f, m in fix.items():
                    give(target, int(f), m)
        if find_classifier:
            raise ValueError(f'class {index} reaches the input without passing a node with weights')
        inputs = pending.get(self.model.graph.input[0].name, {})
        total = sum(inputs.values())
        inputs = {f: (m / total if total > 0 else m) for f, m in sorted(inputs.items())}
        return record, inputs, lost, start

    def logits(self, output):
        """The class scores before a final Softmax / LogSoftmax (through views), from the kept values."""
        name = output
        for _ in range(8):
            p = self.producer.get(name)
            if p is None or p.op_type not in ('Softmax', 'LogSoftmax', 'Identity', 'Flatten', 'Reshape', 'Squeeze'):
                break
            name = p.input[0]
            if p.op_type in ('Softmax', 'LogSoftmax'):
                break
        return self.value(name).reshape(-1)


def give(d, k, m):
    """Adds mass m to element k: fixations that land on the same element add their masses."""
    d[k] = d.get(k, 0.0) + m


def contrast_for(query, logits):
    """ALGORITHM.md's contrasts as coefficients of the other classes: `others` −softmax of the other classes'
    logits, `versus B` −1 for B; none for paper and weighted."""
    mode, target = query.get('mode', 'paper'), query['index']
    if mode == 'versus':
        return {int(query['versus']): -1.0}
    if mode != 'discriminative':
        return None
    z = np.asarray(logits, np.float64)
    others = [s for s in range(len(z)) if s != target]
    e = np.exp(z[others] - z[others].max())
    return {s: -float(v) for s, v in zip(others, e / e.sum())}


def self_test():
    """ALGORITHM.md's hand checks, on tiny graphs built here: the reference must reproduce them before its
    answers on the zoo mean anything."""
    import tempfile
    from onnx import TensorProto, helper

    def run(nodes, inits, inputs, output, out_shape, queries, part=1):
        with tempfile.TemporaryDirectory() as d:
            (xname, x), = inputs.items()
            graph = helper.make_graph(nodes, 'check', [helper.make_tensor_value_info(xname, TensorProto.FLOAT, list(x.shape))],
                                      [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)],
                                      [numpy_helper.from_array(v if getattr(v, 'dtype', None) == np.int64 else np.asarray(v, np.float32), k)
                                       for k, v in inits.items()])
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(d, 'm.onnx'))
            index = {}
            values = dict(inputs, **{output: queries.pop('outputValue')})
            for k, (name, v) in enumerate(values.items()):
                np.asarray(v, np.float32).tofile(os.path.join(d, f'{k}.bin'))
                index[name] = {'file': f'{k}.bin', 'dtype': 'float32', 'dims': list(np.shape(v))}
            json.dump(index, open(os.path.join(d, 'values.json'), 'w'))
            ref = Reference(os.path.join(d, 'm.onnx'), d)
            logits = ref.logits(output)
            return [ref.walk(output, q['index'], q.get('convMode', 'contribution'), 'argmax', contrast_for(q, logits))[part]
                    for q in queries['queries']]

    def close(got, want, what):
        keys = sorted(want)
        ok = sorted(got) == keys and all(abs(got[k] - want[k]) < 1e-4 for k in keys)
        assert ok, f'{what}: got {got}, ALGORITHM.md says {want}'

    # FC with mass: a = [0, 2, 1, 3], W[j] = [5, -1, 0.5, 2] -> {2, 3} with 0.0769 and 0.9231.
    a = np.array([[0, 2, 1, 3]], np.float32)
    w = np.array([[5, -1, 0.5, 2]], np.float32)
    got, = run([helper.make_node('Gemm', ['x', 'w'], ['y'], transB=1)], {'w': w}, {'x': a}, 'y', [1, 1],
               {'outputValue': a @ w.T, 'queries': [{'index': 0, 'mode': 'weighted'}]})
    close(got, {2: 0.5 / 6.5, 3: 6 / 6.5}, 'FC with mass')
    # Contrast, three classes: logits [9.5, 7, 4].
    a = np.array([[1, 2, 1, 3]], np.float32)
    w = np.array([[5, -1, 0.5, 2], [1, 1, 1, 1], [0, 2, 0, 0]], np.float32)
    paper, others, versus = run([helper.make_node('Gemm', ['x', 'w'], ['y'], transB=1)], {'w': w}, {'x': a}, 'y', [1, 3], {
        'outputValue': a @ w.T, 'queries': [{'index': 0, 'mode': 'weighted'}, {'index': 0, 'mode': 'discriminative'},
                                            {'index': 0, 'mode': 'versus', 'versus': 1}]})
    close(paper, {0: 0.4348, 2: 0.0435, 3: 0.5217}, 'contrast none')
    close(others, {0: 0.5629, 3: 0.4371}, 'contrast others')
    close(versus, {0: 0.5714, 3: 0.4286}, 'contrast versus 1')
    # Conv: output fixation (0, 1, 2) -> channel 0; contribution (0,0,1), center (0,1,2), activation (0,1,3).
    x = np.array([[[[1, 2, 0, 1], [0, 1, 0, 3], [3, 0, 0, 1], [2, 2, 1, 0]],
                   [[0, 0, 4, 0], [1, 0, 0, 2], [0, 2, 1, 0], [1, 0, 0, 5]]]], np.float32)
    wc = np.array([[[[1, 1, 1], [1, 1, 0.1], [1, 1, 1]], [[0, -1, 0], [2, 1, 0], [0, 0, 1]]]], np.float32)
    conv = [helper.make_node('Conv', ['x', 'w'], ['y'], kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    got = run(conv, {'w': wc}, {'x': x}, 'y', [1, 1, 4, 4], {'outputValue': np.zeros((1, 1, 4, 4)), 'queries': [
        {'index': 6, 'convMode': m, 'mode': 'weighted'} for m in ('contribution', 'center', 'activation')]})
    for m, g, (y, xx) in zip(('contribution', 'center', 'activation'), got, ((0, 1), (1, 2), (1, 3))):
        close(g, {y * 4 + xx: 1.0}, f'conv mode {m}')
    # MatMul over the last axis of a map with positions (ConvNeXt's per-position Linear): a 1x1 convolution,
    # one parent per fixation, the channel with the largest a_d * W[d, j] at the same position.
    x = np.ones((1, 2, 2, 3), np.float32)
    w = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [0.5, 0.5, 0.5, 0.5]], np.float32)
    got, = run([helper.make_node('MatMul', ['x', 'w'], ['y'])], {'w': w}, {'x': x}, 'y', [1, 2, 2, 4],
               {'outputValue': x @ w, 'queries': [{'index': 4 * 3 + 2, 'mode': 'weighted'}]})
    close(got, {3 * 3 + 1: 1.0}, 'per-position MatMul')
    # Element-wise by element count: y = x * Reshape(Sigmoid(x), [8]) on x [1, 8]; the rank-1 gate has the output's
    # 8 elements, so both operands are followed (halves), and both halves come back to x[5].
    x = np.arange(1, 9, dtype=np.float32).reshape(1, 8)
    gate = [helper.make_node('Sigmoid', ['x'], ['s']), helper.make_node('Reshape', ['s', 'flat'], ['r']),
            helper.make_node('Mul', ['x', 'r'], ['y'])]
    record, = run(gate, {'flat': np.array([8], np.int64)}, {'x': x}, 'y', [1, 8],
                  {'outputValue': x * (1 / (1 + np.exp(-x))), 'queries': [{'index': 5, 'mode': 'weighted'}]}, part=0)
    close(record.get('s', {}), {5: 0.5}, 'element-wise by element count: the rank-1 gate')
    close(record.get('r', {}), {5: 0.5}, 'element-wise by element count: the reshaped gate')
    # Merge: two fixations with masses 0.3 and 0.2 on one element -> one fixation with 0.5.
    d = {}
    give(d, 7, 0.3)
    give(d, 7, 0.2)
    close(d, {7: 0.5}, 'merge')
    print('reference: ALGORITHM.md hand checks pass')


def main():
    if sys.argv[1:] == ['--self-test']:
        self_test()
        return
    model, values_dir, queries_file = sys.argv[1:4]
    q = json.load(open(queries_file))
    ref = Reference(model, values_dir)
    own_logits = ref.logits(q['output'])
    logits = q.get('logits', own_logits.tolist())
    out = {'results': [], 'masses': [], 'ties': [], 'lost': [], 'contrastNode': [], 'errors': [],
           'logitsDiff': float(np.abs(np.asarray(logits) - own_logits).max())}
    for query in q['queries']:
        try:
            record, inputs, lost, start = ref.walk(q['output'], query['index'], query['convMode'], query['flattenMode'],
                                                   contrast_for(query, logits))
            error = None
        except ValueError as e:
            record, inputs, lost, start, error = {}, {}, {}, None, str(e)
        record[q['input']] = inputs
        out['results'].append({t: list(fix.keys()) for t, fix in record.items()})
        out['masses'].append({t: list(fix.values()) for t, fix in record.items()} if query.get('mode', 'paper') != 'paper' else None)
        out['ties'].append({t: sorted(c) for t, c in ref.ties.items()})
        out['lost'].append(lost)
        out['contrastNode'].append(start)
        out['errors'].append(error)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
