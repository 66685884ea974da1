# The command line in a container: `cnn-fixations` as the entrypoint, with the committed demo (the Fashion-MNIST
# classifier and folder) and ImageNet's labels. Any scheduler runs it with its own shard: see docs/SWEEP-AT-SCALE.md.
#   docker build -t cnn-fixations .
#   docker run --rm -v "$PWD/out:/results" cnn-fixations                      # the demo sweep → out/cnn-fixations-sweep
#   docker run --rm -v /data:/data:ro -v "$PWD/out:/results" cnn-fixations \
#     sweep /data/model.onnx /data/val --shard 0/4 --out /results/shard-0
# test/deploy/deploy.test.ts lays out this image's files and runs its command without a container runtime.

FROM node:20-bookworm-slim AS build
# onnxruntime-node's install script would fetch CUDA binaries; the CPU build inside its npm package is all we use
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
# onnxruntime-node is the one runtime dependency (native, from its npm package); everything else is bundled in dist/.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json /app/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/cli.js /src/dist/sweep-worker.js /app/dist/
# the WebP and AVIF decoders' WebAssembly, read beside the bundles
COPY --from=build /src/dist/codecs /app/dist/codecs
COPY media/demo /app/media/demo
COPY eval/models/fmnist-gap.onnx eval/models/fmnist_labels.txt /app/eval/models/
COPY eval/fmnist-sweep /app/eval/fmnist-sweep
RUN ln -s /app/dist/cli.js /usr/local/bin/cnn-fixations
# Outputs go under the working directory unless --out says otherwise: mount a volume here.
WORKDIR /results
ENTRYPOINT ["cnn-fixations"]
CMD ["sweep"]
