module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'profiler',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
