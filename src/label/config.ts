// The labeling app's settings, every default in one place: `rlhf serve --db FILE` mounts the app
// with these unless told otherwise, and the tests shorten only what they must (the login limit).

/** InstructGPT's per-response metadata (Ouyang et al. 2022, appendix B): what a labeler may flag. */
export const FLAGS = ['untruthful', 'harmful', 'off-task'] as const;
export type Flag = (typeof FLAGS)[number];

export const ROLES = ['admin', 'labeler'] as const;
export type UserRole = (typeof ROLES)[number];

export interface LabelAppConfig {
  /** Days a login stays valid. Sessions live in the database, so they survive a restart. */
  sessionDays: number;
  /** Mark cookies Secure (only sent over HTTPS): turn on behind a TLS proxy. */
  secureCookies: boolean;
  /** Login attempts per user name and address in one window; more get 429. */
  loginMax: number;
  loginWindowMs: number;
  /** Minutes a handed-out task stays reserved for its labeler before another may take the slot. */
  reserveMinutes: number;
}

export const LABEL_DEFAULTS: LabelAppConfig = {
  sessionDays: 7,
  secureCookies: false,
  loginMax: 10,
  loginWindowMs: 60_000,
  reserveMinutes: 30,
};

/** The defaults with `over`'s defined values, checked: a bad value names its key. */
export function labelConfig(over: Partial<LabelAppConfig> = {}): LabelAppConfig {
  const cfg: LabelAppConfig = { ...LABEL_DEFAULTS };
  for (const k of Object.keys(LABEL_DEFAULTS) as (keyof LabelAppConfig)[]) if (over[k] !== undefined) Object.assign(cfg, { [k]: over[k] });
  const checks: [boolean, string][] = [
    [cfg.sessionDays > 0, `sessionDays must be positive, got ${cfg.sessionDays}`],
    [typeof cfg.secureCookies === 'boolean', `secureCookies must be true or false, got ${cfg.secureCookies}`],
    [Number.isInteger(cfg.loginMax) && cfg.loginMax >= 1, `loginMax must be an integer ≥ 1, got ${cfg.loginMax}`],
    [cfg.loginWindowMs > 0, `loginWindowMs must be positive, got ${cfg.loginWindowMs}`],
    [cfg.reserveMinutes >= 0, `reserveMinutes must be ≥ 0, got ${cfg.reserveMinutes}`],
  ];
  for (const [ok, what] of checks) if (!ok) throw new RangeError(`labeling app: ${what}`);
  return cfg;
}

/** Sampling defaults of `rlhf label import --model`: InstructGPT sampled its comparison
 * responses at temperature 1 from the policy being improved. */
export interface SampleConfig {
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
}

export const SAMPLE_DEFAULTS: SampleConfig = { k: 4, temperature: 1, topP: 1, maxNewTokens: 128, seed: 0 };

/** Labelers who see each prompt unless the import says otherwise. */
export const DEFAULT_PER_PROMPT = 1;
