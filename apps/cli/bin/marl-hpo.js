#!/usr/bin/env node
// The `marl-hpo` command of the workspace: runs the bundle that `npm run build` writes.
require('../../../dist/apps/cli/main.js').runProcess();
