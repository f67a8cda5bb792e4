import { ArchError } from '../errors';
import { customTemplate, loadCustomTemplate, type CustomTemplateSpec } from './custom';
import { inception } from './inception';
import type { Template } from './template';
import { unet } from './unet';
import { vgg } from './vgg';

export const builtinTemplates: Template[] = [vgg, inception, unet];

/**
 * A built-in template by name, or a custom one: `custom:<file.json>` or a path ending in .json.
 */
export function getTemplate(name: string): Template {
  const builtin = builtinTemplates.find((t) => t.name === name);
  if (builtin) return builtin;
  if (name.startsWith('custom:')) return loadCustomTemplate(name.slice('custom:'.length));
  if (name.endsWith('.json')) return loadCustomTemplate(name);
  throw new ArchError(`unknown template '${name}' (built in: ${builtinTemplates.map((t) => t.name).join(', ')}; or custom:<file.json>)`);
}

export { customTemplate, loadCustomTemplate, type CustomTemplateSpec };
