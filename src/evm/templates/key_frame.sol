{% if key %}    /// The contract whose code is this verifier's key (`{{ key.name }}`, below): the fixed and
    /// permutation commitments, the transcript's first word, MODEL_HASH and MODEL_COMMITMENT.
    address public immutable VERIFYING_KEY;
    /// keccak256 of that code. The constructor refuses any other key contract, and every
    /// verification checks it again: the key cannot be swapped.
    bytes32 public constant VERIFYING_KEY_CODEHASH = {{ key.code_hash }};
{% if identities %}    /// The contract whose code computes this verifier's gate, permutation and lookup identities
    /// (`{{ identities.name }}`, below), called with the verifier's memory on every verification.
    address public immutable IDENTITIES;
    /// keccak256 of that code, checked as the key's is: the identities cannot be swapped.
    bytes32 public constant IDENTITIES_CODEHASH = {{ identities.code_hash }};
{% endif %}
    error WrongVerifyingKey(address key);
{% if identities %}    error WrongIdentities(address identities);

    constructor(address key, address identities) {
        if (key.codehash != VERIFYING_KEY_CODEHASH) revert WrongVerifyingKey(key);
        if (identities.codehash != IDENTITIES_CODEHASH) revert WrongIdentities(identities);
        VERIFYING_KEY = key;
        IDENTITIES = identities;
    }
{% else %}
    constructor(address key) {
        if (key.codehash != VERIFYING_KEY_CODEHASH) revert WrongVerifyingKey(key);
        VERIFYING_KEY = key;
    }
{% endif %}
{% endif %}