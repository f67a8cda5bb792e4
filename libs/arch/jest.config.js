module.exports = { ...require('../../jest.preset.js'), displayName: 'arch', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] };
