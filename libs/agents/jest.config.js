module.exports = { ...require('../../jest.preset.js'), displayName: 'agents', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] };
