// The gold labeler (the rubric) as a reward-function plug-in: see labeler.ts.
import { labelerScore } from './labeler.js';

export const score = labelerScore('gold');
