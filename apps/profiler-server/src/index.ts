export { createProfilerServer, type ServerOptions } from './server';
export { SerialQueue } from './queue';
