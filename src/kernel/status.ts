/**
 * Status codes, as bits 63:32 of RAX with the operand id the module adds in bits 31:0
 * (include/auto_gen/tdx_error_codes_defs.h; KVM compares bits 63:32 only, tdx_errno.h).
 * Index 0 is "no status yet"; kernel errnos the model reports share this table.
 */
export const statuses = [
  ['-', ''],
  ['TDX_SUCCESS', '0x0000000000000000'],
  ['TDX_OPERAND_BUSY', '0x8000020000000001'], // + RCX: the S-EPT entry lock
  ['TDX_EPT_ENTRY_STATE_INCORRECT', '0xC0000B0D00000001'],
  ['TDX_GPA_RANGE_NOT_BLOCKED', '0xC0000B0600000001'],
  ['TDX_GPA_RANGE_ALREADY_BLOCKED', '0x00000B0700000001'],
  ['TDX_TLB_TRACKING_NOT_DONE', '0xC0000B0800000001'],
  ['TDX_PREVIOUS_TLB_EPOCH_BUSY', '0x8000020100000000'],
  ['TDX_PAGE_METADATA_INCORRECT', '0xC000030000000008'], // + R8: the page operand
  ['TDX_TD_ASSOCIATED_PAGES_EXIST', '0xC000040000000000'],
  ['TDX_OP_STATE_INCORRECT', '0xC000060800000000'],
  ['TDX_LIFECYCLE_STATE_INCORRECT', '0xC000060700000000'],
  ['TDX_TD_KEYS_NOT_CONFIGURED', '0x8000081000000000'],
  ['-EAGAIN', ''],
  ['-EBUSY', ''],
  ['-EHWPOISON', ''],
  ['-EIO', ''],
  ['KVM_EXIT_MEMORY_FAULT', ''],
  ['RET_PF_RETRY', ''],
] as const;
