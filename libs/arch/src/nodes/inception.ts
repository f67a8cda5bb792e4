import { ArchError } from '../errors';
import type { InceptionNode } from '../ir';
import { convWeights, feature, type NodeDef, type WeightSpec } from './node-def';

/** The module's convs as (name, kernel, in -> out), skipping branches of width 0. */
export function inceptionConvs(node: InceptionNode, cin: number): { name: string; kernel: number; cin: number; cout: number }[] {
  const convs = [];
  if (node.b1x1 > 0) convs.push({ name: 'b1x1', kernel: 1, cin, cout: node.b1x1 });
  if (node.b3x3 > 0) {
    convs.push({ name: 'b3x3reduce', kernel: 1, cin, cout: node.b3x3reduce });
    convs.push({ name: 'b3x3', kernel: 3, cin: node.b3x3reduce, cout: node.b3x3 });
  }
  if (node.b5x5 > 0) {
    convs.push({ name: 'b5x5reduce', kernel: 1, cin, cout: node.b5x5reduce });
    convs.push({ name: 'b5x5', kernel: 5, cin: node.b5x5reduce, cout: node.b5x5 });
  }
  if (node.poolProj > 0) convs.push({ name: 'poolProj', kernel: 1, cin, cout: node.poolProj });
  return convs;
}

function check(node: InceptionNode): void {
  for (const f of ['b1x1', 'b3x3reduce', 'b3x3', 'b5x5reduce', 'b5x5', 'poolProj'] as const) {
    if (!Number.isInteger(node[f]) || node[f] < 0) throw new ArchError(`layer '${node.name}' (inception): ${f} must be an integer >= 0, got ${node[f]}`);
  }
  if (node.b3x3 > 0 && node.b3x3reduce <= 0) throw new ArchError(`layer '${node.name}' (inception): b3x3reduce must be > 0 when b3x3 > 0`);
  if (node.b5x5 > 0 && node.b5x5reduce <= 0) throw new ArchError(`layer '${node.name}' (inception): b5x5reduce must be > 0 when b5x5 > 0`);
  if (node.b1x1 + node.b3x3 + node.b5x5 + node.poolProj <= 0) throw new ArchError(`layer '${node.name}' (inception): every branch has width 0`);
}

export const inception: NodeDef<InceptionNode> = {
  kind: 'inception',
  outputShape(node, [input]) {
    const [h, w] = feature(node, input);
    check(node);
    return [h, w, node.b1x1 + node.b3x3 + node.b5x5 + node.poolProj];
  },
  weights(node, [input]) {
    return inceptionConvs(node, input[2]).flatMap((c): WeightSpec[] =>
      convWeights(`${node.name}/${c.name}`, 'kernel', [c.kernel, c.kernel, c.cin, c.cout], c.cout, node.batchNorm),
    );
  },
  macs(node, [input]) {
    const [h, w] = input;
    return inceptionConvs(node, input[2]).reduce((sum, c) => sum + h * w * c.cout * c.kernel * c.kernel * c.cin, 0);
  },
};
