// Known-answer vectors for src/circuit/poseidon.rs from an independent implementation:
// circomlibjs's reference Poseidon (width 3 for two inputs). `poseidon(inputs, init, 3)` permutes
// [init, ...inputs] and returns the whole state. Run with `make poseidon-vectors`.
import { buildPoseidonReference } from "circomlibjs";
const poseidon = await buildPoseidonReference();
const hex = (x) => poseidon.F.toString(x, 16);
for (const [init, a, b] of [[0n, 1n, 2n], [7n, 5n, 6n]]) {
  console.log(`permute([${init}, ${a}, ${b}]) =`, poseidon([a, b], init, 3).map(hex));
}
console.log("poseidon([3, 4]) =", hex(poseidon([3n, 4n])));
