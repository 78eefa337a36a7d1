// AFINN's comparative score, the labeler with a hole, as a reward-function plug-in: see labeler.ts.
import { labelerScore } from './labeler.js';

export const score = labelerScore('afinn-comparative');
