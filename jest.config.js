// `npm test` runs every project's tests in one jest process so CI gets one JSON result.
module.exports = {
  projects: ['<rootDir>/libs/*/jest.config.js', '<rootDir>/apps/*/jest.config.js', '<rootDir>/test/jest.config.js'],
  maxWorkers: 2,
  // A global option: project configs cannot set it in a multi-project run.
  testTimeout: 120000,
};
