// End-to-end tests: they drive the built CLI (dist/apps/cli/main.js) as a user would.
module.exports = { ...require('../jest.preset.js'), displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/**/*.e2e.ts'] };
