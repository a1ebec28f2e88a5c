# IPv4 arithmetic for the NixOS module: the network a static address belongs to.
#
# Pure: builtins only (like settings.nix), so the tests evaluate it with a bare
# `nix-instantiate --eval`. Nix integers are 64-bit, so a u32 address never overflows.
let
  # "a.b.c.d" to its 32-bit value; null for anything else (an octet over 255, a CIDR,
  # a host name), so the caller can say what is missing instead of failing deep inside.
  parse =
    text:
    let
      octets = builtins.match "([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})" text;
      values = map builtins.fromJSON octets;
    in
    if !(builtins.isString text) || octets == null then
      null
    # fromJSON reads "010" as 10; leading zeros are refused, as Landscaper's parseIp4 does.
    else if builtins.any (o: builtins.match "0[0-9]+" o != null) octets then
      null
    else if builtins.any (v: v > 255) values then
      null
    else
      builtins.foldl' (acc: v: acc * 256 + v) 0 values;

  format =
    n:
    let
      octet = shift: toString (builtins.bitAnd (n / shift) 255);
    in
    "${octet 16777216}.${octet 65536}.${octet 256}.${octet 1}";

  pow2 = bits: builtins.foldl' (acc: _: acc * 2) 1 (builtins.genList (i: i) bits);

  # The netmask of a prefix length as a number: the top `prefix` bits of 32 set.
  mask = prefix: 4294967295 - (pow2 (32 - prefix) - 1);

  # The network of `address`/`prefixLength` in CIDR form ("10.77.0.2", 24 ->
  # "10.77.0.0/24"); null when the address does not parse or the prefix is not 0..32.
  networkOf =
    address: prefixLength:
    let
      ip = parse address;
    in
    if ip == null || !(builtins.isInt prefixLength) || prefixLength < 0 || prefixLength > 32 then
      null
    else
      "${format (builtins.bitAnd ip (mask prefixLength))}/${toString prefixLength}";
in
{
  inherit parse format networkOf;
}
