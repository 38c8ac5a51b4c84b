/**
 * What must hold of the system (../shared/reference/domain.md, "Safety and liveness"), each
 * with one sentence on what breaking it means on a real machine.
 */
import type { Invariant, Liveness, State } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import {
  SEPT_FREE,
  SEPT_MAPPED,
  SEPT_NL_MAPPED,
  SEPT_PENDING,
  SEPT_PENDING_BLOCKED,
} from './seam.js';
import { framePresent } from './frames.js';
import { needsSplit } from './guest_memfd.js';
import {
  ATTR_PRIVATE,
  CONTENT_GUEST,
  MIRROR_LEAF,
  OWNER_GMEM,
  OWNER_HOST,
  PAIR_MODULE,
  PT_PAMT,
  TABLE_LEAKED,
  TD_TEARDOWN,
  TDR_RECLAIMED,
} from './vars.js';
import { accessWaits } from './teardown.js';
import { opRange } from './vmm_script.js';

export function invariants(k: Kernel): Invariant[] {
  const v = k.v;
  /** After teardown: a frame guest_memfd still owns that nobody will ever free (kept in the
   * file, pinned, or refused by the allocator). Transient references and GUP pins still go. */
  const leaked = (s: State, f: number) =>
    s[v.owner + f] === OWNER_GMEM &&
    (framePresent(v, s, f) || s[v.refPin + f]! > 0 || k.mm.blockRefs(s, f) === 0);
  const frames = k.frameCount;
  const gfns = k.gfns;
  // the frame the TD reaches at a GFN: the one the S-EPT maps (seam.ts mappedFrame)
  const frameOf = (s: State, g: number) => k.seam.mappedFrame(s, g);
  // Each check is a plain loop over the frames or GFNs: they run on every new state.
  return [
    {
      name: 'no-reuse-while-mapped',
      reads: [
        v.tdLifecycle,
        ...k.frames(v.owner, v.sept, v.pamt, v.folioBlock),
        ...v.septRecords,
        ...k.ranges(v.sept2m),
        ...v.pamtBlocks(v.pamt2m),
      ],
      doc: "A frame the TD can still reach through the S-EPT, or that the TDX module still assigns to it, was handed to another owner: the TD and the module can read or corrupt the new owner's data.",
      check(s) {
        if (s[v.tdLifecycle] === TD_TEARDOWN) return true;
        for (let f = 0; f < frames; f++)
          if (s[v.owner + f] === OWNER_HOST && k.seam.assigned(s, f)) return false;
        for (let g = 0; g < gfns; g++)
          if (k.seam.leafOf(s, g) !== SEPT_FREE && s[v.owner + frameOf(s, g)] === OWNER_HOST)
            return false;
        return true;
      },
    },
    {
      name: 'flush-and-clear-before-reuse',
      reads: k.frames(v.owner, v.dirty, v.tdBit),
      doc: "A frame went back to the host with dirty cache lines under the TD's key, whose write-back silently corrupts the new owner's data, or without the MOVDIR64B reset KVM gives every page it takes back from the TDX module, so lines keep the TD bit and a partial write by the new owner poisons them (#MC on the next read, X86_BUG_TDX_PW_MCE, which the model assumes). Also a frame freed after HKID release whose REMOVE failed: CACHE.WB wrote its lines back, but nothing reset it.",
      // The reset: tdx_clear_page (v6.17) / tdx_quirk_reset_page (series-v3) after REMOVE and
      // after every RECLAIM (tdx_reclaim_page), arch/x86/kvm/vmx/tdx.c; tdx-module.md 8.1.
      check(s) {
        for (let f = 0; f < frames; f++)
          if (s[v.owner + f] === OWNER_HOST && (s[v.dirty + f] || s[v.tdBit + f])) return false;
        return true;
      },
    },
    {
      name: 'no-private-and-shared-at-once',
      reads: [
        ...k.frames(v.sept, v.attr, v.refUserMap, v.refGup, v.folioBlock),
        ...v.septRecords,
        ...k.ranges(v.sept2m),
      ],
      doc: 'A GFN is mapped private in the S-EPT while guest_memfd calls it shared or userspace maps it: the host can touch memory the TD believes private.',
      check(s) {
        for (let g = 0; g < gfns; g++) {
          const state = k.seam.leafOf(s, g);
          if (state !== SEPT_MAPPED && state !== SEPT_PENDING) continue;
          const f = frameOf(s, g);
          if (s[v.attr + g] !== ATTR_PRIVATE || s[v.refUserMap + f] || s[v.refGup + f])
            return false;
        }
        return true;
      },
    },
    {
      name: 'refcount-sane',
      reads: [...k.scalars(v.refUnderflow), ...k.frames(v.owner, v.present), ...k.mm.countReads],
      doc: 'A refcount went below zero, or a folio was freed while still referenced or still in the page cache: a use-after-free in the host kernel.',
      check(s) {
        if (s[v.refUnderflow]) return false;
        for (let f = 0; f < frames; f++) {
          if (
            s[v.owner + f] !== OWNER_GMEM &&
            (framePresent(v, s, f) || k.mm.frameRefs(s, f) !== 0)
          )
            return false;
        }
        return true;
      },
    },
    {
      name: 'mapping-within-folio',
      reads: [
        v.vmBugged,
        ...k.scalars(v.folioSplit),
        ...k.frames(v.present),
        ...k.ranges(v.sept2m, v.mirror2m),
      ],
      doc: "A 2M mapping (the S-EPT's leaf or KVM's mirror) over a huge folio that was split or freed while the VM is alive: KVM's rule that a mapping never exceeds its folio ([hp-v3] 00), which the folio split after the zap keeps (hugepage-v3 only).",
      check(s) {
        // only the scenario's huge folio, range 0, can have a 2M leaf
        if (!v.hugeRanges || s[v.vmBugged]) return true;
        const e = s[v.sept2m];
        const leaf = e !== SEPT_FREE && e !== SEPT_NL_MAPPED;
        const mirror = s[v.mirror2m] === MIRROR_LEAF;
        return !((leaf || mirror) && (s[v.folioSplit] || !s[v.present]));
      },
    },
    {
      name: 'guest-data-kept',
      reads: [
        v.vmBugged,
        ...k.frames(v.accepted, v.attr, v.sept, v.guestData, v.content, v.folioBlock),
        ...v.septRecords,
        ...k.ranges(v.sept2m),
      ],
      doc: 'Data the guest wrote to a private page it still owns is gone (the page was zapped and re-added, or overwritten) while the VM is alive: silent data loss inside the TD.',
      check(s) {
        if (s[v.vmBugged]) return true;
        for (let g = 0; g < gfns; g++) {
          if (!s[v.accepted + g] || s[v.attr + g] !== ATTR_PRIVATE) continue;
          const state = k.seam.leafOf(s, g);
          if (state === SEPT_PENDING || state === SEPT_PENDING_BLOCKED) return false; // "unexpected pending"
          if (
            state === SEPT_MAPPED &&
            s[v.guestData + g] &&
            s[v.content + frameOf(s, g)] !== CONTENT_GUEST
          )
            return false;
        }
        return true;
      },
    },
    {
      name: 'teardown-reclaims',
      reads: [
        v.vmmOp,
        v.tdr,
        ...k.frames(v.pamt, v.owner, v.present, v.refPin),
        ...k.mm.countReads,
        ...k.ranges(v.table),
        ...v.pamtBlocks(v.pamt2m, v.pamtPair),
      ],
      doc: 'Teardown finished but left frames the host can never use again (a deliberate leak): memory lost until reboot, nothing corrupted. A weaker finding than a safety violation.',
      severity: 'finding',
      findingKind: 'leak',
      check(s) {
        if (!k.script.done(s)) return true;
        if (s[v.tdr] !== TDR_RECLAIMED) return false;
        for (let f = 0; f < frames; f++) if (k.seam.assigned(s, f) || leaked(s, f)) return false;
        // an S-EPT table page KVM could not take back (a failed DEMOTE's, K11) is lost too
        for (let r = 0; r < v.hugeRanges; r++) if (s[v.table + r] === TABLE_LEAKED) return false;
        // module 2.0: a PAMT page pair the module still holds (zero block with 1.5)
        for (let b = 0; b < v.pamtBlockCount; b++)
          if (s[v.pamtPair + b] === PAIR_MODULE) return false;
        return true;
      },
    },
    ...(k.pamt ? dpamtInvariants(k) : []),
  ];
}

