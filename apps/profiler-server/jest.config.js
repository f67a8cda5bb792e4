module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'profiler-server',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // onnxruntime-node inside jest needs the main realm's typed arrays (see the file).
  testEnvironment: '<rootDir>/../../libs/profiler/jest.environment.js',
};
