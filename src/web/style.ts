/** The chart's styles, added by the page script itself (the served page keeps only the base styles). */
export const chartCss = `
main > nav#chart { width: auto; flex: 1 1 auto; overflow: auto; }
main > section { flex: 0 0 470px; }
.chart-sticky { position: sticky; top: 0; background: #fff; z-index: 1; border-bottom: 1px solid #ddd; }
.legend { font-size: 11px; color: #555; padding: 0 8px 4px; }
.swatch i { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; vertical-align: middle; border: 1px solid #999; }
svg text { font: 11px ui-monospace, monospace; fill: #222; }
svg .lane-name { font: 600 12px system-ui, sans-serif; } svg .lane-name.kernel { fill: #7a3e9d; }
svg .fact-name { font-size: 10px; fill: #555; }
rect.row { fill: transparent; cursor: pointer; } rect.row:hover { fill: #f0f4ff; }
rect.row.broken { fill: #ffdcdc; } rect.row.current { fill: #cfe0ff; } rect.row.broken.current { fill: #f5b8b8; }
text.row-label, text.cell-text, text.call { pointer-events: none; }
line.lane { stroke: #bbb; stroke-dasharray: 3 3; } line.lane.kernel { stroke: #b48fd0; stroke-dasharray: none; stroke-width: 1.5; }
line.arrow { stroke: #444; stroke-width: 1.2; } line.arrow.err { stroke: #c62828; stroke-width: 2; }
text.call { font-size: 10px; fill: #333; } text.call.err { fill: #c62828; font-weight: 700; }
circle.self { fill: #666; } circle.self.err { fill: #c62828; }
rect.lock.read { opacity: 0.45; }
rect.loop { fill: none; stroke: #d08a00; stroke-width: 1.5; stroke-dasharray: 6 3; } text.loop-label { fill: #a0640a; font-size: 10px; }
rect.cell { stroke: #fff; } rect.cell.changed { stroke: #222; stroke-width: 1.2; }
text.cell-text { font-size: 10px; }
.explore-tools { margin: 6px 0; display: flex; gap: 8px; } .explore-tools button { font: inherit; padding: 2px 10px; }
.explore-note { color: #555; }
#enabled { font-size: 12px; padding-left: 28px; margin: 4px 0; }
#enabled li { cursor: pointer; padding: 3px 4px; border-bottom: 1px solid #eee; } #enabled li:hover { background: #eef3ff; }
#enabled .call { font-family: ui-monospace, monospace; color: #333; } #enabled .changes { color: #666; font-size: 11px; }
`;
