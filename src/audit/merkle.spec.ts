import { createHash } from 'node:crypto';
import { inclusionProof, leafHash, merkleRoot, MerkleRootBuilder, verifyInclusion } from './merkle';

const leaves = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    leafHash(createHash('sha256').update(String(i)).digest('hex')),
  );

describe('Merkle trees over record hashes (RFC 6962)', () => {
  it('hashes a leaf as SHA-256 of 0x00 and the bytes of the record hash, whatever the text', () => {
    const expected = (hex: string) =>
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(Buffer.from(hex, 'hex'))
        .digest();
    const hash = createHash('sha256').update('record').digest('hex');
    const other = createHash('sha256').update('other').digest('hex');
    for (const text of [hash, other, hash, `${hash.slice(0, 62)}zz`, `${hash}00`, 'ab', '']) {
      expect(leafHash(text)).toEqual(expected(text));
    }
    // Each answer is its own buffer, not the reused input.
    expect(leafHash(hash)).not.toBe(leafHash(hash));
    expect(leafHash(hash).equals(leafHash(other))).toBe(false);
  });

  it('folds leaves as they arrive to the recursive definition', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 31, 100]) {
      const all = leaves(n);
      const builder = new MerkleRootBuilder();
      all.forEach((l) => builder.add(l));
      expect(builder.root()).toBe(merkleRoot(all));
    }
  });

  it('proves every leaf of trees of many sizes, and no leaf elsewhere', () => {
    for (const n of [1, 2, 3, 5, 6, 8, 13, 33]) {
      const all = leaves(n);
      const root = merkleRoot(all);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(all, i);
        expect(verifyInclusion(all[i], i, n, proof, root)).toBe(true);
        if (n > 1) expect(verifyInclusion(all[(i + 1) % n], i, n, proof, root)).toBe(false);
      }
    }
  });

  it('changes the root when two leaves swap places', () => {
    const all = leaves(4);
    expect(merkleRoot([all[1], all[0], all[2], all[3]])).not.toBe(merkleRoot(all));
  });
});
