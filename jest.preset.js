// Shared jest settings: swc transforms TypeScript (fast on 2 cores); workspace imports
// resolve to each lib's public src/index.ts, the same mapping as tsconfig.base.json.
const path = require('node:path');
module.exports = {
  // Node environment whose typed arrays are the main realm's, so native addons (onnxruntime-node) work.
  testEnvironment: path.join(__dirname, 'tools/jest/node-environment.js'),
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@marl-hpo/(arch|agents|data|trainer|onnx|profiler|search|bench|experiments|queue|report)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  testTimeout: 120000,
};
