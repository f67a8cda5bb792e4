import { ArchError } from '../errors';
import type { ConcatNode, Node, Shape } from '../ir';
import { feature, type NodeDef } from './node-def';

export function concatShapes(node: Node, shapes: Shape[]): Shape {
  const [h, w] = feature(node, shapes[0]);
  for (const s of shapes) {
    const [sh, sw] = feature(node, s);
    if (sh !== h || sw !== w) {
      throw new ArchError(`layer '${node.name}' (${node.kind}): inputs have different spatial sizes ${shapes.map((x) => `${x[0]}x${x[1]}`).join(' vs ')}`);
    }
  }
  return [h, w, shapes.reduce((c, s) => c + s[2], 0)];
}

export const concat: NodeDef<ConcatNode> = {
  kind: 'concat',
  inputs(node) {
    if (!Array.isArray(node.inputs) || node.inputs.length < 2) throw new ArchError(`layer '${node.name}' (concat): inputs must name at least 2 layers`);
    return node.inputs;
  },
  outputShape: concatShapes,
  weights: () => [],
  macs: () => 0,
};
