// Regenerates src/onnx/onnx-schema.json (a protobufjs JSON descriptor) from src/onnx/onnx.proto,
// so the product loads the ONNX schema without parsing .proto text at run time.
import { readFileSync, writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const here = new URL('../src/onnx/', import.meta.url);
const { root } = protobuf.parse(readFileSync(new URL('onnx.proto', here), 'utf8'), { keepCase: true });
writeFileSync(new URL('onnx-schema.json', here), JSON.stringify(root.toJSON(), null, 0) + '\n');
console.log('wrote src/onnx/onnx-schema.json');
