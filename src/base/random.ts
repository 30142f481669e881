/**
 * Injected randomness. Code that must be deterministic (raft, the simulator, apply logic) takes a
 * Random instead of calling Math.random, so one seed replays a whole run.
 */
export interface Random {
  /** A uniformly distributed integer in [0, bound). `bound` must be a positive safe integer. */
  intBelow(bound: number): number;
  /** A float in [0, 1). */
  float(): number;
}

/**
 * SplitMix64-seeded xoshiro128** generator: small, fast, and identical on every platform.
 * State is four 32-bit words derived from the 64-bit seed.
 */
export class SeededRandom implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: bigint | number) {
    let x = BigInt.asUintN(64, BigInt(seed));
    const next = (): number => {
      x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z = z ^ (z >> 31n);
      return Number(z & 0xffffffffn);
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned value. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  float(): number {
    // 53 random bits for a uniformly distributed double in [0, 1).
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  intBelow(bound: number): number {
    if (!(Number.isSafeInteger(bound) && bound > 0)) throw new RangeError(`bad bound ${bound}`);
    return Math.floor(this.float() * bound);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
