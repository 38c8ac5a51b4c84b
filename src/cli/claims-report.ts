import { allQuestions, questions as tableQuestions, type Cell, type Row } from '../claims/index.js';

/** The questions the rows answer, in their order (the table's, or `--huge`'s). */
const questionsOf = (rows: Row[]) =>
  rows[0]?.cells.map((c) => allQuestions.find((q) => q.id === c.question)!) ?? tableQuestions;

/** The tree a footnoted verdict was found on: "v6.17", or "nopin, ported onto conversion-rfc". */
const treeOf = (policy: string, c: Cell) =>
  c.hypothetical ? `${policy}, ported onto ${c.tree}` : c.tree!;

/** Cell text: the verdict, with a footnote number for a fail or a leak. */
function cells(rows: Row[]): { grid: string[][]; notes: string[] } {
  const notes: string[] = [];
  const grid = rows.map((r) =>
    r.cells.map((c) => {
      if (c.verdict === 'pass') return 'pass';
      notes.push(
        `${c.verdict} [${notes.length + 1}] ${r.policy}, ${allQuestions.find((q) => q.id === c.question)!.title}: ${c.property} (${treeOf(r.policy, c)})\n      ${c.command}`,
      );
      return `${c.verdict} [${notes.length}]`;
    }),
  );
  return { grid, notes };
}

export function claimsText(rows: Row[]): string {
  const { grid, notes } = cells(rows);
  const heads = ['policy', ...questionsOf(rows).map((q) => q.title)];
  const body = rows.map((r, i) => [r.policy, ...grid[i]!]);
  const widths = heads.map((h, c) =>
    Math.max(...[h, ...body.map((b) => b[c]!)].map((x) => x.length)),
  );
  const line = (cols: string[]) =>
    cols
      .map((x, c) => x.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [
    line(heads),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    ...notes,
    '',
    ...legend(),
  ].join('\n');
}

export function claimsMarkdown(rows: Row[]): string {
  const { grid, notes } = cells(rows);
  const questions = questionsOf(rows);
  const out = [
    `| policy | ${questions.map((q) => q.title).join(' | ')} |`,
    `|---|${questions.map(() => '---').join('|')}|`,
  ];
  rows.forEach((r, i) => out.push(`| ${r.policy} | ${grid[i]!.join(' | ')} |`));
  out.push('', ...notes.map((n) => n.replace(/\n\s+(.*)$/, ': `$1`')).map((n) => `- ${n}`));
  return out.join('\n');
}

export function claimsJson(rows: Row[]): Record<string, unknown> {
  return {
    questions: questionsOf(rows).map((q) => ({ id: q.id, title: q.title, doc: q.doc })),
    rows,
  };
}

function legend(): string[] {
  return [
    'pass: every run of the question holds; leak: a frame is lost on purpose (nothing corrupted);',
    'fail: the named property breaks. Each command prints the shortest counterexample.',
  ];
}
