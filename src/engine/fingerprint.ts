/**
 * 64-bit state fingerprints: two independent 32-bit mixes of the state's 32-bit words.
 * Hot path: called once per generated state, allocation free.
 */

/** The two halves of the last fingerprint computed (avoids returning an object). */
export const fp = new Uint32Array(2);

/** Fingerprints `words` 32-bit words of `data` starting at word `offset`, into `fp`. */
export function fingerprint(data: Int32Array, offset: number, words: number): void {
  let h1 = 0x9e3779b9 | 0;
  let h2 = 0x85ebca6b ^ words;
  for (let i = offset, end = offset + words; i < end; i++) {
    let k = data[i]!;
    // murmur3 body for h1, a different multiplier chain for h2
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, 0x1b873593);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    k = Math.imul(k ^ (k >>> 16), 0x7feb352d);
    h2 = Math.imul(h2 ^ k, 0x846ca68b);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  fp[0] = fmix(h1 ^ words);
  fp[1] = fmix(h2 + Math.imul(h1, 0x27d4eb2f));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * TLC's optimistic estimate of the probability that two distinct states shared a fingerprint:
 * distinct * (generated - distinct) / 2^64.
 */
export function collisionProbability(distinct: number, generated: number): number {
  return (distinct * Math.max(0, generated - distinct)) / 2 ** 64;
}
