# A stand-in for nixpkgs' `lib` with just what the provider declaration and the machine
# component use, so that the test command can evaluate their shape (resource types, input
# and output names, which inputs are optional, which members exist) with builtins only.
# Types are named, not checked; the few functions do what nixpkgs' namesakes do.
let
  type = name: {
    _type = "option-type";
    inherit name;
  };
in
{
  mkOption = args: args // { _type = "option"; };
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  literalMD = text: {
    _type = "literalMD";
    inherit text;
  };
  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
  optionalString = cond: s: if cond then s else "";
  optionalAttrs = cond: attrs: if cond then attrs else { };
  inherit (builtins) mapAttrs concatStringsSep;
  # Single-character separators only (all the component uses).
  splitString = sep: s: builtins.filter builtins.isString (builtins.split "[${sep}]" s);
  reverseList = l: builtins.genList (i: builtins.elemAt l (builtins.length l - 1 - i)) (builtins.length l);
  types = {
    str = type "str";
    int = type "int";
    bool = type "bool";
    port = type "port";
    path = type "path";
    package = type "package";
    anything = type "anything";
    raw = type "raw";
    deferredModule = type "module";
    ints.positive = type "positive int";
    nullOr = t: type "null or ${t.name}";
    either = a: b: type "${a.name} or ${b.name}";
    enum = values: type "one of ${builtins.concatStringsSep ", " values}";
    attrsOf = t: type "attribute set of ${t.name}";
    listOf = t: type "list of ${t.name}";
    submodule = _module: type "submodule";
    coercedTo =
      _from: _coerce: to:
      to;
  };
}
