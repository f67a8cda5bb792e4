import type { EvaluationRecord } from './journal';

export interface ParetoPoint {
  episode: number;
  quality: number;
  latencyMs: number;
  reward: number;
}

/** The quality metric of a record: accuracy for classification, mIoU for segmentation. */
export function qualityOf(r: Pick<EvaluationRecord, 'metrics'>): number | undefined {
  return r.metrics.accuracy ?? r.metrics.mIoU;
}

/**
 * Accuracy (or mIoU) vs latency front of the feasible evaluations: points that no other
 * point beats on both (higher quality and lower latency), sorted by latency.
 */
export function paretoFront(records: EvaluationRecord[]): ParetoPoint[] {
  const points: ParetoPoint[] = [];
  for (const r of records) {
    const quality = qualityOf(r);
    const latencyMs = r.metrics.latencyMs;
    if (r.status === 'ok' && quality !== undefined && latencyMs !== undefined) points.push({ episode: r.episode, quality, latencyMs, reward: r.reward });
  }
  points.sort((a, b) => a.latencyMs - b.latencyMs || b.quality - a.quality);
  const front: ParetoPoint[] = [];
  for (const p of points) if (!front.length || p.quality > front[front.length - 1].quality) front.push(p);
  return front;
}
