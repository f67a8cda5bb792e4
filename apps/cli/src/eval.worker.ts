// Worker process of `marl-hpo search --workers N`: evaluates configurations in isolation.
import { createLocalEvaluator, serveWorker } from '@marl-hpo/search';

serveWorker(createLocalEvaluator);
