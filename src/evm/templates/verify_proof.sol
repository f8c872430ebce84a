    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
{% if key %}        address key = VERIFYING_KEY;
{% endif %}{% if identities %}        address identities = IDENTITIES;
{% endif %}        assembly {
{{ functions }}
            let R := 0x{{ r }}
            let ok := and(eq(proof.length, {{ proof_length }}), eq(instances.length, {{ num_instances }}))
{% if key %}            // The key's words, after the key contract's STOP byte.
            extcodecopy(key, {{ key.mem }}, 1, {{ key.bytes }})
            ok := and(ok, eq(extcodehash(key), {{ key.code_hash }}))
{% endif %}{% if identities %}            ok := and(ok, eq(extcodehash(identities), {{ identities.code_hash }}))
{% endif %}            ok := and(ok, {{ commitment_check }})
            if iszero(ok) {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
{{ body }}
            mstore(0x00, ok)
            return(0x00, 0x20)
        }
    }
