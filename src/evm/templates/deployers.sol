{% if key %}
/// The verifying key of `{{ name }}` as data: its runtime code is a STOP byte, then the words
/// the verifier copies. Deploy it first, then `{{ name }}` with its address.
contract {{ key.name }} {
    constructor() {
        bytes memory code = hex"{{ key.runtime }}";
        assembly {
            return(add(code, 0x20), mload(code))
        }
    }
}
{% endif %}{% if identities %}
/// The identities of `{{ name }}` as code: the runtime of `{{ name }}IdentitiesCode` (its source is
/// {{ name }}IdentitiesCode.sol.txt beside this file) as zkinfer compiled it, returned unchanged.
/// Deploy it before `{{ name }}` and give its address to the verifier's constructor.
contract {{ identities.name }} {
    constructor() {
        bytes memory code = hex"{{ identities.runtime }}";
        assembly {
            return(add(code, 0x20), mload(code))
        }
    }
}
{% endif %}