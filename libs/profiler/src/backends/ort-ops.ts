import type { OpTime } from '../types';

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Time per op type from an onnxruntime profile (Chrome trace JSON): the `*_kernel_time`
 * node events, summed per op type and divided by the number of `model_run` events.
 */
export function opTimesFromProfile(events: readonly TraceEvent[]): OpTime[] {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length;
  const byOp = new Map<string, { us: number; nodes: Set<string> }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    const op = byOp.get(e.args.op_name) ?? { us: 0, nodes: new Set<string>() };
    op.us += e.dur ?? 0;
    op.nodes.add(e.name);
    byOp.set(e.args.op_name, op);
  }
  const total = [...byOp.values()].reduce((a, o) => a + o.us, 0);
  return [...byOp]
    .map(([opType, o]) => ({ opType, ms: o.us / 1000 / Math.max(runs, 1), share: total > 0 ? o.us / total : 0, nodes: o.nodes.size }))
    .sort((a, b) => b.ms - a.ms);
}
