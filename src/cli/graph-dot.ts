import { formatValue, viewState, type Model, type StateGraph } from '../engine/index.js';

/** A DOT string: quoted, with quotes and backslashes escaped, lines as \n. */
const quote = (text: string) =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** A state's facts, one a line; a state with many facts (the TDX system has about 40) is named
 * by its number only, its facts in the tooltip. */
const MAX_FACTS_SHOWN = 8;

/**
 * The state graph in Graphviz's DOT language: a node per state (an initial state drawn bold, a
 * state that breaks an invariant filled red with the invariant's name, a state at the bound
 * dashed), an edge per transition labelled with its action.
 */
export function graphDot(title: string, model: Model, g: StateGraph): string {
  const out = [
    `digraph ${quote(title)} {`,
    `  graph [label=${quote(`${title}: ${g.nodes.length} states, ${g.edges.length} transitions${g.truncated ? ' (bounded: dashed states have successors not drawn)' : ''}`)}, labelloc=t, fontname="Helvetica"];`,
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  g.nodes.forEach((n, i) => {
    const facts = Object.entries(viewState(model, n.state)).map(
      ([k, v]) => `${k}: ${formatValue(v)}`,
    );
    const shown = facts.length <= MAX_FACTS_SHOWN ? facts : [`s${i}`];
    const label = [...shown, ...n.broken.map((b) => `breaks ${b}`)].join('\n');
    const style = [
      'rounded',
      ...(n.broken.length ? ['filled'] : []),
      ...(n.expanded ? [] : ['dashed']),
    ].join(',');
    const attrs = [
      `label=${quote(label)}`,
      `tooltip=${quote(facts.join('\n'))}`,
      ...(style !== 'rounded' ? [`style=${quote(style)}`] : []),
    ];
    if (n.broken.length) attrs.push('fillcolor="#ffb3b3"', 'color="#c62828"');
    if (n.initial) attrs.push('penwidth=2.5');
    out.push(`  s${i} [${attrs.join(', ')}];`);
  });
  for (const [from, to, action] of g.edges)
    out.push(`  s${from} -> s${to} [label=${quote(action)}];`);
  out.push('}');
  return out.join('\n');
}
