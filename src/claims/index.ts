export { allQuestions, hugeQuestions, questions, type Question, type Run } from './questions.js';
export {
  verdictTable,
  commandFor,
  type Cell,
  type Row,
  type RunOutcome,
  type Verdict,
} from './verdicts.js';
