// Deterministic adversarial inputs for the parser fuzz tests: a seeded PRNG and pathological repetitions.

/** mulberry32: small, seeded, reproducible: a failing case is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random strings of up to `maxLength` characters drawn from `alphabet` (weighted toward runs). */
export function randomInputs(seed: number, alphabet: string[], count: number, maxLength: number): string[] {
  const next = prng(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const parts: string[] = [];
    let length = 0;
    const target = Math.floor(next() * maxLength);
    while (length < target) {
      const piece = alphabet[Math.floor(next() * alphabet.length)]!;
      // Runs of one piece are what makes a backtracking matcher blow up.
      const run = next() < 0.3 ? piece.repeat(1 + Math.floor(next() * 64)) : piece;
      parts.push(run);
      length += run.length;
    }
    out.push(parts.join(''));
  }
  return out;
}
