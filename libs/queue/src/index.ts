export { QueueConnectionError, queueConnectionFromEnv, parseQueueUrl, DEFAULT_QUEUE, type QueueConnectionOptions, type QueueLocation } from './connection';
export { QueueEvaluator, QueueWorkerError, type QueueEvaluatorOptions } from './coordinator';
export { startQueueWorker, type QueueWorker, type QueueWorkerEvent, type QueueWorkerOptions } from './worker';
