// Compiles libs/onnx/src/onnx.proto3 to the protobufjs JSON descriptor that libs/onnx loads
// (a JSON import bundles into the CLI; a .proto read at run time would not).
// Usage: node tools/onnx-schema.mjs [--check]   (--check: exit 1 if the committed JSON is stale)
import fs from 'node:fs';
import protobuf from 'protobufjs';

const protoPath = 'libs/onnx/src/onnx.proto3';
const jsonPath = 'libs/onnx/src/generated/onnx-proto.json';
const { root } = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true });
const json = JSON.stringify(root.toJSON(), null, 1) + '\n';
if (process.argv.includes('--check')) {
  const current = fs.existsSync(jsonPath) ? fs.readFileSync(jsonPath, 'utf8') : '';
  if (current !== json) {
    console.error(`${jsonPath} is stale: run node tools/onnx-schema.mjs`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(jsonPath, json);
}
