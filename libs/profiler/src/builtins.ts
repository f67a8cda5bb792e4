import { createOrtBackend } from './backends/ort-cpu';
import { createEstimateBackend } from './backends/estimate';
import { createRemoteBackend } from './backends/remote';
import { registerBackend } from './registry';

/** The built-in backends, registered once when the lib is loaded. */
registerBackend('ort-cpu', createOrtBackend(), 100);
registerBackend('remote', createRemoteBackend(), -1);
registerBackend('estimate', createEstimateBackend(), 0);
