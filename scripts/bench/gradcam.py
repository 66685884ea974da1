"""Grad-CAM in PyTorch, timed as the bench times an explanation: the peer in `npm run bench` (src/bench/gradcam.ts).

Usage: python3 scripts/bench/gradcam.py ARCH RUNS THREADS  ->  one JSON line
  {"torch": version, "plainMs": warm median of a no-grad forward, "gradcamMs": warm median of forward + backward
   + map, "layer": the layer the map is taken at}

The torchvision architecture at random weights (seed 0): the speed of a forward and a backward does not depend on
the weights. Grad-CAM as cheaply as it goes: the weights are frozen and the backward runs only from the class score
down to the target layer (whose output is made a leaf that keeps its gradient, the model going on from a copy of
it); the map is ReLU(sum_k mean(dS/dA_k) A_k), bilinearly upsampled to the input and scaled to [0, 1]. CPU, THREADS
intra-op threads (the bench passes the count onnxruntime uses).
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

# where each architecture's last convolutional feature map is (the layer Grad-CAM is usually taken at)
LAYERS = {
    'resnet50': ('layer4', {}),
    'vgg16': ('features', {}),
    'densenet121': ('features', {}),
    'googlenet': ('inception5b', {'aux_logits': False, 'init_weights': True}),
    'mobilenet_v2': ('features', {}),
    'efficientnet_b0': ('features', {}),
    'shufflenet_v2_x1_0': ('conv5', {}),
}


def main(arch, runs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layer, kwargs = LAYERS[arch]
    model = getattr(torchvision.models, arch)(weights=None, **kwargs).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(1, 3, 224, 224)
    kept = {}

    def keep(_module, _inputs, output):
        leaf = output.detach().requires_grad_(True)
        kept['a'] = leaf
        # The model goes on from a copy: an in-place op after the layer (DenseNet's F.relu(features, inplace=True))
        # may not write into a leaf that requires grad. The copy's gradient is the leaf's; it costs one copy of the
        # last feature map (a few microseconds).
        return leaf.clone()

    def gradcam():
        scores = model(x)
        k = int(scores[0].argmax())
        scores[0, k].backward()
        a = kept['a']
        w = a.grad.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((w * a).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)[0, 0]
        return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)

    def timed(f):
        t = time.perf_counter()
        f()
        return (time.perf_counter() - t) * 1000

    def plain():
        with torch.no_grad():
            model(x)

    warm = 3
    plain_ms = [timed(plain) for _ in range(runs + warm)][warm:]
    handle = getattr(model, layer).register_forward_hook(keep)
    cam_ms = [timed(gradcam) for _ in range(runs + warm)][warm:]
    handle.remove()
    print(json.dumps({'torch': torch.__version__, 'plainMs': statistics.median(plain_ms), 'gradcamMs': statistics.median(cam_ms), 'layer': layer}))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