/** Module 2.0 only (Dynamic PAMT, tdx_pamt.ts). */
function dpamtInvariants(k: Kernel): Invariant[] {
  const v = k.v;
  // The fault budgets that inject a KVM or TDX module bug; busy, transient references and
  // memory failure are the environment's.
  const bugs = [
    'remove-fails',
    'block-fails',
    'retry-fails',
    'wbinvd-fails',
    'add-fails',
    'demote-fails',
  ] as const;
  const injected = bugs.some((b) => (k.config.faults[b] ?? 0) > 0);
  return [
    {
      name: 'pamt-page-in-use',
      reads: k.pamt!.writes,
      doc: "A page of a PAMT page pair went back to the kernel's allocator while the TDX module still uses it as the range's PAMT (its 2M entry a node over the pair): the next owner's data and the module's metadata share a page.",
      check(s) {
        for (let b = 0; b < v.pamtBlockCount; b++)
          if (s[v.pamt2m + b] === PT_PAMT && s[v.pamtPair + b] !== PAIR_MODULE) return false;
        return true;
      },
    },
    {
      name: 'no-bug-without-fault',
      reads: [v.vmBugged],
      doc: 'The VM was killed (KVM_BUG_ON / TDX_BUG_ON) in a run where no fault injected a KVM or TDX module bug: a race in the kernel itself, e.g. an AUG that finds no PAMT page pair (TDX_MISSING_PAMT_PAGE_PAIR).',
      check: (s) => injected || !s[v.vmBugged],
    },
  ];
}

