import { createHash, hash as oneShotHash } from 'node:crypto';

/**
 * Merkle trees over record hashes, as RFC 6962 §2.1 builds them: a leaf is SHA-256 of 0x00
 * and the record's 32-byte hash, a node SHA-256 of 0x01 and its two children, and a tree of
 * n leaves splits at the largest power of two below n. The root of a seal's records is its
 * chain head; an inclusion proof is the audit path of §2.1.1.
 */
const LEAF = Buffer.from([0]);
/** The input of one leaf, reused: the sealer and the verifier hash a leaf per record. */
const leafInput = Buffer.alloc(33, 0);

export function leafHash(recordHashHex: string): Buffer {
  // A record's hash is 64 hex digits; anything else is hashed as the bytes it decodes to.
  if (recordHashHex.length !== 64 || leafInput.write(recordHashHex, 1, 'hex') !== 32) {
    return oneShotHash(
      'sha256',
      Buffer.concat([LEAF, Buffer.from(recordHashHex, 'hex')]),
      'buffer',
    );
  }
  return oneShotHash('sha256', leafInput, 'buffer');
}

/** The input of one node, reused: a node costs one hash and no allocation but its digest. */
const nodeInput = Buffer.alloc(65, 1);

function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 33);
  return oneShotHash('sha256', nodeInput, 'buffer');
}

/** A node over two binary-string children: strings, so the builder allocates no Buffer. */
function nodeHashBinary(left: string, right: string): string {
  nodeInput.write(left, 1, 'latin1');
  nodeInput.write(right, 33, 'latin1');
  return oneShotHash('sha256', nodeInput, 'binary');
}

/**
 * The root of a list of leaves, folded as they arrive: a stack of perfect subtrees, one per
 * set bit of the count (the lowest bit on top), so memory stays logarithmic in the number of
 * leaves and each leaf costs one node hash on average. Hashes are kept as binary strings
 * (one byte per character): the verifier adds a leaf per record.
 */
export class MerkleRootBuilder {
  private readonly stack: string[] = [];
  count = 0;

  add(leaf: Buffer): void {
    this.addBinary(leaf.toString('latin1'));
  }

  /** A leaf given as a binary string (32 characters, one per byte). */
  addBinary(leaf: string): void {
    let hash = leaf;
    // Each trailing 1 bit of the count before this leaf is a subtree of the leaf's height.
    for (let n = this.count; n % 2 === 1; n = (n - 1) / 2) {
      hash = nodeHashBinary(this.stack.pop()!, hash);
    }
    this.stack.push(hash);
    this.count++;
  }

  /** The root (hex) of everything added; RFC 6962's tree: right-most subtrees joined last. */
  root(): string {
    if (this.stack.length === 0) return createHash('sha256').digest('hex');
    let hash = this.stack[this.stack.length - 1];
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHashBinary(this.stack[i], hash);
    return Buffer.from(hash, 'latin1').toString('hex');
  }
}

export function merkleRoot(leaves: Buffer[]): string {
  const builder = new MerkleRootBuilder();
  for (const leaf of leaves) builder.add(leaf);
  return builder.root();
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function subtreeRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0];
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(subtreeRoot(leaves.slice(0, k)), subtreeRoot(leaves.slice(k)));
}

/** The audit path (hex hashes, bottom up) of leaf `index` (RFC 6962 §2.1.1). */
export function inclusionProof(leaves: Buffer[], index: number): string[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  if (index < k) {
    return [
      ...inclusionProof(leaves.slice(0, k), index),
      subtreeRoot(leaves.slice(k)).toString('hex'),
    ];
  }
  return [
    ...inclusionProof(leaves.slice(k), index - k),
    subtreeRoot(leaves.slice(0, k)).toString('hex'),
  ];
}

/** Whether `proof` shows the leaf at `index` of `size` leaves under `rootHex` (RFC 9162 §2.1.3.2). */
export function verifyInclusion(
  leaf: Buffer,
  index: number,
  size: number,
  proof: string[],
  rootHex: string,
): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let hash = leaf;
  for (const p of proof) {
    const sibling = Buffer.from(p, 'hex');
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && hash.toString('hex') === rootHex;
}
