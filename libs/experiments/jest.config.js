module.exports = { ...require('../../jest.preset.js'), displayName: 'experiments', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] };