/** Liveness, checked under the fairness the real system has: kernel paths run on, transient
 * references and GUP pins are dropped, a retried fault is retried, locks are granted fairly.
 * The guest's own choices (which page to touch, when to exit) and the host's reuse of a free
 * frame carry no fairness. */
export function liveness(k: Kernel): Liveness[] {
  const v = k.v;
  const ops = k.config.scenario.ops;
  const props: Liveness[] = [];
  if (k.config.scenario.vmm === 'any') return [...anyOpLiveness(k), ...faultServed(k)];
  const opIndexes = (kinds: string[]) => ops.flatMap((op, i) => (kinds.includes(op.op) ? [i] : []));
  const perOp = (name: string, doc: string, kinds: string[]) => {
    const indexes = opIndexes(kinds);
    for (const i of indexes) {
      props.push({
        name: indexes.length > 1 ? `${name}@op${i}` : name,
        doc,
        kind: 'leadsTo',
        p: (s) => s[v.vmmOp] === i,
        q: (s) => s[v.vmmOp]! > i,
      });
    }
  };
  perOp(
    'conversion-completes',
    "A shared<->private conversion the VMM started never finishes: the guest's MapGPA hangs forever.",
    ['to-shared', 'to-private'],
  );
  for (const i of opIndexes(['to-shared'])) {
    const op = ops[i]!;
    props.push({
      name: 'split-completes',
      doc: 'A partial conversion needs the HugeTLB folio split, and the split never happens: the refcount it waits for never drops.',
      kind: 'leadsTo',
      p: (s) => s[v.vmmOp] === i && needsSplit(k, s, opRange(op)),
      q: (s) => !!s[v.folioSplit] || s[v.vmmOp]! > i,
    });
  }
  props.push(...faultServed(k), ...acceptCompletes(k));
  perOp('punch-hole-completes', 'A fallocate(PUNCH_HOLE) never returns.', ['punch-hole']);
  perOp('teardown-completes', 'VM teardown never finishes: the VMM process hangs on exit.', [
    'teardown',
  ]);
  props.push({
    name: 'vmm-completes',
    doc: "The VMM's script never finishes: one of its operations hangs.",
    kind: 'eventually',
    p: (s) => k.script.done(s),
  });
  return props;
}

