module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'profiler-server',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
