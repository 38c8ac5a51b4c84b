/* The 8-puzzle for SPIN, the same state space as examples/puzzle8.ts: b[i] is the tile on
 * square i (0 = blank), e the blank's square (a function of b[], so no extra states). Each
 * move is one d_step guarded by its first statement. */
byte b[9];
byte e;

active proctype puzzle() {
  d_step { b[0] = 1; b[1] = 2; b[2] = 3; b[3] = 4; b[4] = 5; b[5] = 6; b[6] = 7; b[7] = 8; b[8] = 0; e = 8 }
  do
  :: d_step { e >= 3 -> b[e] = b[e - 3]; b[e - 3] = 0; e = e - 3 }
  :: d_step { e < 6 -> b[e] = b[e + 3]; b[e + 3] = 0; e = e + 3 }
  :: d_step { e % 3 != 0 -> b[e] = b[e - 1]; b[e - 1] = 0; e = e - 1 }
  :: d_step { e % 3 != 2 -> b[e] = b[e + 1]; b[e + 1] = 0; e = e + 1 }
  od
}