/** Every guest fault is served while the VM lives, or ends in an exit to userspace: one on a
 * GFN that went shared meanwhile does (accessWaits). */
function faultServed(k: Kernel): Liveness[] {
  const v = k.v;
  return Array.from({ length: k.vcpus }, (_, c) => ({
    name: k.vcpus > 1 ? `fault-served@vcpu${c}` : 'fault-served',
    doc: 'A guest access that faulted is never served while the VM lives: the vCPU spins in KVM forever.',
    kind: 'leadsTo' as const,
    p: (s: State) => s[v.need + c] !== 0,
    q: (s: State) => !accessWaits(k, s, c) || !!s[v.vcpusStopped],
  }));
}

/** With 2M leaves (hugepage-v3, a huge folio): every ACCEPT the guest waits on, at any level,
 * eventually succeeds: a 4K ACCEPT of a 2M-mapped range splits it and inhibits 2M there
 * ([hp-v3] 13/24), a 2M ACCEPT over a 4K table falls back to 4K (the Linux guest). One property
 * per GFN (`accept-completes@gfnN`): the GFN must be accepted, unless the VM dies, the VMM stops
 * the vCPUs, the page is no longer the guest's (converted or punched), or the guest's 2M ACCEPT
 * failed and it goes on at 4K (its choice when, like every guest choice: no fairness; a 2M-only
 * guest cannot). */
function acceptCompletes(k: Kernel): Liveness[] {
  const v = k.v;
  if (!v.hugeRanges) return [];
  const waits = (s: State, g: number) => {
    for (let c = 0; c < k.vcpus; c++) if (s[v.need + c] === g + 1) return true;
    return false;
  };
  const guestGfns = k.config.scenario.guestGfns;
  // a guest that accepts at 2M only has no 4K ACCEPT to go on with (td_guest.ts)
  const fallsBack = k.config.scenario.acceptLevel !== '2m';
  return guestGfns.map((g) => {
    const r = k.seam.rangeOf(g);
    return {
      name: guestGfns.length > 1 ? `accept-completes@gfn${g}` : 'accept-completes',
      doc: "A guest's ACCEPT of a private page never succeeds while the VM lives: the vCPU keeps exiting on it (an EPT violation KVM cannot serve at the accept level) or gives up.",
      kind: 'leadsTo' as const,
      p: (s: State) => waits(s, g) && !s[v.accepted + g],
      q: (s: State) =>
        !!s[v.accepted + g] ||
        !!s[v.vmBugged] ||
        !!s[v.vcpusStopped] ||
        s[v.attr + g] !== ATTR_PRIVATE ||
        k.script.holds(s, g) ||
        (fallsBack && r >= 0 && !!s[v.acceptFallback + r] && !waits(s, g)),
    };
  });
}

/** With a VMM that performs any op of its menu: every op it starts finishes. */
function anyOpLiveness(k: Kernel): Liveness[] {
  const v = k.v;
  return [
    {
      name: 'vmm-op-completes',
      doc: 'An operation the VMM started (a conversion, a punch hole, teardown) never finishes.',
      kind: 'leadsTo',
      p: (s) => s[v.vmmOp] !== 0 && !k.script.done(s),
      q: (s) => s[v.vmmOp] === 0 || k.script.done(s),
    },
  ];
}
