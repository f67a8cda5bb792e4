// A search process for the kill/resume test: `node kill-target.js <out> <config.json>`;
// prints one '.' per episode so the test can kill it at chosen points.
// Bundled by the test with esbuild; resumes whenever the run folder already has a journal.
import fs from 'node:fs';
import path from 'node:path';
import { readConfigFile } from '../config';
import { runSearch } from '../search';
import { SyntheticEvaluator } from '../synthetic';

const [out, configFile] = process.argv.slice(2);
const config = readConfigFile(configFile);
const resume = fs.existsSync(path.join(out, 'journal.jsonl'));
runSearch(config, { out, resume, onEpisode: () => process.stdout.write('.'), evaluator: new SyntheticEvaluator({ input: [28, 28, 1], classes: 10, task: 'classification' }, { sleepSeconds: 0.01 }) }).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
