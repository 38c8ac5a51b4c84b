/* Towers of Hanoi for SPIN, the same state space as examples/hanoi.ts:
 * peg[d] is the peg of disk d (disk 0 smallest). top[p] (the smallest disk on peg p, N when
 * empty) is a function of peg[], so it adds no states. Each move is one d_step whose first
 * statement is its guard, so a move is one transition. Build with -DN=<disks>. */
byte peg[N];
byte top[3];
byte d;

inline move(f, t) {
  d_step {
    top[f] < top[t] ->
    peg[top[f]] = t;
    top[t] = top[f];
    d = top[f] + 1;
    do
    :: d < N && peg[d] != f -> d++
    :: else -> break
    od;
    top[f] = d;
    d = 0
  }
}

active proctype hanoi() {
  d_step { top[0] = 0; top[1] = N; top[2] = N }
  do
  :: move(0, 1)
  :: move(0, 2)
  :: move(1, 0)
  :: move(1, 2)
  :: move(2, 0)
  :: move(2, 1)
  od
}
