import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, replay, stillViolates } from '../../src/engine/index.js';
import { verdictTable } from '../../src/claims/index.js';
import { policies } from '../../src/policies/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc, traceMermaid } from '../../src/cli/trace-doc.js';
import { readTrace } from '../../src/cli/trace-file.js';
import { septcheck } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'septcheck-trace-'));
const saved = (name: string, ...args: string[]) => {
  const file = join(dir, `${name}.json`);
  septcheck('check', ...args, '--trace-out', file);
  return file;
};

describe('trace files', () => {
  const nopin = saved(
    'nopin',
    '--scenario',
    'basic',
    '--policy',
    'nopin',
    '--faults',
    'remove-fails=1',
  );
  const pin = saved('pin', '--scenario', 'convert', '--policy', 'pin');

  it('replay confirms a saved counterexample, exit 0', () => {
    const r = septcheck('replay', nopin);
    expect(r.stdout).toBe(
      `${nopin}: confirmed: all 13 steps replay and invariant no-reuse-while-mapped is still violated\n`,
    );
    expect(r.code).toBe(0);
    const lasso = JSON.parse(septcheck('replay', pin, '--json').stdout);
    expect(lasso).toMatchObject({
      result: 'confirmed',
      property: 'conversion-completes@op0',
      steps: 13,
    });
  });

  it('replay names the step an edited trace no longer fits, exit 1', () => {
    const doc = JSON.parse(readFileSync(nopin, 'utf8'));
    doc.steps[10].state['kvm VM'] = 'alive'; // REMOVE failed without KVM_BUG_ON: not what the model does
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(doc));
    const r = septcheck('replay', edited);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${edited}: step 10 no longer fits the model: vmm tdx_sept_remove_private_spte leads elsewhere: recorded -> model: kvm VM: alive -> BUGGED (dead)\n`,
    );
  });

  it('replay says when a step names an action the model does not have', () => {
    const doc = JSON.parse(readFileSync(nopin, 'utf8'));
    doc.steps[3].action = 'filemap_invalidate_trylock';
    const edited = join(dir, 'renamed.json');
    writeFileSync(edited, JSON.stringify(doc));
    expect(septcheck('replay', edited).stdout).toBe(
      `${edited}: step 3 no longer fits the model: the model has no action "filemap_invalidate_trylock" of process vmm\n`,
    );
  });

  it('explain prints the same call trace as check, and JSON, Markdown and Mermaid', () => {
    const text = septcheck('explain', nopin).stdout;
    const fromCheck = septcheck(
      'check',
      '--scenario',
      'basic',
      '--policy',
      'nopin',
      '--faults',
      'remove-fails=1',
    ).stdout;
    expect(fromCheck).toContain(text.trimEnd());
    expect(JSON.parse(septcheck('explain', nopin, '--format', 'json').stdout)).toEqual(
      JSON.parse(readFileSync(nopin, 'utf8')),
    );
    const md = septcheck('explain', nopin, '--format', 'markdown').stdout;
    expect(md).toContain('### invariant no-reuse-while-mapped violated\n');
    expect(md).toContain(
      '10. **vmm** `tdx_sept_remove_private_spte` (arch/x86/kvm/vmx/tdx.c): TDH.MEM.PAGE.REMOVE gpa=0x0 level=4K -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); KVM_BUG_ON: VM dead, vCPUs kicked\n   - kvm VM: alive -> BUGGED (dead)\n',
    );
    const mermaid = septcheck('explain', pin, '--format', 'mermaid').stdout;
    expect(mermaid.split('\n').slice(0, 3)).toEqual([
      'sequenceDiagram',
      '  participant vcpu0',
      '  participant vmm',
    ]);
    expect(mermaid).toContain(
      '  loop forever\n    Note over vcpu0: 12. TD exit (HLT or interrupt)\n    vcpu0->>tdx_module: 13. tdx_vcpu_run: TDH.VP.ENTER\n  end\n',
    );
    expect(mermaid).not.toContain(';');
    // The chart's participants and arrows: a SEAMCALL into the module and its status back; the
    // locks the VMM takes activate its lifeline until it drops them.
    const reuse = traceMermaid(readTrace(nopin)); // in-process: the CLI path is the one above
    expect(reuse.split('\n').slice(1, 6)).toEqual([
      '  participant vmm',
      '  participant host',
      '  participant kvm_mmu as KVM MMU',
      '  participant gmem_mm as guest_memfd / mm',
      '  participant tdx_module as TDX module',
    ]);
    expect(reuse).toContain(
      '  vmm->>tdx_module: 10. tdx_sept_remove_private_spte: TDH.MEM.PAGE.REMOVE\n  tdx_module-->>vmm: TDX_EPT_ENTRY_STATE_INCORRECT\n',
    );
    expect(reuse).toContain('  vmm->>kvm_mmu: 11. KVM_MMU_UNLOCK (write)\n  deactivate vmm\n');
    expect(reuse.match(/^ {2}activate vmm$/gm)).toHaveLength(3);
    // The invalidate lock is still held at the end: its activation ends with the trace.
    expect(
      reuse
        .trimEnd()
        .endsWith(
          '  host->>gmem_mm: 13. alloc_pages\n  deactivate vmm\n  Note over vmm,tdx_module: invariant no-reuse-while-mapped violated',
        ),
    ).toBe(true);
  });

  it.each([
    ['{', 'not JSON'],
    ['{"format":"other"}', 'field "format" is not "septcheck-trace/1"'],
    [
      '{"format":"septcheck-trace/1","target":{},"steps":[]}',
      'field "steps" is not a non-empty array',
    ],
  ])('a bad trace file %s is one line, exit 2', (content, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, content);
    const r = septcheck('replay', file);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(`septcheck: ${file}: ${message}`)).toBe(true);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

describe('every counterexample behind the verdict table replays', () => {
  const cells = verdictTable(Object.values(policies)).flatMap((r) =>
    r.cells.filter((c) => c.command).map((c) => ({ policy: r.policy, cell: c })),
  );
  it.each(cells.map((c) => [`${c.policy}: ${c.cell.command}`, c.cell.command!] as const))(
    '%s',
    async (_, command) => {
      const args = command.split(' ').slice(2);
      const opt = (name: string) =>
        args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
      const t = await resolveTarget({
        scenario: opt('--scenario')!,
        policy: opt('--policy')!,
        faults: opt('--faults') ?? '',
        hvo: args.includes('--hvo'),
      });
      const r = check(t.model);
      const found = (r.violation ?? r.findings[0])!;
      const doc = traceDoc(t.model, found, t.title, t.target);
      const replayed = replay(t.model, doc.steps);
      expect(replayed.ok).toBe(true);
      expect(stillViolates(t.model, replayed.ok ? replayed.states : [], doc)).toBeUndefined();
    },
  );
});
