module.exports = { ...require('../../jest.preset.js'), displayName: 'onnx', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] };
