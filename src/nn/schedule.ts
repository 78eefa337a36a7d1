// Learning-rate schedules: linear warm-up, then cosine or linear decay to a floor.
export interface ScheduleConfig {
  kind: 'cosine' | 'linear' | 'constant';
  warmupSteps: number;
  totalSteps: number;
  /** Final learning rate as a fraction of the peak. */
  minRatio: number;
}

export function learningRate(step: number, peak: number, { kind, warmupSteps, totalSteps, minRatio }: ScheduleConfig): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  if (kind === 'constant') return peak;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / span));
  const decay = kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return peak * (minRatio + (1 - minRatio) * decay);
}
