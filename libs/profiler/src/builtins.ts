import { createOrtBackend } from './backends/ort-cpu';
import { registerBackend } from './registry';

/** The built-in backends, registered once when the lib is loaded. */
registerBackend('ort-cpu', createOrtBackend(), 100);
